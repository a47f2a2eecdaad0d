"""The native ``split_columns`` (``fingerprints/_columns.c``) against the Python
reference of ``matchers.tables.table_columns``: the same columns for rows of any
characters (1-, 2- and 4-byte strings, a value that is ASCII in a line that is not),
short rows padded with "", and every repeated value of a column one object (except in
a column of values that nearly all differ, which is not deduplicated)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.native import NativeCore
from matchers.rows import Layout, detect_layout
from matchers.tables import TextRows, table_columns

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

# Cells from a small pool (so that values repeat) and from anywhere (surrogates left
# out: a str with one cannot come from decoded text).
_POOL = ["", "山田 太郎", "ヤマダ タロウ", "090-1234-5678", "1980-01-02", "a", "😀x", "Ａ１"]
_CELL = st.one_of(
    st.sampled_from(_POOL),
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters=",\n"),
            max_size=6),
)


@pytest.fixture
def core() -> Iterator[NativeCore]:
    """The native core, also under ``LEAKPRINT_PURE_PYTHON`` (which only unselects it)."""
    with native.use(True):
        assert native.CORE is not None
        yield native.CORE


def _reference(texts: list[str], delim: str, width: int) -> list[list[str]]:
    padded = [t + delim * (width - 1 - t.count(delim)) for t in texts]
    flat = delim.join(padded).split(delim)
    return [flat[j::width] for j in range(width)]


@settings(max_examples=400)
@given(st.lists(st.lists(_CELL, min_size=1, max_size=6), min_size=1, max_size=30),
       st.sampled_from([",", "\t", "|", "、"]))
def test_split_columns_is_the_reference(rows: list[list[str]], delim: str) -> None:
    rows = [[c.replace(delim, "") for c in row] for row in rows]
    texts = [delim.join(row) for row in rows]
    width = max(t.count(delim) for t in texts) + 1
    with native.use(True):
        core = native.CORE
    assert core is not None
    got = core.split_columns(texts, delim, width)
    assert got == _reference(texts, delim, width)
    assert got is not None
    # One object per distinct value of a column.
    for column in got:
        seen: dict[str, int] = {}
        for value in column:
            assert seen.setdefault(value, id(value)) == id(value)
    # With their distinct values, as dict.fromkeys gives them (these columns are short:
    # every one of them is cut with a table).
    both = core.split_columns(texts, delim, width, True)
    assert both is not None
    assert both[0] == got
    assert both[1] == [list(dict.fromkeys(column)) for column in got]
    # And their repeats (None once there are many).
    assert both[2] == [_repeats(column) for column in got]
    for column, repeats in zip(both[0], both[2], strict=True):
        assert all(any(r is v for v in column) for r in repeats or ())
    # Width 0: the cut counts the delimiters itself.
    assert core.split_columns(texts, delim, 0, True) == both
    # A row with more cells than the width is not this table.
    if width > 1:
        assert core.split_columns(texts, delim, width - 1) is None
        assert core.split_columns(texts, delim, width - 1, True) is None


def _repeats(column: list[str]) -> list[str] | None:
    """A column's cells that are not their value's first occurrence, in row order;
    None once they are more than a quarter of the first 512 rows, or of all."""
    seen: set[str] = set()
    again: list[str] = []
    for i, value in enumerate(column):
        if value in seen:
            if (len(again) + 1) * 4 > (512 if i < 512 else len(column)):
                return None
            again.append(value)
        seen.add(value)
    return again


def test_split_columns_rejects_what_it_cannot_cut(core: NativeCore) -> None:
    with pytest.raises(ValueError):
        core.split_columns(["a,b"], ",,", 2)
    with pytest.raises(ValueError):
        core.split_columns(["a,b"], ",", -1)
    with pytest.raises(TypeError):
        core.split_columns(["a,b", 3], ",", 2)  # type: ignore[list-item]
    with pytest.raises(TypeError):
        core.split_columns(["a,b", 3], ",", 0)  # type: ignore[list-item]


@pytest.mark.parametrize("delim", [",", "\t"])
def test_table_columns_same_in_both_cores(delim: str) -> None:
    header = delim.join(["氏名", "電話番号", "住所"])
    rows = [delim.join(["山田 太郎", f"090-1234-{i:04d}", "東京都港区芝公園4-2-8"])
            for i in range(50)]
    rows[7] = "山田 太郎"  # a short row
    rows[9] = ""  # a blank line
    text = "\n".join([header, *rows]) + "\n"
    layout = detect_layout(text)
    with native.use(True):
        fast = table_columns(text, layout, 3)
    with native.use(False):
        slow = table_columns(text, layout, 3)
    assert fast.columns == slow.columns and fast.lines == slow.lines
    assert [fast.cells(i) for i in range(len(fast))] == [slow.cells(i) for i in range(len(slow))]
    assert fast.columns[0][0] is fast.columns[0][1]  # the repeated name, one object


def test_a_column_of_distinct_values_is_cut_without_a_table(core: NativeCore) -> None:
    """Past the first 512 rows, a column whose values nearly all differ is cut as
    plain strs (the same values; no identity), the others stay deduplicated; unless
    the distinct values are asked for."""
    texts = [f"090-{i:04d}-0000,山田 太郎{i % 3}" for i in range(2000)]
    texts[1500] = "090-0000-0000,山田 太郎0"  # a repeat in the distinct column
    got = core.split_columns(texts, ",", 2)
    assert got == _reference(texts, ",", 2)
    assert got is not None
    phones, names = got
    assert phones[1500] == phones[0] and phones[1500] is not phones[0]
    assert len({id(v) for v in names}) == 3
    # Asked for the distinct values, the cut keeps every column's table.
    both = core.split_columns(texts, ",", 2, True)
    assert both is not None
    columns, distinct, repeats = both
    assert columns == got
    assert distinct == [list(dict.fromkeys(phones)), ["山田 太郎0", "山田 太郎1", "山田 太郎2"]]
    assert columns[0][1500] is columns[0][0]
    # The phone column's one repeat; the names repeat in nearly every row: None.
    assert repeats == [["090-0000-0000"], None]
    assert repeats[0] is not None and repeats[0][0] is columns[0][0]


@pytest.mark.parametrize("rows", [1, 31, 32, 33, 200, 700, 3000])
def test_a_table_grows_past_its_first_size(core: NativeCore, rows: int) -> None:
    """The first table is sized to the rows (64 slots up to 1,024); a column whose
    repeats in its first rows kept the table, then turns distinct, grows it."""
    texts = [f"山田 {i % 2 if i < 100 else i},{i % 7}" for i in range(rows)]
    got = core.split_columns(texts, ",", 2)
    assert got == _reference(texts, ",", 2)
    assert got is not None
    names, sevens = got
    assert len({id(v) for v in names}) == len(set(names))
    assert len({id(v) for v in sevens}) == len(set(sevens))
    both = core.split_columns(texts, ",", 2, True)
    assert both is not None
    assert both[1] == [list(dict.fromkeys(names)), list(dict.fromkeys(sevens))]


def test_lists_filled_to_a_bound_are_plain_lists(core: NativeCore) -> None:
    """The distinct values and repeats are made to a bound and trimmed
    (``fingerprints/_fill.h``): they are then lists like any other (grow, shrink,
    compare), and a list left mostly unused gives its memory back."""
    texts = [f"{i},{i % 3}" for i in range(5000)]
    both = core.split_columns(texts, ",", 2, True)
    assert both is not None
    _columns, distinct, repeats = both
    numbers, threes = distinct
    assert threes == ["0", "1", "2"]
    # (3 of 5,000 slots used: the rest given back, not kept as 40 kB of NULLs)
    assert sys.getsizeof(threes) < sys.getsizeof([None] * 100)
    threes.append("3")
    threes += ["4"] * 1000
    del threes[1:]
    assert threes == ["0"] and numbers == [str(i) for i in range(5000)]
    numbers.extend(numbers)
    assert len(numbers) == 10_000 and numbers[9_999] == "4999"
    assert repeats == [[], None]


@pytest.mark.parametrize("widths", [[1, 2, 5, 40, 3], [7, 1, 1, 8], [3, 3, 3], [1]])
def test_width_zero_widens_as_rows_come(core: NativeCore, widths: list[int]) -> None:
    """Width 0: the cut starts from the first row's cells and widens as wider rows
    come (the rows before moved apart, padded with ""); the columns are the reference's
    at the widest row."""
    texts = []
    for i in range(600):
        cells = widths[min(i // 100, len(widths) - 1)]
        texts.append(",".join(f"{i % 5}-{j}" for j in range(cells)))
    width = max(widths)
    got = core.split_columns(texts, ",", 0, True)
    assert got is not None
    assert got[0] == _reference(texts, ",", width)
    assert got[1] == [list(dict.fromkeys(column)) for column in got[0]]
    assert got[2] == [_repeats(column) for column in got[0]]


# Table lines with blank and white-space lines among them, and maybe a header first.
_TEXT_LINE = st.one_of(
    st.lists(_CELL, min_size=1, max_size=5).map(lambda cells: "\x00".join(cells)),
    st.sampled_from(["", "  ", "\t", "\u3000", "\r", " \u3000 "]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_TEXT_LINE, min_size=1, max_size=30), st.sampled_from([",", "\t", "|"]),
       st.sampled_from([None, 0, 1, 3, 4, 5, 7]), st.integers(1, 9))
def test_table_columns_from_the_text_is_the_reference(lines: list[str], delim: str,
                                                      header: int | None,
                                                      first_line: int) -> None:
    """The native cut from the text (``text_columns``) and the reference's cut of the
    text's lines: the same columns, line numbers and rows; each column's distinct
    values and repeats as the cut of its lines gives them."""
    # (No quote: a quoted table is the reference's to cut, line by line.)
    lines = [line.replace(delim, "").replace("\n", "").replace('"', "").replace("\x00", delim)
             for line in lines]
    if header is not None:  # (a header line, after blank lines or others or not)
        lines.insert(min(header, len(lines)), delim.join(["氏名", "電話番号", "住所"]))
    text = "\n".join(lines)
    layout = detect_layout(text)
    if layout.kind != "delimited" or layout.delimiter != delim:
        layout = Layout("delimited", delim, layout.hints if layout.delimiter == delim else None,
                        layout.header if layout.delimiter == delim else None)
    with native.use(True):
        fast = table_columns(text, layout, first_line)
    with native.use(False):
        slow = table_columns(text, layout, first_line)
    assert fast.columns == slow.columns
    assert fast.lines == slow.lines
    assert [fast.cells(i) for i in range(len(fast))] == [slow.cells(i) for i in range(len(slow))]
    if fast.columns:
        assert fast.distinct == [list(dict.fromkeys(column)) for column in fast.columns]
        assert fast.repeats == [_repeats(column) for column in fast.columns]


def test_text_columns_leaves_out_blank_lines_and_the_header(core: NativeCore) -> None:
    text = "氏名,電話\n\n山田,090\n  \n佐藤,080\r\n\u3000\n鈴木\n"
    got = core.text_columns(text, ",", 10, [0])
    assert got is not None
    columns, distinct, repeats, lines, bounds = got
    assert columns == [["山田", "佐藤", "鈴木"], ["090", "080\r", ""]]
    assert distinct == columns and repeats == [[], []]
    assert lines == [12, 14, 16]
    rows = TextRows(text, bounds)
    assert list(rows) == ["山田,090", "佐藤,080\r", "鈴木"]
    assert rows == ["山田,090", "佐藤,080\r", "鈴木"] and rows[-1] == "鈴木"
    with pytest.raises(IndexError):
        rows[3]
    assert core.text_columns("\n \n", ",", 1, []) == ([], [], [], [], b"")
    with pytest.raises(ValueError):
        core.text_columns("a,b", ",", 1, [64])
    with pytest.raises(ValueError):
        core.text_columns("a,b", ",,", 1, [])
