"""The native ``address_cells`` (``fingerprints/_native_address_cells.h``): the cells
of an address column that ``Extractor._hinted`` decides by the address key alone. A
cell it decides must get exactly what the Python path gives it; a cell it cannot
decide goes back to the Python path (``rest``), never a different answer.

(``tests/matchers/test_columns.py``'s hinted-column tests hold whole columns, under
the native core, to ``Extractor._cell`` per value as well.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from tests.matchers.factories import Customer, plan_extractor, vary

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

@pytest.fixture
def core() -> Iterator[native.NativeCore]:
    with native.use(True):
        assert native.CORE is not None
        yield native.CORE


def _python(values: list[str]) -> dict[str, object]:
    """What the Python path (no native core) finds in each value of an address column."""
    with native.use(False):
        return dict(plan_extractor().cells(values, "address"))


def _check(core: native.NativeCore, values: list[str]) -> tuple[dict[str, object], list[str]]:
    decided, rest = core.address_cells(values, "address", 800)
    want = _python(values)
    assert sorted([*decided, *rest]) == sorted(values)
    for value, res in decided.items():
        assert want.get(value) == res, value
    return decided, rest


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 199), st.integers(0, 63)), max_size=10),
    st.lists(st.text(alphabet=st.sampled_from(
        "0123456789０１２-ー－―〒@＠ 　\u200b\n東京都港区芝公園丁目番地号の之ノ一二三四五十百"
        "北条第地割ABC😀é"), max_size=30), max_size=20),
)
def test_decided_cells_get_what_python_gives(
    customers: list[Customer], picks: list[tuple[int, int]], noise: list[str],
) -> None:
    values = list(dict.fromkeys([vary(customers[i], k)["address"] for i, k in picks] + noise))
    with native.use(True):
        assert native.CORE is not None
        _check(native.CORE, values)


@pytest.mark.parametrize(("cell", "decided"), [
    ("東京都港区芝公園4丁目2番8号", True),
    ("東京都港区芝公園四丁目二番八号", True),
    ("  東京都港区芝公園4-2-8  ", True),
    ("東京都 港区 芝公園 4-2-8", True),        # white space squeezed out of the town
    ("地十三 ー芝1", True),                     # ... and the second pass changes the key
    ("1一二 号2公港二東3", False),              # ... to None
    ("〒105-0011 東京都港区芝公園4-2-8", False),  # ten digits in all: left to Python
    ("東京都港区芝公園4-2-8 TEL 0312345678", False),  # ten digits: a phone may be in it
    ("東京都港区芝公園4-2-8 a@b.jp", False),  # '@'
    ("東京都港区芝公園😀4-2-8", False),         # a character C does not prepare
    ("東京都港区\n芝公園4-2-8", False),         # a line break inside
    ("", False),
    ("芝公園", False),                           # no block number: no key
    ("東京都港区芝公園4-2-8" * 40, False),       # longer than a cell can be
])
def test_address_cells_table(core: native.NativeCore, cell: str, decided: bool) -> None:
    got, rest = _check(core, [cell])
    assert (cell in got) is decided
    assert (cell in rest) is not decided
