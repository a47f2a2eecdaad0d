"""``slots_objects`` (``matchers.shapes``; native ``fingerprints/_objects.c``) makes the
same objects as calling the class: the record hits, record evidence and scored rows of
a hit-dense chunk (issue 15)."""

from __future__ import annotations

import dataclasses
import gc
import sys
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from matchers.confidence import Confidence
from matchers.evidencecore import RecordEvidence
from matchers.result import RecordHit
from matchers.shapes import RowCandidates, slots_objects

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

_hits = st.lists(st.tuples(st.integers(), st.text(max_size=6), st.sampled_from(list(Confidence)),
                           st.tuples(st.text(max_size=4)), st.floats(allow_nan=False),
                           st.tuples(), st.text(max_size=8)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(_hits)
def test_record_hits_are_the_constructors(rows: list[tuple[object, ...]]) -> None:
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(7)]
    for core in (True, False):
        with native.use(core):
            got = slots_objects(RecordHit, *columns)
        assert got == [RecordHit(*row) for row in rows]  # type: ignore[arg-type]
        assert all(type(h) is RecordHit for h in got)


def test_record_evidence_and_rows_are_the_constructors() -> None:
    kinds = frozenset({"address", "name"})
    evidence = [(i, Confidence.LOW, 2, 10 + i, i, kinds, ("address", "name"), 0.25,
                 ("address",), "why") for i in range(5)]
    columns = [list(c) for c in zip(*evidence, strict=True)]
    with native.use(True):
        got = slots_objects(RecordEvidence, *columns)
    assert got == [RecordEvidence(*e) for e in evidence]
    assert [dataclasses.astuple(e) for e in got] == [
        dataclasses.astuple(RecordEvidence(*e)) for e in evidence]
    with native.use(True):
        rows = slots_objects(RowCandidates, [3, 4], [[], [(("name", "x"), 1)]], [None] * 2,
                             [None] * 2, [None] * 2, [None, None])
    assert rows == [RowCandidates(3, []), RowCandidates(4, [(("name", "x"), 1)])]
    # each object holds one reference to its values (the columns can go, and nothing
    # is left behind when the objects go), and the collector sees them
    value: list[object] = []
    alone = sys.getrefcount(value)
    column = [value, value]
    with native.use(True):
        made = slots_objects(RowCandidates, [1, 2], column, [None] * 2, [None] * 2,
                             [None] * 2, [None] * 2)
    del column
    assert sys.getrefcount(value) == alone + 2
    assert all(rc.found is value for rc in made) and all(map(gc.is_tracked, made))
    del made
    assert sys.getrefcount(value) == alone


@dataclass(slots=True)
class _Checked:
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("negative")


@dataclass
class _NoSlots:
    value: int


def test_classes_with_more_than_stores_are_called() -> None:
    """A ``__post_init__`` or a class without slots: the class is called as it is."""
    with native.use(True):
        assert slots_objects(_Checked, [1, 2]) == [_Checked(1), _Checked(2)]
        with pytest.raises(ValueError):
            slots_objects(_Checked, [1, -1])
        assert slots_objects(_NoSlots, [5]) == [_NoSlots(5)]


def test_native_slots_objects_refuses_what_it_cannot_fill() -> None:
    from fingerprints import _native  # type: ignore[attr-defined]

    with pytest.raises(TypeError):
        _native.slots_objects(RecordHit, ("row", "nonesuch"), ([1], [2]))
    with pytest.raises(TypeError):
        _native.slots_objects(_NoSlots, ("value",), ([1],))
    with pytest.raises(ValueError):
        _native.slots_objects(RecordHit, ("row", "ref"), ([1, 2], ["a"]))
    with pytest.raises(ValueError):
        _native.slots_objects(RecordHit, ("row",), ([1], [2]))
    with pytest.raises(TypeError):
        _native.slots_objects(int, ("real",), ([1],))
