"""The native ``first_rows`` (``fingerprints/_rows.c``) against ``matchers.columns.
first_rows`` (issue 15): the same rows scored, with the same hits, in the same order.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from matchers.columnrefs import first_rows, rows_with

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
