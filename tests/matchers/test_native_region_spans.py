"""A chunk's regions from its line shapes in C (``region_spans``, ``blank_holes``,
``fingerprints/_regions.c``) against their Python reference
(``matchers.regions._absorb_interruptions(_spans_by_run(...))`` and the holes loop of
``cut_regions``, issue 15): the same spans, holes and region bodies.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.native import NativeCore
from matchers import regions
from matchers.lineshapes import _SHAPES, BLANK, COMMA, GUTTER, KV, RULE, TAB, TEXT
from matchers.regions import (
    _INTERRUPTION_LINES,
    _JOIN_ACROSS_BLANKS,
    _NOT_CONTENT,
    _absorb_interruptions,
    _spans_by_run,
    cut_regions,
)

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

_NO_RULE = [s for s in _SHAPES if s != RULE]


@pytest.fixture
def core() -> NativeCore:
    with native.use(True):  # (LEAKPRINT_PURE_PYTHON=1 only unselects it)
        got = native.CORE
    assert got is not None
    return got


def _native_spans(core: NativeCore, shapes: list[str]
                  ) -> tuple[list[regions.Span], bool] | None:
    return core.region_spans(shapes, _SHAPES, _JOIN_ACROSS_BLANKS, _NOT_CONTENT,
                             _INTERRUPTION_LINES)


def _reference(shapes: list[str]) -> list[regions.Span]:
    return _absorb_interruptions(_spans_by_run(shapes), shapes)


# Runs of shapes, so that tables, interruptions and blank lines all occur.
_RUNS = st.lists(
    st.tuples(st.sampled_from(_NO_RULE), st.integers(1, 30)), max_size=40
).map(lambda runs: [s for s, n in runs for _ in range(n)])
_MIXED = st.one_of(_RUNS, st.lists(st.sampled_from(_NO_RULE), max_size=80))


def test_the_names_are_in_the_order_the_c_side_reads() -> None:
    assert _SHAPES[0] == BLANK and _SHAPES[2] == GUTTER


@given(_MIXED)
@settings(max_examples=800, deadline=None)
def test_region_spans_is_the_reference(shapes: list[str]) -> None:
    with native.use(True):
        core = native.CORE
    assert core is not None
    got = _native_spans(core, [str(s) for s in shapes])  # equal text, not the same objects
    assert got is not None
    spans, taken_out = got
    want = _reference(shapes)
    assert (sorted(spans) if taken_out else spans) == want
    assert taken_out == any(holes for _a, _b, _s, holes in want)


@pytest.mark.parametrize(
    ("shapes", "want"),
    [
        ([], []),
        ([BLANK, BLANK], []),
        # a noise line inside a table: a hole in it, and a region of its own
        ([COMMA] * 10 + [TEXT] + [COMMA] * 10,
         [(0, 21, COMMA, ((10, 11),)), (10, 11, TEXT, ())]),
        # noise lines every few rows: one table, the noise lines one region with gaps
        ([COMMA] * 5 + [TEXT] + [COMMA] * 5 + [TEXT] + [COMMA] * 5,
         [(0, 17, COMMA, ((5, 6), (11, 12))), (5, 12, TEXT, ((6, 11),))]),
        # a blank line next to the interruption cuts the table (a run ends where the
        # next begins: blank lines stay with the run before them)
        ([COMMA] * 5 + [BLANK, TEXT] + [COMMA] * 5,
         [(0, 6, COMMA, ()), (6, 7, TEXT, ()), (7, 12, COMMA, ())]),
        # prose joins across blank lines; a table does not
        ([TEXT, BLANK, TEXT, TAB, BLANK, TAB],
         [(0, 3, TEXT, ()), (3, 5, TAB, ()), (5, 6, TAB, ())]),
        # too long to be an interruption (more than two lines and 5 % of the table)
        ([COMMA] * 5 + [KV] * 3 + [COMMA] * 5,
         [(0, 5, COMMA, ()), (5, 8, KV, ()), (8, 13, COMMA, ())]),
    ],
)
def test_region_spans_cases(core: NativeCore, shapes: list[str], want: list[object]) -> None:
    got = _native_spans(core, shapes)
    assert got is not None
    spans, taken_out = got
    assert (sorted(spans) if taken_out else spans) == want == _reference(shapes)


def test_a_shape_it_does_not_know_goes_to_the_reference(core: NativeCore) -> None:
    assert _native_spans(core, [COMMA, "elsewhere", COMMA]) is None


@given(st.lists(st.text(alphabet="a,\u3042", max_size=3), min_size=1, max_size=30), st.data())
@settings(max_examples=400, deadline=None)
def test_blank_holes_is_the_reference(lines: list[str], data: st.DataObject) -> None:
    with native.use(True):
        core = native.CORE
    assert core is not None
    a = data.draw(st.integers(0, len(lines)))
    b = data.draw(st.integers(a, len(lines)))
    cuts = sorted(data.draw(st.lists(st.integers(a, b), max_size=6)))
    holes = tuple((cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2))
    want = lines[a:b]
    for ha, hb in holes:
        want[ha - a : hb - a] = [""] * (hb - ha)
    assert core.blank_holes(lines, a, b, holes) == want
    assert lines == lines[:]  # (the lines themselves are left as they were)


def test_blank_holes_refuses_a_hole_outside(core: NativeCore) -> None:
    with pytest.raises(IndexError):
        core.blank_holes(["a", "b", "c"], 1, 2, ((0, 1),))


def test_cut_regions_is_the_same_either_way() -> None:
    text = "\n".join(
        ["氏名,電話番号"] + [f"山田 {i},090-0000-{i:04d}" for i in range(40)]
        + ["この掲示板のルールを守って投稿してください。"]
        + [f"佐藤 {i},080-0000-{i:04d}" for i in range(40)]
        + ["", "続きは有料です。", "", "a: b", "c: d"]
    )
    with native.use(True):
        fast = cut_regions(text)
    with native.use(False):
        slow = cut_regions(text)
    assert fast == slow
    assert [r.shape for r in fast] == [COMMA, TEXT, TEXT, KV]


# Lines of every str kind (ASCII, kana, an emoji), with white space and carriage returns.
_LINE = st.text(alphabet="a,\u3042 \r\U0001f600", max_size=4)


@given(st.lists(_LINE, min_size=1, max_size=30), st.data())
@settings(max_examples=400, deadline=None)
def test_region_texts_is_the_reference(lines: list[str], data: st.DataObject) -> None:
    """Each span's lines joined with its holes' lines empty, as cut_regions joins them
    from the lines (equal strs: of the narrowest kind, as a join makes them)."""
    with native.use(True):
        core = native.CORE
    assert core is not None
    spans: list[regions.Span] = []
    for _ in range(data.draw(st.integers(0, 4))):
        a = data.draw(st.integers(0, len(lines)))
        b = data.draw(st.integers(a, len(lines)))
        cuts = sorted(data.draw(st.lists(st.integers(a, b), max_size=6)))
        spans.append((a, b, COMMA, tuple((cuts[i], cuts[i + 1])
                                         for i in range(0, len(cuts) - 1, 2))))
    want = []
    for a, b, _shape, holes in spans:
        body = lines[a:b]
        for ha, hb in holes:
            body[ha - a : hb - a] = [""] * (hb - ha)
        want.append("\n".join(body))
    assert core.region_texts("\n".join(lines), spans) == want


def test_region_texts_refuses_what_is_no_span(core: NativeCore) -> None:
    with pytest.raises(IndexError):
        core.region_texts("a\nb", [(0, 3, COMMA, ())])
    with pytest.raises(IndexError):
        core.region_texts("a\nb\nc", [(1, 2, COMMA, ((0, 1),))])
    with pytest.raises(TypeError):
        core.region_texts("a\nb", [(0, 1, COMMA)])  # type: ignore[list-item]


# Chunks of table rows, chatter, list items, key: value lines and blank lines, some of
# them twice (a copy of a region read already is left out).
_PIECE = st.sampled_from([
    "山田 太郎,090-1234-5678", "佐藤 花子,080-0000-1111", "a,b", "x;y",
    "この掲示板のルールを守って投稿してください。", "続きは有料です。", "・一つ目", "key: value",
    "", "   ", "\r",
])


@given(st.lists(st.lists(_PIECE, min_size=1, max_size=12), min_size=1, max_size=8),
       st.lists(st.integers(0, 7), max_size=3))
@settings(max_examples=400, deadline=None)
def test_cut_regions_is_the_same_for_any_text(blocks: list[list[str]], copies: list[int]
                                              ) -> None:
    for i in copies:
        if i < len(blocks):
            blocks.append(blocks[i] * 3)
    text = "\n".join(line for block in blocks for line in block)
    with native.use(True):
        fast = cut_regions(text)
    with native.use(False):
        slow = cut_regions(text)
    assert fast == slow
    for region in fast:
        # (Made from the text, no region keeps the chunk's lines: a column scan cuts
        # its rows from the region's text.)
        assert region.lines is None or region.lines == region.text.split("\n")
