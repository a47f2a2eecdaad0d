"""Same-record evidence (SPEC 4 step 4).

For every row (or prose window) the hits of its candidates are grouped by the
record they belong to; a record's evidence in that row is the set of *its own*
field kinds found there. One customer's name beside another's address beside a
third's birth date are three records with one field each, never one record
with three. A record's result over a document is its best row (highest
confidence, then most fields), with the union of the kinds seen anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field

from matchers.candidates import Pair, RowCandidates
from matchers.confidence import RANK, Confidence, field_set, record_confidence
from matchers.probe import Hits


@dataclass(slots=True)
class RecordEvidence:
    """The best evidence for one record of the fingerprint set."""

    record: int
    confidence: Confidence
    nfields: int
    line: int
    row_index: int  # index of the best RowCandidates (for the snippet)
    kinds: set[str] = field(default_factory=set)


def collect(
    rows: Sequence[RowCandidates],
    hits: Mapping[Pair, Hits],
    primary: Set[str],
) -> dict[int, RecordEvidence]:
    """Per record (set row), its best row evidence and all kinds seen."""
    best: dict[int, RecordEvidence] = {}
    memo: dict[frozenset[str], tuple[Confidence, int]] = {}
    for ri, rc in enumerate(rows):
        per: dict[int, set[str]] | None = None
        for pair, _where in rc.found:
            h = hits[pair]
            if not h:
                continue
            if per is None:
                per = {}
            for record, kind in h:
                ks = per.get(record)
                if ks is None:
                    per[record] = {kind}
                else:
                    ks.add(kind)
        if per is None:
            continue
        line = rc.line
        for record, kinds in per.items():
            # Few distinct kind combinations occur: score each one once.
            key = frozenset(kinds)
            scored = memo.get(key)
            if scored is None:
                scored = memo[key] = (
                    record_confidence(key, primary),
                    len(field_set(key, primary)),
                )
            conf, nfields = scored
            ev = best.get(record)
            if ev is None:
                best[record] = RecordEvidence(record, conf, nfields, line, ri, set(kinds))
                continue
            ev.kinds |= kinds
            if (RANK[conf], nfields) > (RANK[ev.confidence], ev.nfields):
                ev.confidence, ev.nfields, ev.line, ev.row_index = conf, nfields, line, ri
    return best


def matched_cells(
    rc: RowCandidates, hits: Mapping[Pair, Hits], records: Set[int]
) -> dict[int, str]:
    """Cell (or prose offset) -> kind, for the candidates of ``rc`` that hit ``records``."""
    out: dict[int, str] = {}
    for pair, where in rc.found:
        for record, kind in hits[pair]:
            if record in records:
                out.setdefault(where, "name" if kind == "name_folded" else kind)
    return out
