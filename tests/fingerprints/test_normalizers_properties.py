"""Property tests: fixed points and formatting invariance for every kind."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints.normalizers import BUILTIN_KINDS, default_registry
from fingerprints.text import DASH_CHARS

REGISTRY = default_registry()

_PIECES = st.sampled_from(
    [
        *DASH_CHARS,
        *"〜～−－—―〒〶@＠.．丁目番地号のノヶケが関年月日元昭和平成令和SHR㍼㍻ +()",
        *"山田太郎髙﨑𠮷ヤマダタロウやまだたろうｱｯｬﾞﾟ東京都港区芝公園一二三四十百",
        *"0123456789０１２３４５６７８９",
        "\u200b",
        "\ufeff",
        "\ufe0f",
        "\U000e0100",
        "\u3000",
        "\u3099",
        "090",
        "+81",
        "0081",
        "1985",
        "ex.jp",
    ]
)
TEXT = st.lists(st.one_of(_PIECES, st.characters(), st.text(max_size=3)), max_size=24).map("".join)


@settings(max_examples=300)
@given(st.sampled_from(BUILTIN_KINDS), TEXT)
def test_canonical_is_a_fixed_point(kind: str, value: str) -> None:
    normalizer = REGISTRY.get(kind)
    canonical = normalizer.canonical(value)
    if canonical is not None:
        assert normalizer.canonical(canonical) == canonical


@given(st.sampled_from(BUILTIN_KINDS), st.text())
def test_canonical_never_raises(kind: str, value: str) -> None:
    REGISTRY.get(kind).canonical(value)


_FW_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
DASHES = st.sampled_from(["-", "ｰ", "ー", "−", "－", "‐", "―", "–", "—"])


@given(
    st.sampled_from(["090", "080", "070", "060", "050"]),
    st.integers(1000, 9999),
    st.integers(0, 9999),
    DASHES,
    st.booleans(),
)
def test_phone_formats_agree(prefix: str, mid: int, last: int, dash: str, fw: bool) -> None:
    p = REGISTRY.get("phone")
    a, b = f"{mid:04d}", f"{last:04d}"
    forms = [
        f"{prefix}{a}{b}",
        f"{prefix}{dash}{a}{dash}{b}",
        f"({prefix}){a}{dash}{b}",
        f"+81 {prefix[1:]} {a} {b}",
        f"0081{dash}{prefix[1:]}{dash}{a}{dash}{b}",
        f"81{prefix[1:]}{a}{b}",
    ]
    if fw:
        forms = [f.translate(_FW_DIGITS) for f in forms]
    assert {p.canonical(f) for f in forms} == {f"+81{prefix[1:]}{a}{b}"}


_ERAS = [
    ("明治", "M", dt.date(1868, 1, 25), dt.date(1912, 7, 29)),
    ("大正", "T", dt.date(1912, 7, 30), dt.date(1926, 12, 24)),
    ("昭和", "S", dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
    ("平成", "H", dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
    ("令和", "R", dt.date(2019, 5, 1), dt.date(2100, 12, 31)),
]


@given(st.dates(dt.date(1890, 1, 1), dt.date(2100, 12, 31)), DASHES, st.booleans())
def test_birthdate_formats_agree(date: dt.date, dash: str, fw: bool) -> None:
    b = REGISTRY.get("birthdate")
    y, m, d = date.year, date.month, date.day
    forms = [
        f"{y}/{m:02d}/{d:02d}",
        f"{y}{dash}{m}{dash}{d}",
        f"{y}{m:02d}{d:02d}",
        f"{y}年{m}月{d}日",
        f"{y}.{m}.{d}",
    ]
    for name, letter, first, last in _ERAS:
        if first <= date <= last:
            n = y - first.year + 1
            era_year = "元" if n == 1 else str(n)
            forms += [
                f"{name}{era_year}年{m}月{d}日",
                f"{letter}{n}.{m}.{d}",
                f"{letter}{n}/{m}/{d}",
            ]
    if fw:
        forms = [f.translate(_FW_DIGITS) for f in forms]
    assert {b.canonical(f) for f in forms} == {date.isoformat()}


@given(st.integers(0, 9_999_999), DASHES, st.sampled_from(["", "〒", "〶", "郵便番号 ", "〒 "]))
def test_postal_formats_agree(code: int, dash: str, marker: str) -> None:
    z = REGISTRY.get("postal_code")
    s = f"{code:07d}"
    forms = [
        s,
        f"{s[:3]}{dash}{s[3:]}",
        f"{marker}{s[:3]}-{s[3:]}",
        f"{marker}{s}".translate(_FW_DIGITS),
    ]
    assert {z.canonical(f) for f in forms} == {s}


KANJI = st.text(
    alphabet="山田川佐藤高橋鈴木伊渡辺中村小林加太郎花子一誠健々", min_size=1, max_size=4
)


@given(KANJI, KANJI, st.sampled_from([" ", "\u3000", "", "  ", "\t", "\u200b"]))
def test_name_formats_agree(family: str, given_name: str, sep: str) -> None:
    n = REGISTRY.get("name")
    assert n.canonical(f"{family}{sep}{given_name}") == n.canonical(f"{family}{given_name}")


KATAKANA = st.text(
    alphabet="アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポ",
    min_size=1,
    max_size=5,
)


def _to_hiragana(s: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in s)


def _to_halfwidth(s: str) -> str:
    import unicodedata

    # Round trip through a half-width table built from NFKC's inverse.
    table = {unicodedata.normalize("NFKC", chr(cp)): chr(cp) for cp in range(0xFF66, 0xFF9E)}
    out = []
    for c in s:
        if c in table:
            out.append(table[c])
            continue
        base = unicodedata.normalize("NFD", c)
        if len(base) == 2 and base[0] in table:
            mark = "ﾞ" if base[1] == "\u3099" else "ﾟ"
            out.append(table[base[0]] + mark)
        else:
            out.append(c)
    return "".join(out)


@given(KATAKANA, KATAKANA, st.sampled_from([" ", "\u3000", "", "・"]))
def test_kana_formats_agree(family: str, given_name: str, sep: str) -> None:
    k = REGISTRY.get("name_kana")
    expected = k.canonical(family + given_name)
    assert expected is not None or len(family + given_name) < 2
    forms = [
        f"{family}{sep}{given_name}",
        _to_hiragana(f"{family}{sep}{given_name}"),
        _to_halfwidth(f"{family} {given_name}"),
    ]
    assert {k.canonical(f) for f in forms} == {expected}


_KANJI_DIGITS = "〇一二三四五六七八九"


def _kanji(n: int) -> str:
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _KANJI_DIGITS[tens] + "十")
    return head + (_KANJI_DIGITS[ones] if ones else "")


TOWNS = st.sampled_from(
    ["東京都港区芝公園", "東京都千代田区霞が関", "大阪府大阪市北区梅田", "東京都八王子市元本郷町"]
)


@given(
    TOWNS,
    st.integers(1, 99),
    st.integers(1, 99),
    st.integers(1, 99),
    DASHES,
    st.sampled_from(["", " ", "　", " 東京タワー3F", "　○○ビル 5階", " 101号室"]),
)
def test_address_formats_agree(town: str, a: int, b: int, c: int, dash: str, building: str) -> None:
    addr = REGISTRY.get("address")
    forms = [
        f"{town}{a}-{b}-{c}{building}",
        f"{town}{a}{dash}{b}{dash}{c}{building}",
        f"{town}{_kanji(a)}丁目{b}番{c}号{building}",
        f"{town}{a}丁目{b}番地{c}{building}",
        f"{town}{a}丁目{b}-{c}{building}",
        f"{town}{_kanji(a)}-{_kanji(b)}-{_kanji(c)}{building}",
        f"{town}{_kanji(a)}丁目{_kanji(b)}番{_kanji(c)}号{building}",
        f"{town}{a}-{b}-{c}".translate(_FW_DIGITS) + building,
        f"〒100-0001 {town}{a}-{b}-{c}{building}",
    ]
    expected = town.replace("が", "ケ") + f"{a}-{b}-{c}"
    assert {addr.canonical(f) for f in forms} == {expected}


def test_kanji_helper() -> None:
    assert [_kanji(n) for n in (1, 10, 11, 20, 23, 99)] == [
        "一",
        "十",
        "十一",
        "二十",
        "二十三",
        "九十九",
    ]
