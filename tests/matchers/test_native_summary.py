"""A result's record hits in report order and the summary's counts of them: the native
``sorted_counts`` (``fingerprints/_summary.c``) against the reference sort and Counters
of ``matchers.result.sorted_counted`` (issue 12)."""

from __future__ import annotations

from collections import Counter
from operator import attrgetter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from matchers.confidence import Confidence
from matchers.result import RecordHit, sorted_counted, summarize

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

KEYS = ("row", "ref")
COUNTED = ("confidence", "fields")


def _core() -> Any:
    from fingerprints import _native  # type: ignore[attr-defined]

    return _native


def _reference(items: list[RecordHit]) -> tuple[list[RecordHit], list[Counter[Any]]]:
    records = sorted(items, key=attrgetter(*KEYS))
    return records, [Counter(map(attrgetter(name), records)) for name in COUNTED]


def _same(native_out: Any, items: list[RecordHit]) -> None:
    """The same objects in the same order, and counts with the same key objects, in
    the same order, with the same counts."""
    records, counts = native_out
    ref_records, ref_counts = _reference(items)
    assert list(map(id, records)) == list(map(id, ref_records))
    for got, want in zip(counts, ref_counts, strict=True):
        assert list(got.items()) == list(want.items())
        assert list(map(id, got)) == list(map(id, want))


# Levels as the members and as plain strings (equal, and hashed alike); field tuples
# from a small pool, each also as an equal tuple that is another object.
LEVELS = [Confidence.LOW, Confidence.MEDIUM, Confidence.HIGH, "low", "high"]
FIELD_POOL = [("address",), ("name", "phone"), ("email", "name", "postal_code"), ()]


@st.composite
def record_hits(draw: st.DrawFn) -> list[RecordHit]:
    n = draw(st.integers(0, 120))
    rows = st.one_of(st.integers(0, 6), st.integers(-(2**63), 2**63 - 1))
    refs = st.one_of(st.sampled_from(["C1", "C10", "C2", "c1", ""]),
                     st.text(max_size=6))  # non-ASCII refs too (a set's refs are any text)
    out = []
    for _ in range(n):
        fields = draw(st.sampled_from(FIELD_POOL))
        if draw(st.booleans()):
            fields = tuple(list(fields))  # equal, another object (but for ())
        out.append(RecordHit(draw(rows), draw(refs), draw(st.sampled_from(LEVELS)), fields))
    return out


@given(items=record_hits())
@settings(max_examples=400, deadline=None)
def test_sorted_counts_is_the_reference(items: list[RecordHit]) -> None:
    _same(_core().sorted_counts(RecordHit, items, KEYS, COUNTED), items)


def test_equal_keys_keep_their_order_across_merges() -> None:
    """Stability where the sort merges runs (more than 32 items of one key)."""
    items = [RecordHit(i % 3, "C" + str(i % 2), Confidence.LOW, ("address",))
             for i in range(500)]
    _same(_core().sorted_counts(RecordHit, items, KEYS, COUNTED), items)


def test_nearly_sorted_input() -> None:
    """What a scan hands over: ascending rows, each row's refs in any order."""
    items = [RecordHit(i // 5, f"C{(i * 7919) % 1000:06d}", Confidence.LOW, ("address",))
             for i in range(5000)]
    items[100], items[4000] = items[4000], items[100]
    _same(_core().sorted_counts(RecordHit, items, KEYS, COUNTED), items)


class _Other(RecordHit):
    __slots__ = ()


@pytest.mark.parametrize("bad", [
    RecordHit(2**63, "C1", "low", ()),            # a row past 64 bits
    RecordHit(True, "C1", "low", ()),             # not an exact int
    RecordHit(1, type("S", (str,), {})("C1"), "low", ()),  # not an exact str
    RecordHit(1.0, "C1", "low", ()),  # type: ignore[arg-type]
    _Other(1, "C1", "low", ()),                   # another class
])
def test_what_it_cannot_read_falls_back(bad: RecordHit) -> None:
    items = [RecordHit(1, "C0", "low", ()), bad]
    assert _core().sorted_counts(RecordHit, items, KEYS, COUNTED) is None
    with native.use(True):
        records, levels, _fields = sorted_counted(items)
    assert records == sorted(items, key=attrgetter(*KEYS))
    assert levels == {"low": 2}


def test_an_unset_slot_falls_back() -> None:
    hit = RecordHit(1, "C1", "low", ())
    del hit.fields
    assert _core().sorted_counts(RecordHit, [hit], KEYS, COUNTED) is None


def test_a_slot_that_is_not_one_is_refused() -> None:
    with pytest.raises(TypeError):
        _core().sorted_counts(RecordHit, [], ("row", "nope"), COUNTED)


@given(items=record_hits())
@settings(max_examples=100, deadline=None)
def test_summarize_is_the_same_on_both_cores(items: list[RecordHit]) -> None:
    kwargs: dict[str, Any] = dict(primary_kinds=None, primary_candidates=30,
                                  matched_primary_candidates=20, snippet="s",
                                  snippet_confidence="low", encoding="utf-8", lossy=False,
                                  bytes_scanned=10)
    with native.use(True):
        a = summarize("d", iter(items), **kwargs)
    with native.use(False):
        b = summarize("d", iter(items), **kwargs)
    assert a == b
    assert list(map(id, a.record_hits)) == list(map(id, b.record_hits))


def test_at_most_four_counted_names() -> None:
    with pytest.raises(ValueError):
        _core().sorted_counts(RecordHit, [], KEYS, ("row", "ref", "confidence", "fields", "why"))
