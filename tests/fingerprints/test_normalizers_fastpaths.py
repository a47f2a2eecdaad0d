"""Fast paths inside the normalizers give exactly the results of the slow paths.

The scan side calls the same normalizers as the import side; these fast paths
only skip work whose result is known. Each is compared with the plain form of
the same step over thousands of generated inputs (and, where the domain is
small enough, over all of it).
"""

from __future__ import annotations

import itertools
import re
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints.normalizers import default_registry
from fingerprints.normalizers import phone as phone_module
from fingerprints.normalizers.email import _SPACE
from fingerprints.text import DASH_CHARS, prepare, prepare_full

# Characters the fast paths have to tell apart: ASCII, full-width forms,
# dashes, white space of every kind, invisible characters, kana, kanji, and
# characters NFKC changes.
_INTERESTING = (
    "0123456789０１２３４５６７８９+-().@ \t\u3000\u00a0\u2009\u200b\ufeff\ufe0f"
    "aAzZａＡ＠．" + DASH_CHARS + "ｱｶﾞﾔﾏﾀﾞヤマダやまだ山田髙﨑〒〜～−－―∥①㍻\u0305\u203e"
)
TEXT = st.text(alphabet=st.sampled_from(_INTERESTING), max_size=30) | st.text(max_size=30)
ASCII_TEXT = st.text(alphabet=st.characters(max_codepoint=127), max_size=40)


@settings(max_examples=3000)
@given(TEXT)
def test_prepare_fast_path_agrees(value: str) -> None:
    assert prepare(value) == prepare_full(value)


@settings(max_examples=3000)
@given(ASCII_TEXT)
def test_prepare_is_identity_on_ascii(value: str) -> None:
    assert prepare_full(value) == value
    assert prepare(value) is value


def test_email_space_check_is_str_isspace_on_every_code_point() -> None:
    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        assert (_SPACE.search(c) is not None) == c.isspace(), hex(cp)


def _email_reference(value: str) -> str | None:
    """EmailNormalizer.canonical as first written (a per-character white-space loop)."""
    s = prepare_full(value).strip()
    if s.count("@") != 1 or any(c.isspace() for c in s):
        return None
    local, domain = s.split("@")
    if not local or "." not in domain or domain[0] == "." or domain[-1] == ".":
        return None
    lowered = domain.lower()
    if lowered != domain:
        lowered = prepare_full(lowered)
        if lowered.lower() != lowered:
            return None
    return f"{local}@{lowered}"


EMAILS = st.builds(
    lambda a, b, c: f"{a}@{b}.{c}",
    st.text(alphabet=st.sampled_from(_INTERESTING + "._%+"), min_size=0, max_size=12),
    st.text(alphabet=st.sampled_from(_INTERESTING + ".-"), min_size=0, max_size=12),
    st.sampled_from(["jp", "ne.jp", "COM", "ｊｐ", "co. jp", ""]),
)


@settings(max_examples=3000)
@given(EMAILS | TEXT)
def test_email_agrees_with_reference(value: str) -> None:
    assert default_registry().get("email").canonical(value) == _email_reference(value)


_DROP = str.maketrans("", "", " \t-().+")


def _domestic_reference(digits: str, had_plus: bool) -> str | None:
    n = len(digits)
    if digits.startswith("0081") and n in (13, 14):
        return "0" + digits[4:]
    if digits.startswith("01081") and n in (14, 15):
        return "0" + digits[5:]
    if digits.startswith("81") and n in (11, 12):
        return "0" + digits[2:]
    if had_plus:
        return None
    return digits


_MOBILE_OR_VOIP = re.compile(r"0[5-9]0[1-9][0-9]{7}")


def _phone_reference(value: str) -> str | None:
    """PhoneNormalizer.canonical as first written (``str.translate``, plain prefix checks)."""
    s = prepare_full(value).strip()
    had_plus = s.startswith("+")
    digits = s.translate(_DROP)
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    domestic = _domestic_reference(digits, had_plus)
    if domestic is None:
        return None
    n = len(domestic)
    if (n == 11 and _MOBILE_OR_VOIP.fullmatch(domestic)) or (
        n == 10 and phone_module._FIXED_LINE.fullmatch(domestic)
    ):
        return "+81" + domestic[1:]
    return None


PHONES = st.builds(
    lambda prefix, digits, seps: (
        prefix + "".join(d + s for d, s in zip(digits, seps + [""] * len(digits), strict=False))
    ),
    st.sampled_from(["", "+", "+81", "+81 ", "0081", "81", "01081", "(", "０", "＋８１"]),
    st.text(alphabet=st.sampled_from("0123456789０１２３４５６７８９"), min_size=0, max_size=16),
    st.lists(
        st.sampled_from(["", "", "", "-", " ", "(", ")", ".", "\t", "ｰ", "－", "ー"]), max_size=16
    ),
)


@settings(max_examples=5000)
@given(PHONES | TEXT)
def test_phone_agrees_with_reference(value: str) -> None:
    assert default_registry().get("phone").canonical(value) == _phone_reference(value)


