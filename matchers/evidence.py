"""Same-record evidence (SPEC 4 step 4).

For every row (or prose window) the hits of its candidates are grouped by the
record they belong to; a record's evidence in that row is the set of *its own*
field kinds found there. One customer's name beside another's address beside a
third's birth date are three records with one field each, never one record
with three. A record's result over a document is its best row (highest
level, then the smallest chance of a coincidental tie: ``matchers.chance``),
with the union of the kinds seen anywhere.

Work per row is bounded (issue 12): a value held by more than
``POSTINGS_CAP`` records comes from the probe as :class:`Common`, never
expanded; a row's candidate records are those its rarer values name, and the
common values are checked against each candidate's own field keys.

A row in which some record matched through a primary field (phone, e-mail,
customer id, custom kinds) is *that* record's row: other records matched there
only through supporting fields (a common name, a birth date shared with another
customer) are coincidences and get nothing from it. Where no record has a
primary match, supporting-only matches stay (``low``, or more when several of
one record's fields meet) — but only for a record with some field besides names,
kana, birth dates and postal codes there (``WEAK_KINDS``): a row of only those
names nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, Sequence, Set
from itertools import compress
from operator import attrgetter, neg

from fingerprints import native
from fingerprints.normalizers import shown_kind
from matchers.chance import explain, level_of, log_chance, rules, value_weight
from matchers.confidence import NAME, NAME_FOLDED, RANK, WEAK_KINDS, Confidence, field_set
from matchers.evidencecore import (
    FEW_RECORDS,
    EvidenceColumns,
    RecordEvidence,
    columns_native,
    kinds_named,
    sorted_fields,
)
from matchers.probe import Common, Hits, KeyArrays
from matchers.shapes import Pair, RowCandidates

__all__ = ["FEW_RECORDS", "RecordEvidence", "best_evidence", "collect", "matched_cells"]

_NO_KEYS: frozenset[object] = frozenset()
_MISS: tuple[str, object, int, str, float] = ("r", {}, 0, "", 0.0)


def _no_keys(_row: int) -> Container[object]:
    return _NO_KEYS


def collect(
    rows: Sequence[RowCandidates],
    hits: Mapping[Pair, Hits],
    primary: Set[str],
    *,
    records: int = 0,
    record_keys: Callable[[int], Container[object]] = _no_keys,
    key_arrays: KeyArrays | None = None,
) -> dict[int, RecordEvidence]:
    """Per record (set row), its best row evidence and all kinds seen.

    ``records`` is the number of records in the set (``N`` of the chance model;
    0: the highest record row seen + 1). ``record_keys`` gives the keys of a
    record's fields, to tie a value too common to have been expanded into its
    records (:class:`matchers.probe.Common`) to the rows' candidate records;
    ``key_arrays``, when given, are the same keys as the exact index holds them
    (:func:`matchers.probe.record_key_arrays`), which the native loop reads
    without a call per record.
    Kinds are handled as bit masks; a record's kinds in a row are OR-ed together.

    The row loop runs in the native core when it is in use
    (:func:`matchers.evidencecore.columns_native`); this module's loop is its
    reference.
    """
    got = _collected(rows, hits, primary, records, record_keys, key_arrays)
    return got.evidence() if isinstance(got, EvidenceColumns) else got


def collect_columns(
    rows: Sequence[RowCandidates],
    hits: Mapping[Pair, Hits],
    primary: Set[str],
    *,
    records: int = 0,
    record_keys: Callable[[int], Container[object]] = _no_keys,
    key_arrays: KeyArrays | None = None,
) -> EvidenceColumns:
    """:func:`collect` as columns, one item per record in the same order: what a scan
    reads of a chunk's records, without a RecordEvidence each when the native core
    ties the rows."""
    got = _collected(rows, hits, primary, records, record_keys, key_arrays)
    return got if isinstance(got, EvidenceColumns) else EvidenceColumns.of(got)


def _collected(
    rows: Sequence[RowCandidates],
    hits: Mapping[Pair, Hits],
    primary: Set[str],
    records: int,
    record_keys: Callable[[int], Container[object]],
    key_arrays: KeyArrays | None,
) -> EvidenceColumns | dict[int, RecordEvidence]:
    """The native core's columns, or the reference loop's records."""
    if records <= 0:
        records = 1 + max(
            (r for h in hits.values() for r, _k in h), default=0
        )
    core = native.CORE
    if core is not None:
        got = columns_native(core, rows, hits, primary, records, key_arrays or record_keys)
        if got is not None:
            return got
    return _collect_python(rows, hits, primary, records, record_keys)


def _collect_python(
    rows: Sequence[RowCandidates],
    hits: Mapping[Pair, Hits],
    primary: Set[str],
    records: int,
    record_keys: Callable[[int], Container[object]],
) -> dict[int, RecordEvidence]:
    bits: dict[str, int] = {}
    primary_bits = 0  # the bits of primary kinds
    strong_bits = 0  # the bits of kinds outside WEAK_KINDS
    kinds_of: list[str] = []
    # Per value: ('r', {record: bits}, bits, kind, weight) for values whose records
    # were read, ('c', key, bit, kind, weight) for common ones.
    resolved_of: dict[Pair, tuple[str, object, int, str, float]] = {}
    # mask -> (fields, drop the folded name's weight, low at most, medium at least)
    shapes: dict[int, tuple[frozenset[str], bool, bool, bool]] = {}
    state: dict[int, _Best] = {}

    def bit_of(kind: str) -> int:
        nonlocal primary_bits, strong_bits
        b = bits.get(kind)
        if b is None:
            b = bits[kind] = 1 << len(kinds_of)
            kinds_of.append(kind)
            if kind in primary:
                primary_bits |= b
            if kind not in WEAK_KINDS:
                strong_bits |= b
        return b

    for ri, rc in enumerate(rows):
        rare: list[tuple[dict[int, int], int, str, float]] = []
        common: list[tuple[object, int, str, float]] = []
        row_bits = 0
        for pair, _where in rc.found:
            known = resolved_of.get(pair)
            if known is None:
                h = hits[pair]
                if not h:
                    # A miss (most candidates of a prose window): no bits, no weight.
                    resolved_of[pair] = _MISS
                    continue
                if isinstance(h, Common):
                    b = bit_of(h.kind)
                    known = ("c", h.key, b, h.kind, value_weight(h.kind, h.records, records))
                else:
                    recs: dict[int, int] = {}
                    pair_bits = 0
                    for record, kind in h:
                        b = bit_of(kind)
                        recs[record] = recs.get(record, 0) | b
                        pair_bits |= b
                    kind = h[0][1] if h else pair[0]
                    known = ("r", recs, pair_bits, kind, value_weight(kind, len(h), records))
                resolved_of[pair] = known
            tag, data, pbits, kind, w = known
            if not pbits:
                continue
            row_bits |= pbits
            if tag == "c":
                common.append((data, pbits, kind, w))
            else:
                rare.append((data, pbits, kind, w))  # type: ignore[arg-type]
        if not row_bits & strong_bits:
            continue  # nothing but names, birth dates, postal codes: no evidence of anyone
        # Candidate records: only those the row's rare values of a kind that can be
        # reported name (a value held by thousands is never expanded, and a record
        # hit only through names, birth dates or postal codes is never reported, so
        # those values do not propose candidates: they are checked against them).
        # Where some record matched through a primary field, only those records
        # (SPEC 4 steps 3-5: the others there are namesakes).
        has_primary = bool(row_bits & primary_bits)
        wanted = primary_bits if has_primary else strong_bits
        per: dict[int, int] = {}
        for recs, pb, _k, _w in rare:
            if pb & wanted:
                for record, b in recs.items():
                    if b & wanted:
                        per[record] = 0
        if not per:
            continue
        wts: dict[int, dict[str, float]] = {record: {} for record in per}
        for recs, _pb, kind, w in rare:
            get = recs.get
            for record in per:
                rb = get(record)
                if rb:
                    per[record] |= rb
                    d = wts[record]
                    if w > d.get(kind, -1.0):
                        d[kind] = w
        if common:
            for record in per:
                keys = record_keys(record)
                for key, b, kind, w in common:
                    if key in keys:
                        per[record] |= b
                        d = wts[record]
                        if w > d.get(kind, -1.0):
                            d[kind] = w
        line = rc.line
        for record, mask in per.items():
            if not mask & strong_bits:
                continue
            shape = shapes.get(mask)
            if shape is None:
                kinds = frozenset(k for i, k in enumerate(kinds_of) if mask >> i & 1)
                fields = field_set(kinds, primary)
                shape = shapes[mask] = (fields, NAME_FOLDED in kinds and NAME not in fields,
                                        *rules(fields))
            fields, drop_folded, capped, floored = shape
            d = wts[record]
            if drop_folded:
                d.pop(NAME_FOLDED, None)  # a folded-only name that does not count
            lc = log_chance(d, records)
            conf = level_of(lc, capped, floored)
            score = (RANK[conf], -lc)
            st = state.get(record)
            if st is None:
                state[record] = _Best(score, conf, lc, fields, mask, line, ri)
            else:
                st.mask |= mask
                if score > st.score:
                    st.score, st.conf, st.lc, st.fields = score, conf, lc, fields
                    st.line, st.row_index = line, ri
    best: dict[int, RecordEvidence] = {}
    names: dict[int, tuple[frozenset[str], tuple[str, ...]]] = {}
    for record, st in state.items():
        named = names.get(st.mask)
        if named is None:
            named = names[st.mask] = kinds_named(st.mask, kinds_of)
        best[record] = RecordEvidence(
            record, st.conf, len(st.fields), st.line, st.row_index, named[0], named[1],
            10.0**st.lc, sorted_fields(st.fields), explain(st.fields, st.lc),
        )
    return best


class _Best:
    """A record's best row so far, and the kinds seen in any row (as a bit mask)."""

    __slots__ = ("conf", "fields", "lc", "line", "mask", "row_index", "score")

    def __init__(
        self,
        score: tuple[int, float],
        conf: Confidence,
        lc: float,
        fields: frozenset[str],
        mask: int,
        line: int,
        row_index: int,
    ) -> None:
        self.score = score
        self.conf = conf
        self.lc = lc
        self.fields = fields
        self.mask = mask
        self.line = line
        self.row_index = row_index


