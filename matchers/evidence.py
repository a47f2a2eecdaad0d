"""Same-record evidence (SPEC 4 step 4).

For every row (or prose window) the hits of its candidates are grouped by the
record they belong to; a record's evidence in that row is the set of *its own*
field kinds found there. One customer's name beside another's address beside a
third's birth date are three records with one field each, never one record
with three. A record's result over a document is its best row (highest
confidence, then most fields), with the union of the kinds seen anywhere.

A row in which some record matched through a primary field (phone, e-mail,
customer id, custom kinds) is *that* record's row: other records matched there
only through supporting fields (a common name, a birth date shared with another
customer) are coincidences and get nothing from it. Where no record has a
primary match, supporting-only matches stay (``low``, or more when several of
one record's fields meet) — but only for a record with some field besides names,
kana and birth dates there (``WEAK_KINDS``): a row of only those names nobody.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field

from matchers.confidence import RANK, WEAK_KINDS, Confidence, field_set, record_confidence
from matchers.probe import Hits
from matchers.shapes import Pair, RowCandidates


@dataclass(slots=True)
class RecordEvidence:
    """The best evidence for one record of the fingerprint set."""

    record: int
    confidence: Confidence
    nfields: int
    line: int
    row_index: int  # index of the best RowCandidates (for the snippet)
    kinds: set[str] = field(default_factory=set)
    # ``kinds`` sorted (what a RecordHit reports), shared between records.
    fields: tuple[str, ...] = ()


def collect(
    rows: Sequence[RowCandidates],
    hits: Mapping[Pair, Hits],
    primary: Set[str],
) -> dict[int, RecordEvidence]:
    """Per record (set row), its best row evidence and all kinds seen.

    Runs for every row with a hit, so kinds are handled as bit masks: a record's
    kinds in a row are OR-ed together, and each distinct mask is scored once.
    """
    bits: dict[str, int] = {}
    primary_bits = 0  # the bits of primary kinds
    strong_bits = 0  # the bits of kinds outside WEAK_KINDS
    kinds_of: list[str] = []
    # Per value: its records with their kind bits, and all its bits, converted once.
    masked: dict[Pair, tuple[dict[int, int], int]] = {}
    # mask -> (confidence, number of fields, rank key)
    scored: dict[int, tuple[Confidence, int, int]] = {}
    state: dict[int, _Best] = {}
    for ri, rc in enumerate(rows):
        resolved: list[tuple[dict[int, int], int]] = []
        row_bits = 0
        for pair, _where in rc.found:
            known = masked.get(pair)
            if known is None:
                records: dict[int, int] = {}
                pair_bits = 0
                for record, kind in hits[pair]:
                    b = bits.get(kind)
                    if b is None:
                        b = bits[kind] = 1 << len(kinds_of)
                        kinds_of.append(kind)
                        if kind in primary:
                            primary_bits |= b
                        if kind not in WEAK_KINDS:
                            strong_bits |= b
                    records[record] = records.get(record, 0) | b
                    pair_bits |= b
                known = masked[pair] = (records, pair_bits)
            if known[1]:
                resolved.append(known)
                row_bits |= known[1]
        if not row_bits & strong_bits:
            continue  # nothing but names and birth dates: no evidence of anyone
        per: dict[int, int] = {}
        if row_bits & primary_bits:
            # SPEC 4 steps 3-5: where some record matched through a primary field,
            # records matched there only through supporting fields are coincidences
            # (another customer with the same name), not hits of this row. So only
            # those records are followed (a common name hits dozens of others).
            for records, pair_bits in resolved:
                if pair_bits & primary_bits:
                    for record, b in records.items():
                        if b & primary_bits:
                            per[record] = 0
            for records, _bits in resolved:
                for record in per:
                    b = records.get(record)
                    if b:
                        per[record] |= b
        else:
            for records, _bits in resolved:
                get = per.get
                for record, b in records.items():
                    per[record] = get(record, 0) | b
            per = {r: m for r, m in per.items() if m & strong_bits}
        line = rc.line
        for record, mask in per.items():
            # Few distinct kind combinations occur: score each one once.
            score = scored.get(mask)
            if score is None:
                key = frozenset(k for i, k in enumerate(kinds_of) if mask >> i & 1)
                conf = record_confidence(key, primary)
                nfields = len(field_set(key, primary))
                score = scored[mask] = (conf, nfields, RANK[conf] * 1024 + nfields)
            st = state.get(record)
            if st is None:
                state[record] = _Best(score, mask, line, ri)
            else:
                st.mask |= mask
                if score[2] > st.score[2]:
                    st.score, st.line, st.row_index = score, line, ri
    best: dict[int, RecordEvidence] = {}
    names: dict[int, tuple[str, ...]] = {}
    for record, st in state.items():
        fields = names.get(st.mask)
        if fields is None:
            fields = names[st.mask] = tuple(
                sorted(k for i, k in enumerate(kinds_of) if st.mask >> i & 1)
            )
        conf, nfields, _key = st.score
        best[record] = RecordEvidence(
            record, conf, nfields, st.line, st.row_index, set(fields), fields
        )
    return best


class _Best:
    """A record's best row so far, and the kinds seen in any row (as a bit mask)."""

    __slots__ = ("line", "mask", "row_index", "score")

    def __init__(
        self, score: tuple[Confidence, int, int], mask: int, line: int, row_index: int
    ) -> None:
        self.score = score
        self.mask = mask
        self.line = line
        self.row_index = row_index


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