@settings(max_examples=3000)
@given(st.text(alphabet=st.sampled_from("0123456789 \t-().+８ー"), max_size=24) | TEXT)
def test_drop_separators_is_translate(value: str) -> None:
    assert phone_module._drop_separators(value) == value.translate(_DROP)


@settings(max_examples=3000)
@given(st.text(alphabet=st.sampled_from("0123456789"), max_size=17), st.booleans())
def test_domestic_prefix_checks_agree(digits: str, had_plus: bool) -> None:
    assert phone_module._domestic(digits, had_plus) == _domestic_reference(digits, had_plus)


def test_domestic_prefix_checks_agree_exhaustively_on_prefixes() -> None:
    # Every 5-digit head over the digits the prefixes are made of (0, 1, 8) and
    # two others, at every total length 1..17.
    for head in itertools.product("01289", repeat=5):
        for length in range(1, 18):
            digits = ("".join(head) + "3" * length)[:length]
            for had_plus in (False, True):
                assert phone_module._domestic(digits, had_plus) == _domestic_reference(
                    digits, had_plus
                )


# ``canonical_many`` (whole-column string operations) against ``canonical`` per
# value: columns of phone-like, e-mail-like and arbitrary text, with values that
# hold line breaks too (they take the per-value path).
_PHONE_CHARS = "0123456789０１２３４５６７８９+-(). \t\u3000\r\x1c" + DASH_CHARS + "a@"
PHONE_LIKE = (
    st.text(alphabet=st.sampled_from(_PHONE_CHARS), max_size=20)
    | st.builds(
        lambda p, a, b, c, sep: f"{p}{a}{sep}{b}{sep}{c}",
        st.sampled_from(["0", "+81 ", "+81-", "81", "0081", "010-81-", "+", "", "(0", "０"]),
        st.integers(0, 999).map(str),
        st.integers(0, 9999).map(lambda n: f"{n:04d}"),
        st.integers(0, 9999).map(lambda n: f"{n:04d}"),
        st.sampled_from(["-", "", " ", "ｰ", "－", ").", "\t"]),
    )
)


@settings(max_examples=1500)
@given(st.lists(PHONE_LIKE | TEXT, max_size=30))
def test_phone_canonical_many_is_canonical_per_value(values: list[str]) -> None:
    phone = default_registry().get("phone")
    assert phone.canonical_many(values) == [phone.canonical(v) for v in values]


@settings(max_examples=1500)
@given(st.lists(EMAILS | TEXT, max_size=30))
def test_email_canonical_many_is_canonical_per_value(values: list[str]) -> None:
    email = default_registry().get("email")
    assert email.canonical_many(values) == [email.canonical(v) for v in values]


def test_canonical_many_on_a_large_generated_column() -> None:
    import random

    rnd = random.Random(5)
    phone, email = default_registry().get("phone"), default_registry().get("email")
    phones = [f"0{rnd.choice('3456789')}0{rnd.choice(['-', '', ' '])}{rnd.randrange(10**4):04d}"
              f"-{rnd.randrange(10**4):04d}" for _ in range(5000)]
    wide = str.maketrans("0123456789-", "０１２３４５６７８９－")
    phones += [p.translate(wide) for p in phones[:500]]
    emails = [f"u{rnd.randrange(10**6)}.X@Mail{rnd.randrange(9)}.Example.JP" for _ in range(5000)]
    assert phone.canonical_many(phones) == [phone.canonical(v) for v in phones]
    assert email.canonical_many(emails) == [email.canonical(v) for v in emails]
    assert sum(v is not None for v in phone.canonical_many(phones)) > 3000  # 03x/04x are not
    assert all(v is not None for v in email.canonical_many(emails))


def test_address_cjk_search_is_is_cjk_on_every_code_point() -> None:
    from fingerprints.normalizers.address import CJK_CHAR
    from fingerprints.normalizers.base import is_cjk

    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        assert (CJK_CHAR.search(c) is not None) == is_cjk(c), hex(cp)


_ADDRESS_BITS = st.text(
    alphabet=st.sampled_from("0123456789-丁目番地号町のノ一二三四十百東京都港区芝公園 ー−"),
    max_size=30,
)


@settings(max_examples=3000)
@given(_ADDRESS_BITS)
def test_address_unit_patterns_equal_their_look_behind_forms(value: str) -> None:
    from fingerprints.normalizers import address

    unit = re.compile(r"(?<=[0-9])(?:丁目|番地|番(?!町)|号)")
    no = re.compile(r"(?<=[0-9-])の(?=[0-9])")
    assert address._UNIT.sub("-", value) == unit.sub("-", value)
    assert address._NO.sub("-", value) == no.sub("-", value)


@settings(max_examples=2000)
@given(st.text(alphabet=st.sampled_from("山田髙﨑齋藤高崎斎太郎𠮷吉邊辺"), max_size=12) | TEXT)
def test_name_fold_fast_path_is_the_translation(value: str) -> None:
    from fingerprints.normalizers.name import NameFoldedNormalizer, load_variant_table

    assert NameFoldedNormalizer().fold(value) == value.translate(load_variant_table())
