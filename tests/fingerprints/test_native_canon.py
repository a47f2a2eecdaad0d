"""The native canonical forms of the supporting kinds against their Python reference
(``fingerprints/_canon.c``, ``_canon_address.c``; issue 15).

Each normalizer's ``canonical`` must give the same answer with the native core and
with the reference, for every input; the native functions answer NotImplemented
only where they leave the value to Python. The generators aim at the hard cases:
digits of both widths, every dash, kanji numerals with 十百千 and 〇, era names and
letters with 元年, invalid dates and era boundaries, postal markers, kana of every
form, variant kanji, white space of every kind inside the value.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.normalizers.address import AddressNormalizer
from fingerprints.normalizers.base import Normalizer
from fingerprints.normalizers.birthdate import BirthdateNormalizer
from fingerprints.normalizers.kana import NameKanaNormalizer
from fingerprints.normalizers.name import (
    NameFoldedNormalizer,
    NameNormalizer,
    _variant_pairs,
    fold_name,
    load_variant_table,
)
from fingerprints.normalizers.postal import PostalCodeNormalizer
from fingerprints.text import DASH_CHARS, prepare

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

POSTAL = PostalCodeNormalizer()
BIRTH = BirthdateNormalizer()
KANA = NameKanaNormalizer()
NAME = NameNormalizer()
FOLDED = NameFoldedNormalizer()
ADDRESS = AddressNormalizer()

SPACES = " 　\t\n\u00a0\u2003\u202f\x1c\x85"
DIGITS = "0123456789０１２３４５６７８９"
KNUM = "〇一二三四五六七八九十百千"
VARIANTS = "".join(chr(cp) for cp in sorted(load_variant_table())[:40]) + "髙﨑齋邊澤𠮷"


def same(normalizer: Normalizer, value: str) -> None:
    """Native and reference ``canonical`` agree (and ``pairs`` for names)."""
    with native.use(False):
        want = normalizer.canonical(value)
        want_pairs = None if want is None else normalizer.pairs(want)
    with native.use(True):
        got = normalizer.canonical(value)
        got_pairs = None if got is None else normalizer.pairs(got)
    assert got == want
    assert got_pairs == want_pairs


def joined(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map("".join)


def text_of(chars: str, max_size: int = 14) -> st.SearchStrategy[str]:
    return st.text(alphabet=chars, max_size=max_size)


spaces = text_of(SPACES, 2)
digits = st.lists(st.sampled_from(DIGITS), max_size=6).map("".join)

# ---- postal codes

postal_values = joined(
    spaces,
    st.sampled_from(["", "〒", "〶", "〠", "郵便番号", "郵便", "zip", "ZIP", "Zipcode", "zipcod",
                     "postal", "PostalCode", "post", "ſip", "zıp", "〒〒"]),
    text_of(":：" + SPACES, 3),
    digits, st.sampled_from(["", "-", "－", "ー", "ｰ", "−", "‐", " ", "　", "--", "x"]), digits,
    spaces, st.sampled_from(["", "", "", "-", "1", "号", "a"]),
)


@given(st.one_of(postal_values, text_of(DIGITS + "〒-－ー 　:zipZIP郵便番号ſı")))
@settings(max_examples=2000, deadline=None)
@example("〒１０５－００１１")
@example("zipcode: 105 0011")
@example("105 0011")
@example("")
@example("〒")
def test_postal_is_the_reference(value: str) -> None:
    same(POSTAL, value)


# ---- birth dates

eras = st.sampled_from(["", "明治", "大正", "昭和", "平成", "令和", "M", "T", "S", "H", "R", "m",
                        "t", "s", "h", "r", "X", "昭", "㍼", "㍻", "㍾"])
numbers = st.one_of(st.integers(0, 120).map(str), st.sampled_from(["元", "00", "０１", "1元", ""]),
                    digits)
dates = st.one_of(
    joined(eras, st.sampled_from(["", ".", ". ", ".."]), numbers,
           st.sampled_from(["年", "/", "-", ".", "－", " 年 ", ""]), numbers,
           st.sampled_from(["月", "/", "-", ".", "月 "]), numbers,
           st.sampled_from(["", "日", "日日", " 日"])),
    joined(st.integers(1880, 2110).map(str), st.sampled_from(["/", "-", ".", "年", "", "－"]),
           numbers, st.sampled_from(["/", "-", ".", "月", ""]), numbers,
           st.sampled_from(["", "日", "x"])),
    st.dates().map(lambda d: d.strftime("%Y%m%d")),
    text_of(DIGITS + "年月日元明治大正昭和平成令和MTSHR/-. 　", 16),
)


@given(dates)
@settings(max_examples=2000, deadline=None)
def test_birthdate_is_the_reference(value: str) -> None:
    same(BIRTH, value)


@pytest.mark.parametrize("value", [
    "昭和64年1月7日", "昭和64年1月8日", "平成元年1月7日", "平成元年1月8日", "平成31年4月30日",
    "平成31年5月1日", "令和元年4月30日", "令和元年5月1日", "R1.5.1", "H31.4.30", "H31.5.1",
    "明治45年7月29日", "明治45年7月30日", "大正元年7月30日", "大正15年12月24日",
    "大正15年12月25日", "昭和元年12月25日", "昭和元年12月24日", "明治1年1月25日", "明治23年1月1日",
    "M22.12.31", "2000/2/29", "1900/2/29", "2100-02-29", "2096-02-29", "1890/1/1", "1889/12/31",
    "2100/12/31", "2101/1/1", "19850229", "19880229", "1985年4月1日", "1985年4月1", "1985/4/1日",
    "S60.4.1", "s.60.4.1", "S 60 . 4 . 1", "昭和０年1月1日", "令和82年12月31日", "令和83年1月1日",
    "1985/13/01", "1985/00/10", "1985/4/31", "1985/04/001", "１９８５／０４／０１", "",
    "昭和60年4月1日生", "令和元年", "1985-4-1-",
])
def test_birthdate_cases(value: str) -> None:
    same(BIRTH, value)


# ---- kana readings

KANA_CHARS = (
    "ぁあぃいぅうぇえぉおっつゃやゅゆょよゎわゕかゖけがぱゔゝゞ"
    "ァアィイゥウェエォオッツャヤュユョヨヮワヵカヶケガパヴヽヾヷヺ"
    "ｧｱｨｲｩｳｪｴｫｵｯﾂｬﾔｭﾕｮﾖｶﾞﾊﾟｰﾔﾏﾀﾞ゛゜\u3099\u309a"
    "ㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿーー・･=＝゠ゟヿ"
    "山田aA1１-" + SPACES
)


@given(text_of(KANA_CHARS, 10))
@settings(max_examples=2000, deadline=None)
@example("ヤマダ タロウ")
@example("ﾔﾏﾀﾞ ﾀﾛｳ")
@example("やまだ　たろう")
@example("ーー")
@example("ヽヾー")
@example("ア")
@example("ァ")
def test_kana_is_the_reference(value: str) -> None:
    same(KANA, value)


# ---- names

NAME_CHARS = (
    "山田太郎花子佐藤鈴木高崎斎辺沢々〻ゝゞヽヾー・･-'.@#1１aAｱｶﾞﾟ゛é\u0301ǅⅫ〆〇"
    + VARIANTS + SPACES
)


@given(text_of(NAME_CHARS, 10))
@settings(max_examples=2000, deadline=None)
@example("山田 太郎")
@example("髙橋　太郎")
@example("々々")
@example("ー・")
@example("山")
@example("Jo")
def test_name_is_the_reference(value: str) -> None:
    same(NAME, value)
    same(FOLDED, value)


def test_every_variant_folds_like_the_table() -> None:
    table = load_variant_table()
    core: Any = native._BUILT
    for cp, standard in table.items():
        assert core.fold_variants(_variant_pairs(), "山" + chr(cp) + "田") == "山" + standard + "田"
    with native.use(True):
        assert fold_name("山田") == "山田"
    for cp in range(0x3000, 0x30000):
        if cp not in table and not 0xD800 <= cp <= 0xDFFF:
            assert core.fold_variants(_variant_pairs(), chr(cp)) == chr(cp)


# ---- addresses

TOWN = ["東京都", "港区", "芝公園", "八王子", "十日町", "三番町", "北", "条", "第", "地割", "ヶ丘",
        "が", "之", "ノ", "條", "藪", "巿", "曾", "ビル", "ﾋﾞﾙ", "abc", "F", "室", "階"]
NUMBERING = ["丁目", "番地", "番", "号", "の", "町", "丁", "目", "地"]
address_pieces = st.one_of(
    st.sampled_from(TOWN), st.sampled_from(NUMBERING), text_of(KNUM, 4), text_of(DIGITS, 3),
    st.sampled_from(list(DASH_CHARS)), text_of(SPACES, 2),
)
postal_prefixes = st.sampled_from(["", "", "〒105-0011 ", "〒１０５－００１１",
                                   "郵便番号: 1050011 ", " 105-0011", "1050011", "105-00111",
                                   "〒105-0011-", "〶 ", "105-001 "])
addresses = st.one_of(
    joined(postal_prefixes, st.lists(address_pieces, max_size=12).map("".join)),
    text_of(KNUM + DIGITS + DASH_CHARS + "丁目番地号の町東京都港区ケヶ〒" + SPACES, 20),
)
SHIBA = ["東京都港区芝公園四丁目2番8号", "〒105-0011 東京都港区芝公園4-2-8 東京タワー3F",
         "東京都港区芝公園4の2の8", "東京都 港区 芝公園 4-2-8", "東京都港区芝公園四ー二ー八",
         "北海道札幌市中央区北1条西2丁目", "岩手県盛岡市第2地割1-2", "三 -一", "東京都三 -一",
         "東京都千代田区千代田一番一号", "東京都千九百九十九番町1", "千百十一丁目", "〇〇丁目",
         "町十二百千千千千千千千千千千千-1", "東京都九九九九九九九九九九九九九九九九九九九九九-1",
         "東京都十十十十十十十十十十十十十十十十十十十-1", "東京都一二三四五六七八九〇一二三十-1",
         "  ", "", "1-2", "東京1", "東京1 ", "東京1-", "東京の1の2", "東京の1", "東京1の2の",
         "東京1番町2", "東京1番地2番3号", "東京1丁目目2", "東京1--2", "東京1-ー2"]


@given(addresses)
@settings(max_examples=2000, deadline=None)
def test_address_is_the_reference(value: str) -> None:
    same(ADDRESS, value)


@given(addresses)
@settings(max_examples=2000, deadline=None)
def test_address_key_is_the_reference_on_any_text(value: str) -> None:
    """``_key`` itself, on raw and on prepared text (the second pass's input)."""
    core: Any = native._BUILT
    for s in (value, prepare(value)):
        got = core.address_key(s)
        if got is not NotImplemented:
            assert got == AddressNormalizer._key_reference(s)


@pytest.mark.parametrize("value", SHIBA)
def test_address_cases(value: str) -> None:
    same(ADDRESS, value)


def test_long_kanji_numbers_are_left_to_python() -> None:
    core: Any = native._BUILT
    assert core.address_key("東京都十十十十十十十十十十十十十-1") is NotImplemented
    assert core.address_key("東京都十十十十十十十十十十十十-1") == ("東京都120-1", False)
    same(ADDRESS, "東京都九九九九九九九九九九九九九九九九九九九九九十-1")


def test_undecided_postal_markers_are_left_to_python() -> None:
    core: Any = native._BUILT
    assert core.canon_postal("ZİP 105-0011") is NotImplemented
    assert core.canon_postal("poſtal 105-0011") is NotImplemented
    assert core.canon_postal("105-0011") == "1050011"


# ---- which path runs


class _Spy:
    """The native core, counting the canonical functions' calls; ``refuse`` makes
    them answer NotImplemented (where the type allows it)."""

    def __init__(self, refuse: bool) -> None:
        self.calls: list[str] = []
        self.refuse = refuse
        self.core = native._BUILT

    def __getattr__(self, name: str) -> Any:
        real = getattr(self.core, name)
        if not (name.startswith("canon_") or name in ("address_key", "fold_variants")):
            return real

        def call(*args: Any) -> Any:
            self.calls.append(name)
            if self.refuse and name in ("canon_postal", "address_key"):
                return NotImplemented
            return real(*args)

        return call


VALUES: list[tuple[Normalizer, str]] = [
    (POSTAL, "〒105-0011"), (BIRTH, "昭和60年4月1日"), (KANA, "ヤマダ タロウ"), (NAME, "髙橋 太郎"),
    (FOLDED, "髙橋 太郎"), (ADDRESS, "東京都港区芝公園四丁目2番8号"),
]


def test_the_reference_runs_under_use_false(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _Spy(refuse=False)
    monkeypatch.setattr(native, "_BUILT", spy)
    with native.use(False):
        want = [n.canonical(v) for n, v in VALUES]
    assert spy.calls == []
    with native.use(True):
        got = [n.canonical(v) for n, v in VALUES]
    assert got == want
    assert set(spy.calls) == {"canon_postal", "canon_birthdate", "canon_kana", "canon_name",
                              "fold_variants", "address_key"}


def test_not_implemented_falls_back_to_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _Spy(refuse=True)
    monkeypatch.setattr(native, "_BUILT", spy)
    with native.use(False):
        want = [n.canonical(v) for n, v in VALUES]
    with native.use(True):
        got = [n.canonical(v) for n, v in VALUES]
    assert got == want == ["1050011", "1985-04-01", "ヤマダタロウ", "髙橋太郎", "高橋太郎",
                           "東京都港区芝公園4-2-8"]


# ---- every character, in a value of each kind

CODE_POINTS = [cp for cp in [*range(0x10000), *range(0x1F000, 0x20100), *range(0x2F800, 0x2F810),
                             *range(0x3FFF0, 0x40010), *range(0xE0100, 0xE0110)]
               if not 0xD800 <= cp <= 0xDFFF]

TEMPLATES: dict[str, tuple[Normalizer, str, list[str]]] = {
    "postal": (POSTAL, "postal", ["{}105-0011", "〒{}1050011", "105{}0011", "zi{} 1050011"]),
    "birthdate": (BIRTH, "birthdate", ["{}60.4.1", "昭和60年4月1{}", "1985{}4/1", "S60{}4.1"]),
    "kana": (KANA, "kana", ["ア{}", "{}{}", "{}ー"]),
    "name": (NAME, "name", ["山{}", "{}{}", "{}ー"]),
    "address": (ADDRESS, "address", ["東京{}1-2", "東京1{}2", "{}1番2", "東京{}二-1", "東京1{}",
                                     "東京一{}"]),
}


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_every_code_point_is_the_reference(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``prepare`` taken out (the identity), the native function is the
    reference's rest on text no ``prepare`` would give it too."""
    normalizer, module, templates = TEMPLATES[kind]
    mod = __import__(f"fingerprints.normalizers.{module}", fromlist=["prepare"])
    monkeypatch.setattr(mod, "prepare", lambda text: text)
    for template in templates:
        for cp in CODE_POINTS:
            value = template.format(chr(cp), chr(cp))
            with native.use(False):
                want = normalizer.canonical(value)
            with native.use(True):
                got = normalizer.canonical(value)
            assert got == want, (kind, template, hex(cp))
