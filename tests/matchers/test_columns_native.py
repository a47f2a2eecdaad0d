"""The native ``column_hits`` (``fingerprints/_columns.c``) gives exactly what
``matchers.columns.column_hits`` gives: the same cells in the same order, the same
candidates in each, the same strong cells and primary counts (issue 15)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from matchers.columns import column_hits
from matchers.confidence import WEAK_KINDS
from matchers.probe import NO_HITS, Common, Hits
from matchers.shapes import CellResult, Pair

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

KINDS = ("phone", "email", "name", "name_kana", "birthdate", "postal_code", "address")
PAIRS: list[Pair] = [(k, f"v{i}") for k in KINDS for i in range(3)]
pair = st.sampled_from(PAIRS)


@st.composite
def cell(draw: st.DrawFn) -> CellResult:
    pairs = tuple(draw(st.lists(pair, min_size=1, max_size=4)))
    return pairs, draw(st.integers(0, len(pairs))), draw(st.sampled_from(["", "name", "phone"]))


@settings(max_examples=300, deadline=None)
@given(
    found=st.dictionaries(st.text(min_size=1, max_size=3), cell(), max_size=25),
    hit=st.dictionaries(pair, st.sampled_from(["records", "common"]), max_size=len(PAIRS)),
    j=st.integers(0, 12),
)
def test_native_column_hits_is_the_reference(
    found: dict[str, CellResult], hit: dict[Pair, str], j: int
) -> None:
    hits: dict[Pair, Hits] = {p: NO_HITS for p in PAIRS}
    for p, how in hit.items():
        hits[p] = Common(p[0], 50, 1) if how == "common" else ((1, p[0]),)
    hit_set = set(hit)
    want = column_hits(found, hit_set, hits, j, WEAK_KINDS)
    core = native._BUILT
    assert core is not None
    got = core.column_hits(found, hit_set, hits, j, WEAK_KINDS)
    assert got == want
    assert list(got[0]) == list(want[0])  # the cells in the column's order
