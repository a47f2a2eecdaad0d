"""The native ``first_rows`` (``fingerprints/_rows.c``) against ``matchers.columns.
first_rows`` (issue 15): the same rows scored, with the same hits, in the same order.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from matchers.columnrefs import first_rows, rows_with
from matchers.columns import _in_rows

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

_VALUES = ["", "a", "b", "山田", "090", "x@y.jp", "1990-01-01", "東京都1-2-3"]


Hit = tuple[tuple[str, str], int]
Table = tuple[list[list[str]], list[dict[str, list[Hit]]], list[set[str] | None]]


@st.composite
def tables(draw: st.DrawFn) -> Table:
    n = draw(st.integers(0, 40))
    ncols = draw(st.integers(1, 4))
    columns = [draw(st.lists(st.sampled_from(_VALUES), min_size=n, max_size=n))
               for _ in range(ncols)]
    cells: list[dict[str, list[Hit]]] = []
    strong: list[set[str] | None] = []
    for j in range(ncols):
        hit = draw(st.sets(st.sampled_from(_VALUES)))
        # one list per value, as column_hits makes them; one to three hits each
        cells.append({v: [(("kind", f"{v}{k}"), j) for k in range(1 + len(v) % 3)]
                      for v in sorted(hit)})
        strong_values = draw(st.sets(st.sampled_from(sorted(hit)))) if hit else set()
        strong.append(strong_values or None)
    return columns, cells, strong


@given(tables())
@settings(max_examples=500, deadline=None)
def test_native_first_rows_are_the_reference(table: Table) -> None:
    from fingerprints import _native  # type: ignore[attr-defined]

    columns, cells, strong = table
    assert _native.first_rows(columns, cells, strong) == first_rows(columns, cells, strong)


@given(tables())
@settings(max_examples=500, deadline=None)
def test_first_rows_of_the_rows_with_a_strong_cell(table: Table) -> None:
    """Given the rows with a strong cell (as the column scan has them from rows_with),
    the same rows scored with the same hits as when they are found from the sets."""
    from fingerprints import _native  # type: ignore[attr-defined]

    columns, cells, strong = table
    want = first_rows(columns, cells, strong)
    rows = rows_with(columns, strong)
    assert first_rows(columns, cells, strong, rows) == want
    assert _native.first_rows(columns, cells, strong, rows) == want
    assert _native.first_rows(columns, cells, strong, _native.rows_with(columns, strong)) == want


def test_first_rows_cases() -> None:
    from fingerprints import _native  # type: ignore[attr-defined]

    a, b = [(("phone", "+8190"), 0)], [(("name", "山田"), 1)]
    columns = [["090", "090", "", "090", "091"], ["山田", "山田", "山田", "", "山田"]]
    cells = [{"090": a, "091": [(("phone", "+8191"), 0)]}, {"山田": b}]
    strong: list[set[str] | None] = [{"090", "091"}, None]
    want = ([0, 3, 4], [a + b, a, [(("phone", "+8191"), 0), *b]])
    assert first_rows(columns, cells, strong) == want
    assert _native.first_rows(columns, cells, strong) == want
    # no strong cell in any row: nothing is scored
    assert _native.first_rows(columns, cells, [None, None]) == ([], [])
    with pytest.raises(ValueError):
        _native.first_rows([["a"], ["a", "b"]], [{}, {}], [None, None])
    # rows given: only those are scored, and they must ascend within the columns
    assert _native.first_rows(columns, cells, strong, [3, 4]) == ([3, 4], want[1][1:])
    for bad in ([4, 3], [5], [-1], [1, 1]):
        with pytest.raises(ValueError):
            _native.first_rows(columns, cells, strong, bad)
    with pytest.raises(TypeError):
        _native.first_rows(columns, cells, strong, (0,))


@given(tables())
@settings(max_examples=300, deadline=None)
def test_native_rows_with_is_the_reference(table: Table) -> None:
    from fingerprints import _native  # type: ignore[attr-defined]

    columns, _cells, strong = table
    assert _native.rows_with(columns, strong) == rows_with(columns, strong)


def test_rows_with_cases() -> None:
    from fingerprints import _native  # type: ignore[attr-defined]

    columns = [["090", "091", "", "090"], ["a", "b", "c", "d"]]
    for find in (_native.rows_with, rows_with):
        assert find(columns, [{"090"}, {"c"}]) == [0, 2, 3]
        assert find(columns, [None, {"b", "d"}]) == [1, 3]
        assert find(columns, [None, None]) == []
        assert find(columns, [set(), {"zz"}]) == []
    with pytest.raises(TypeError):
        _native.rows_with(columns, [["090"], None])
    with pytest.raises(ValueError):
        _native.rows_with(columns, [None])


def _copy(s: str) -> str:
    """An equal str that is another object (one-character strs are shared: padded)."""
    return (s + "\x00")[:-1]


@st.composite
def cut_tables(draw: st.DrawFn) -> tuple[list[list[str]], list[list[str]]]:
    """Columns and their distinct values as the native cut makes them (equal cells one
    object), from a text of ``n`` rows (a first column numbers them: no blank line)."""
    from fingerprints import _native  # type: ignore[attr-defined]

    n = draw(st.integers(1, 40))
    ncols = draw(st.integers(1, 3))
    rows = [[f"r{i}"] + [draw(st.sampled_from(_VALUES)) for _ in range(ncols)] for i in range(n)]
    cut = _native.text_columns("\n".join(map(",".join, rows)), ",", 1, [])
    assert cut is not None
    columns, distinct = cut[0], cut[1]
    return columns, distinct


@given(cut_tables(), st.data())
@settings(max_examples=300, deadline=None)
def test_native_rows_with_by_address_is_the_reference(
    table: tuple[list[list[str]], list[list[str]]], data: st.DataObject
) -> None:
    """Given a cut table's distinct values, a set of the column's own objects is tested
    by address; a set holding an equal str that is another object, by value: the rows
    are the reference's either way."""
    from fingerprints import _native  # type: ignore[attr-defined]

    columns, distinct = table
    sets: list[set[str] | None] = []
    for values in distinct:
        picked = data.draw(st.lists(st.sampled_from(values), unique=True))
        copy_first: bool = data.draw(st.booleans())
        if picked and copy_first:
            picked[0] = _copy(picked[0])
        if data.draw(st.booleans()):
            picked.append("not a cell")
        sets.append(set(picked) or None)
    want = rows_with(columns, sets)
    assert _native.rows_with(columns, sets, distinct) == want
    assert _native.rows_with(columns, sets, None) == want


