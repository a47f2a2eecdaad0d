"""``summarize`` counts levels and field tuples once each (issue 12: tens of thousands of
record hits per hit-dense chunk); it must say what a walk over every record says:
``bulk``, the finding's confidence, its fields, the records in (row, ref) order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from matchers.confidence import RANK, Confidence, finding_confidence, is_bulk
from matchers.result import Accumulator, ChunkHits, RecordHit, summarize

_KINDS = ("name", "name_kana", "birthdate", "phone", "email", "address", "customer_id")
_LEVELS = (*Confidence, "low", "medium", "high")  # members and the plain strings
_PRIMARY = frozenset({"phone", "email", "customer_id"})

_HIT = st.builds(
    RecordHit,
    row=st.integers(1, 50),
    ref=st.text(alphabet="abc123", min_size=1, max_size=4),
    confidence=st.sampled_from(_LEVELS),
    fields=st.lists(st.sampled_from(_KINDS), min_size=1, max_size=4, unique=True)
    .map(lambda f: tuple(sorted(f))),
)


@given(st.lists(_HIT, max_size=40), st.integers(0, 60), st.integers(0, 60),
       st.sampled_from([None, _PRIMARY, frozenset({"phone"})]))
@settings(max_examples=500, deadline=None)
def test_summarize_says_what_a_walk_over_the_records_says(
    hits: list[RecordHit], primary_candidates: int, matched: int,
    primary_kinds: frozenset[str] | None,
) -> None:
    got = summarize("d", hits, primary_kinds=primary_kinds, primary_candidates=primary_candidates,
                    matched_primary_candidates=matched, snippet="s", snippet_confidence="high",
                    encoding="utf-8", lossy=False, bytes_scanned=1)
    primary = _PRIMARY if primary_kinds is None else primary_kinds
    records = sorted(hits, key=lambda h: (h.row, h.ref))
    bulk = is_bulk(
        medium_or_above_records=sum(RANK[h.confidence] >= RANK["medium"] for h in records),
        primary_records=sum(not primary.isdisjoint(h.fields) for h in records),
        matched_primary_candidates=matched, primary_candidates=primary_candidates)
    assert got.record_hits == records
    assert got.bulk == bulk
    assert got.confidence == finding_confidence([h.confidence for h in records], bulk=bulk)
    assert got.fields == tuple(sorted({f for h in records for f in h.fields}))
    assert got.snippet == ("s" if records else "")


def _merged_one_by_one(parts: list[list[RecordHit]]) -> dict[str, RecordHit]:
    """The accumulator's rule record by record: the reference of ``Accumulator.add``."""
    hits: dict[str, RecordHit] = {}
    for part in parts:
        for h in part:
            mine = hits.get(h.ref)
            if mine is None:
                hits[h.ref] = h
                continue
            higher = (RANK[h.confidence], -h.chance) > (RANK[mine.confidence], -mine.chance)
            if h.fields == mine.fields or set(h.fields) <= set(mine.fields):
                if not higher:
                    continue
                fields = mine.fields
            else:
                fields = tuple(sorted(set(mine.fields) | set(h.fields)))
            best = h if higher else mine
            hits[h.ref] = RecordHit(best.row, h.ref, best.confidence, fields, best.chance,
                                    best.matched, best.why)
    return hits


_hit = st.builds(
    RecordHit,
    row=st.integers(1, 9),
    ref=st.sampled_from([f"C{i}" for i in range(12)]),
    confidence=st.sampled_from(list(Confidence)),
    fields=st.lists(st.sampled_from(["name", "phone", "address", "email"]), min_size=1,
                    max_size=3, unique=True).map(lambda f: tuple(sorted(f))),
    chance=st.sampled_from([1e-9, 1e-3, 0.5]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_hit, max_size=10), max_size=4))
def test_accumulator_takes_new_records_whole_and_merges_the_others(
    parts: list[list[RecordHit]],
) -> None:
    """New records are taken in one step, records seen before (or twice in one part)
    merged one by one: the same records as merging every record hit in turn."""
    acc = Accumulator("customers")
    for part in parts:
        acc.add(ChunkHits(list(part), frozenset(), 0, 0, "", None))
    got = {h.ref: h for h in acc.result().record_hits}
    assert got == _merged_one_by_one(parts)
