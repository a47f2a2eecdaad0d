"""``fingerprints._native.Pair`` (``fingerprints/_pair.c``): the candidate pair that keeps
its hash is, to every dict, set, comparison and copy, the plain ``(kind, canonical)``
tuple (issue 15)."""

from __future__ import annotations

import copy
import dataclasses
import gc
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from matchers.shapes import RowCandidates

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")


def _pair(kind: Any, canonical: Any) -> Any:
    from fingerprints import _native  # type: ignore[attr-defined]

    return _native.Pair(kind, canonical)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=8), st.text(max_size=20), st.text(max_size=8), st.text(max_size=20))
def test_a_pair_is_its_tuple(kind: str, canonical: str, kind2: str, canonical2: str) -> None:
    p, t = _pair(kind, canonical), (kind, canonical)
    q, u = _pair(kind2, canonical2), (kind2, canonical2)
    assert isinstance(p, tuple) and type(p) is not tuple
    assert p == t and t == p and not p != t and hash(p) == hash(t) == hash(p)
    assert (p == q) is (t == u) and (p < q) is (t < u) and (p <= u) is (t <= u)
    assert (hash(p) == hash(q)) is (hash(t) == hash(u))
    assert repr(p) == repr(t) and list(p) == list(t) and p[0] == kind and len(p) == 2
    # either finds the other as a key, and equal Pairs are one key
    assert {t: 1}[p] == 1 and {p: 1}[t] == 1 and {p: 2}[_pair(kind, canonical)] == 2
    assert len({p, t, _pair(kind, canonical)}) == 1
    assert p in {t} and t in {p} and p in [t]


def test_pairs_copy_pickle_and_rebuild_as_pairs() -> None:
    p = _pair("name", "山田 太郎")
    for got in (pickle.loads(pickle.dumps(p)), copy.copy(p), copy.deepcopy(p),
                type(p)(iter(p)), type(p)(["name", "山田 太郎"])):
        assert type(got) is type(p) and got == p and hash(got) == hash(p)
    # dataclasses rebuild the tuples they hold item by item (asdict, astuple)
    rc = RowCandidates(3, [(p, 0)])
    assert dataclasses.astuple(rc)[1] == [(("name", "山田 太郎"), 0)]
    with pytest.raises(TypeError):
        type(p)("a", "b", "c")
    with pytest.raises(TypeError):
        type(p)(["a"])
    with pytest.raises(TypeError):
        type(p)(kind="a", canonical="b")


def test_a_pair_of_str_is_left_to_reference_counting() -> None:
    """Pairs of two str are untracked by the collector, like a plain tuple of str once
    collected; a pair holding a container stays tracked."""
    assert not gc.is_tracked(_pair("name", "x"))
    assert gc.is_tracked(_pair("name", [1]))


def test_column_cells_are_pairs(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The cells of a name column come out of the native kind cells as Pairs (the
    column scan's keys) and give the record hits the plain tuples give."""
    from matchers.candidates import Extractor  # noqa: F401 (the extractor's module)
    from tests.matchers.factories import plan_extractor

    ex = plan_extractor()
    with native.use(True):
        found = ex.cells(["山田 太郎", "佐藤 花子"], "name", cached=False)
    pairs = [pair for res in found.values() for pair in res[0]]
    assert pairs and all(type(pair).__name__ == "Pair" for pair in pairs)
    assert all(pair == tuple(pair) for pair in pairs)
