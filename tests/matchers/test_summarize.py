"""``summarize`` counts levels and field tuples once each (issue 12: tens of thousands of
record hits per hit-dense chunk); it must say what a walk over every record says:
``bulk``, the finding's confidence, its fields, the records in (row, ref) order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from matchers.confidence import RANK, Confidence, finding_confidence, is_bulk
from matchers.result import RecordHit, summarize

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