_CONF, _NFIELDS, _LINE = (attrgetter("confidence"), attrgetter("nfields"),
                          attrgetter("line"))


def _best_key(e: RecordEvidence) -> tuple[int, int, int]:
    return RANK[e.confidence], e.nfields, -e.line


def best_evidence(evidence: Sequence[RecordEvidence]) -> RecordEvidence:
    """The first of the highest (level, number of fields, earliest line): the record
    whose row a snippet shows. A hit-dense chunk has a hundred thousand records, nearly
    all of them at the lowest level present: the level is compared first, as ints, and
    only the records at the top one as C tuples, with the position last so the first
    wins (as ``max`` with a key function picks it, without a Python call per record)."""
    if len(evidence) <= FEW_RECORDS:
        # (a post's few records: a key call each costs less than the passes below)
        return max(evidence, key=_best_key)
    ranks = list(map(RANK.__getitem__, map(_CONF, evidence)))
    top = max(ranks)
    pool = list(compress(evidence, map(top.__eq__, ranks)))
    best = max(zip(map(_NFIELDS, pool), map(neg, map(_LINE, pool)),
                   map(neg, range(len(pool))), strict=True))
    return pool[-best[2]]


def matched_cells(
    rc: RowCandidates, hits: Mapping[Pair, Hits], records: Set[int]
) -> dict[int, str]:
    """Cell (or prose offset) -> kind, for the candidates of ``rc`` that hit ``records``."""
    out: dict[int, str] = {}
    for pair, where in rc.found:
        for record, kind in hits[pair]:
            if record in records:
                out.setdefault(where, shown_kind(kind))
    return out
