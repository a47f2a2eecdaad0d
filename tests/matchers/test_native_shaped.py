"""The native column fast path (``shaped_column``, ``fingerprints/_native_cells.h``)
against its Python reference (``matchers.shaped.ColumnShapes.reference``, issue 15).

Columns are generated as leaks write them: phone numbers in every Japanese and
international form, full-width digits, every dash and space, e-mail addresses odd
and plain, names and dates among them, over-long cells and cells with line breaks.
The shaped cells (kind, values in order, canonical forms) and the remaining values
(in order) must be identical.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.normalizers import default_registry
from fingerprints.normalizers.phone import _FIXED_LINE, FIXED_PREFIXES
from fingerprints.text import DASH_CHARS
from matchers.shaped import ColumnShapes
from matchers.shapes import ShapedCells

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

_SPACES = " \t\u3000\u00a0\u2003\u200b\u3000\x0b\x0c\r\x1c\x85\u2028\ufeff"
_SEPARATORS = "-. ()" + DASH_CHARS + _SPACES + "／/"
_DIGITS = "0123456789０１２３４５６７８９"


@st.composite
def phones(draw: st.DrawFn) -> str:
    """A phone number written some way a leak writes one (valid or not)."""
    head = draw(st.sampled_from(["0"] * 8 + ["+81", "+81 ", "81", "0081", "01081", "+",
                                 "(0", "+(81)", "＋８１", "０", "", "1"]))
    digits = st.text(alphabet="0123456789", min_size=1, max_size=12)
    body = draw(st.one_of(
        # Mostly numbers a customer can have (mobile/IP, fixed lines), some other.
        st.tuples(st.sampled_from("5789"), st.sampled_from("0000001"),
                  st.sampled_from("123456789"), st.text(alphabet="0123456789", min_size=7,
                                                        max_size=7)).map("".join),
        st.tuples(st.integers(0, 999).map(lambda p: f"{p:03d}"),
                  st.text(alphabet="0123456789", min_size=6, max_size=6)).map("".join),
        st.tuples(st.sampled_from(["120", "570", "20", "990", "800"]), digits).map("".join),
        digits,
    ))
    out = head
    for ch in body:
        if draw(st.integers(0, 4)) == 0:
            out += draw(st.sampled_from("---- .") | st.sampled_from(_SEPARATORS))
        out += ch
    if draw(st.booleans()):
        out = out.translate(str.maketrans("0123456789-+", "０１２３４５６７８９－＋"))
    pad = st.text(alphabet=_SPACES, max_size=2)
    return draw(pad) + out + draw(pad)


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = draw(st.text(alphabet="abcXYZ09._+-!#'山ｱａ＠@ \u3000", min_size=0, max_size=12))
    label = st.text(alphabet="abcDEFxyz09-", min_size=1, max_size=6)
    domain = draw(st.one_of(
        st.lists(label, min_size=2, max_size=4).map(".".join),  # mostly well-formed
        st.text(alphabet="abcDEFxyz09.-ＡＢ．Ä\u0130İ_", min_size=0, max_size=14),
    ))
    at = draw(st.sampled_from(["@", "@", "＠", "@@", ""]))
    pad = st.text(alphabet=_SPACES, max_size=2)
    return draw(pad) + local + at + domain + draw(pad)


_OTHER = st.one_of(
    st.sampled_from(["山田 太郎", "ヤマダ タロウ", "1985-04-01", "昭和60年4月1日", "〒105-0011",
                     "東京都港区芝公園4-2-8", "", " ", "a" * 801, "0" * 900, "090-1234\n-5678",
                     "tanaka@example.com\nx", "㍻", "ﾔﾏﾀﾞ", "03-1234-5678 内線12"]),
    st.text(alphabet=_DIGITS + _SEPARATORS + "@abc山ｱ\n", max_size=30),
)
cells = st.one_of(phones(), emails(), _OTHER)


def _both(shapes: ColumnShapes, values: list[str]) -> list[tuple[ShapedCells | None, list[str],
                                                                  list[str] | None]]:
    out = []
    for core in (True, False):
        with native.use(core):
            shaped, rest = shapes.split(values)
        out.append((shaped, list(rest), list(shaped.values) if shaped is not None else None))
    return out


def _shapes(phone: bool, email: bool) -> ColumnShapes:
    reg = default_registry()
    return ColumnShapes(reg.get("phone") if phone else None,
                        reg.get("email") if email else None, 800)


# Thousands of generated columns each: run by `make test`, not by the quick `make unit`
# (the fixed cases below run in both).
@pytest.mark.slow
@given(st.lists(cells, max_size=60, unique=True), st.sampled_from([(1, 1), (1, 0), (0, 1)]))
@settings(max_examples=1500, deadline=None)
def test_native_shaped_column_is_the_reference(values: list[str], kinds: tuple[int, int]) -> None:
    native_got, reference = _both(_shapes(bool(kinds[0]), bool(kinds[1])), values)
    assert native_got == reference


@pytest.mark.slow
@given(st.lists(phones(), min_size=1, max_size=60, unique=True))
@settings(max_examples=1000, deadline=None)
def test_native_phone_columns(values: list[str]) -> None:
    native_got, reference = _both(_shapes(True, True), values)
    assert native_got == reference


@pytest.mark.slow
@given(st.lists(emails(), min_size=1, max_size=60, unique=True))
@settings(max_examples=1000, deadline=None)
def test_native_email_columns(values: list[str]) -> None:
    native_got, reference = _both(_shapes(True, True), values)
    assert native_got == reference


def test_native_shaped_column_cases() -> None:
    shapes = _shapes(True, True)
    columns = [
        ["090-1234-5678", "+81 90-1234-5678", "0081-3-1234-5678", "81312345678",
         "０９０－１２３４－５６７８", " (03) 1234-5678\u3000", "0120-123-456", "03.1234.5678"],
        ["Taro.Yamada@Example.CO.JP", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "a..b.@docomo.ne.jp",
         "x@y", "@example.com", "山田@example.com", "a@-x.com", "a@x.com."],
        ["090-1234-5678"] * 3,  # a list with repeats (Extractor.column takes any collection)
        [], ["0" * 801, "090-1234-5678"], ["090-1234-5678", "090-1234\n5678"],
    ]
    for values in columns:
        native_got, reference = _both(shapes, values)
        assert native_got == reference
    got, _ref = _both(shapes, columns[0])
    assert got[0] is not None and got[0].canonicals[:2] == ["+819012345678", "+819012345678"]


def test_fixed_prefixes_decide_the_fixed_line_pattern() -> None:
    """The table the native pass reads: the three digits after the trunk 0 decide."""
    rnd = random.Random(5)
    for p in range(1000):
        for _ in range(3):
            number = f"0{p:03d}{rnd.randrange(10**6):06d}"
            assert (_FIXED_LINE.fullmatch(number) is not None) == bool(FIXED_PREFIXES[p])
        for n in (0, 5, 7, 8):
            assert _FIXED_LINE.fullmatch(f"0{p:03d}" + "5" * n) is None