@given(cut_tables(), st.data())
@settings(max_examples=300, deadline=None)
def test_native_in_rows_is_the_reference(
    table: tuple[list[list[str]], list[list[str]]], data: st.DataObject
) -> None:
    """The values of a cut column in the given rows, compared by address; None (the
    caller looks them up by value) when a value is not one of the column's objects."""
    from fingerprints import _native  # type: ignore[attr-defined]

    columns, distinct = table
    j = data.draw(st.integers(0, len(columns) - 1))
    column = columns[j]
    values = data.draw(st.permutations(distinct[j]))
    rows = sorted(data.draw(st.sets(st.integers(0, len(column) - 1))))
    want = [v for v in values if any(column[i] == v for i in rows)]
    assert _native.in_rows(values, column, rows, distinct[j]) == want
    if values and len(rows) < len(column) and len(values[0]) > 0:
        # (an empty str is one object in CPython: its copy is itself)
        assert _native.in_rows([_copy(values[0]), *values[1:]], column, rows,
                               distinct[j]) is None
    assert _in_rows(values, column, rows, distinct[j]) == want
    assert _in_rows(values, column, rows) == want


def test_in_rows_outside_the_column() -> None:
    from fingerprints import _native  # type: ignore[attr-defined]

    with pytest.raises(IndexError):
        _native.in_rows(["a"], ["a", "b"], [2], ["a", "b"])
