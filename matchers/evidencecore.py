"""Same-record evidence through the native core (issue 15): the per-row loop of
:func:`matchers.evidence.collect` in C (``fingerprints/_tie.c``, ``tie_rows``).

What is done once per distinct value or per distinct kind mask stays here, in
Python, so the facts about kinds, field groups and levels keep one home
(``matchers.chance``, ``matchers.confidence``): ``resolve`` turns a value's probe
answer into its records and kind bits, ``shape_of`` a record's kind mask into its
fields and the SPEC 12.1 rules. The loop in ``matchers.evidence`` is the
reference; both give identical results (``tests/matchers/test_evidence_native.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Mapping, Sequence, Set
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress
from operator import attrgetter, itemgetter, neg

from fingerprints.native import NativeCore
from matchers.chance import GROUP, HIGH_CHANCE, MEDIUM_CHANCE, explain, rules, value_weight
from matchers.confidence import NAME, NAME_FOLDED, RANK, WEAK_KINDS, Confidence, field_set
from matchers.probe import Common, Hits, KeyArrays
from matchers.shapes import Pair, RowCandidates, slots_objects

# RANK order: 1 low, 2 medium, 3 high (what tie_rows returns).
_BY_RANK = {1: Confidence.LOW, 2: Confidence.MEDIUM, 3: Confidence.HIGH}
# value_weight per (kind, count), per set size: the same few pairs come back in
# every document (a post's phones, its common names), so they are kept across
# calls (what tie_rows reads first; ``weight`` fills it). Bounded, both levels: a
# hit-dense scan against ten million customers meets 6,269 distinct pairs (values
# held by up to thousands of records, each count its own weight), and a table
# emptied at 4,096 was refilled on every chunk (10,839 Python calls a scan). At most
# 65,536 pairs (about 10 MB) per set size, for four set sizes.
_weights_of: dict[int, dict[tuple[str, int], float]] = {}
_WEIGHTS_KEPT = 1 << 16
_SIZES_KEPT = 4


@dataclass(slots=True)
class RecordEvidence:
    """The best evidence for one record of the fingerprint set."""

    record: int
    confidence: Confidence
    nfields: int
    line: int
    row_index: int  # index of the best RowCandidates (for the snippet)
    kinds: frozenset[str] = field(default_factory=frozenset)
    # ``kinds`` sorted (what a RecordHit reports), shared between records.
    fields: tuple[str, ...] = ()
    # SPEC 12.1: the chance of a coincidental tie of the best row, the kinds it
    # rests on, and the sentence that says so (never a value).
    chance: float = 1.0
    matched: tuple[str, ...] = ()
    why: str = ""


#: Up to this many records (a post's), per-record Python costs less than building
#: columns of them (here, in ``matchers.evidence`` and for a chunk's record hits in
#: ``matchers.scan``).
FEW_RECORDS = 32


@dataclass(slots=True)
class EvidenceColumns:
    """What :func:`matchers.evidence.collect` gives, as columns: one item per record, in
    the order records were first scored. A hit-dense chunk's tens of thousands of
    records are read by a scan this way (its record hits, its snippet's record)
    without an object each; :meth:`evidence` makes the objects."""

    records: list[int]
    confidence: list[Confidence]
    nfields: list[int]
    line: list[int]
    row_index: list[int]
    kinds: list[frozenset[str]]
    fields: list[tuple[str, ...]]
    chance: list[float]
    matched: list[tuple[str, ...]]
    why: list[str]

    @classmethod
    def of(cls, evidence: Mapping[int, RecordEvidence]) -> EvidenceColumns:
        """The columns of ``collect``'s records (the reference path's)."""
        evs = list(evidence.values())
        return cls(list(evidence), *(list(map(attrgetter(name), evs)) for name in _COLUMNS))

    def evidence(self) -> dict[int, RecordEvidence]:
        """The records as ``collect`` gives them."""
        return dict(zip(self.records, slots_objects(
            RecordEvidence, self.records, self.confidence, self.nfields, self.line,
            self.row_index, self.kinds, self.fields, self.chance, self.matched, self.why),
            strict=True))

    def best(self) -> int:
        """The position of :func:`matchers.evidence.best_evidence`'s record: the first
        of the highest (level, number of fields, earliest line). The level is compared
        first, as ints; only the records at the top one as C tuples, with the position
        last so the first wins."""
        n = len(self.records)
        if n <= FEW_RECORDS:
            conf, nfields, line = self.confidence, self.nfields, self.line
            return max(range(n), key=lambda i: (RANK[conf[i]], nfields[i], -line[i]))
        ranks = list(map(RANK.__getitem__, self.confidence))
        top = max(ranks)
        at = list(compress(range(n), map(top.__eq__, ranks)))
        best = max(zip(map(self.nfields.__getitem__, at),
                       map(neg, map(self.line.__getitem__, at)), map(neg, at), strict=True))
        return -best[2]


#: The columns after ``records``, as RecordEvidence names its fields.
_COLUMNS = ("confidence", "nfields", "line", "row_index", "kinds", "fields", "chance",
            "matched", "why")


def columns_native(
    core: NativeCore,
    rows: Sequence[RowCandidates],
    hits: Mapping[Pair, Hits],
    primary: Set[str],
    records: int,
    record_keys: Callable[[int], Container[object]] | KeyArrays,
) -> EvidenceColumns | None:
    """:func:`matchers.evidence.collect` with its row loop in C, as columns; None when
    the kinds do not fit the native core's 64-bit masks (the caller runs the
    reference)."""
    bits: dict[str, int] = {}  # kind -> bit index
    kinds_of: list[str] = []
    group_of: list[int] = []  # per bit index: its field group's number
    group_ids: dict[str, int] = {}
    masks = [0, 0]  # the bits of primary kinds, of kinds outside WEAK_KINDS
    weights = _weights_of.get(records)
    if weights is None or len(weights) >= _WEIGHTS_KEPT:
        if len(_weights_of) >= _SIZES_KEPT:
            _weights_of.clear()
        weights = _weights_of[records] = {}

    def bit_of(kind: str) -> int:
        i = bits.get(kind)
        if i is None:
            i = bits[kind] = len(kinds_of)
            kinds_of.append(kind)
            group = GROUP.get(kind, kind)
            group_of.append(group_ids.setdefault(group, len(group_ids)))
            if kind in primary:
                masks[0] |= 1 << i
            if kind not in WEAK_KINDS:
                masks[1] |= 1 << i
        return i

    def weight(kind: str, count: int) -> float:
        w = weights.get((kind, count))
        if w is None:
            w = weights[(kind, count)] = value_weight(kind, count, records)
        return w

    def resolve(_pair: Pair, h: Hits) -> tuple[bool, object, int, int, int, int, float]:
        # (common, {record: bits} or key, bits, primary bits, strong bits, kind, weight);
        # the native core resolves a plain tuple of answers and a Common itself, the
        # same way (this is what it calls for any other answer).
        if isinstance(h, Common):
            i = bit_of(h.kind)
            b = 1 << i
            return True, h.key, b, b & masks[0], b & masks[1], i, weight(h.kind, h.records)
        recs: dict[int, int] = {}
        pbits = 0
        for record, kind in h:
            b = 1 << bit_of(kind)
            recs[record] = recs.get(record, 0) | b
            pbits |= b
        kind = h[0][1]
        return (False, recs, pbits, pbits & masks[0], pbits & masks[1], bits[kind],
                weight(kind, len(h)))

    primary_set = frozenset(primary)

    def shape_of(mask: int) -> tuple[frozenset[str], int, bool, bool]:
        kinds = frozenset(k for i, k in enumerate(kinds_of) if mask >> i & 1)
        fields, drop, capped, floored = _shape(kinds, primary_set)
        return fields, bits[NAME_FOLDED] if drop else -1, capped, floored

    tied = core.tie_rows(
        rows, hits, resolve, bits, bit_of, masks, weights, weight, shape_of, group_of,
        math.log10(max(records, 1)), math.log10(HIGH_CHANCE), math.log10(MEDIUM_CHANCE),
        record_keys, Common,
    )
    if tied is None:
        return None
    ids, level_ids, levels, mask_ids, kind_masks, lines, row_indices = tied
    # A dump's hundred thousand records share a few dozen (level, chance, fields) and
    # kind masks: what a RecordEvidence says of them is worked out once per distinct
    # one, and read per record by index (C-level maps, no Python loop per record).
    said = [_said(rank, lc, fields) for rank, lc, fields in levels]
    named = [kinds_named(mask, kinds_of) for mask in kind_masks]
    per_level = list(map(said.__getitem__, level_ids))
    per_mask = list(map(named.__getitem__, mask_ids))
    return EvidenceColumns(
        ids, list(map(_CONF, per_level)), list(map(_NFIELDS, per_level)), lines,
        row_indices, list(map(_KINDS, per_mask)), list(map(_SORTED, per_mask)),
        list(map(_CHANCE, per_level)), list(map(_MATCHED, per_level)),
        list(map(_WHY, per_level)))


@lru_cache(maxsize=4096)
def _shape(kinds: frozenset[str], primary: frozenset[str]
           ) -> tuple[frozenset[str], bool, bool, bool]:
    """What ``tie_rows`` asks of a record's matched kinds: its fields, whether a folded
    name is dropped from them, and the SPEC 12.1 rules (capped at low, at least
    medium). The same few sets of kinds recur in every call; a forum post's
    tie_rows call worked each out anew (1.2 % of a 0.5 KB post's instructions)."""
    fields = field_set(kinds, primary)
    return (fields, NAME_FOLDED in kinds and NAME not in fields, *rules(fields))


_CONF, _NFIELDS, _CHANCE, _MATCHED, _WHY = (itemgetter(i) for i in range(5))
_KINDS, _SORTED = itemgetter(0), itemgetter(1)


def _said(rank: int, lc: float, fields: frozenset[str]
          ) -> tuple[Confidence, int, float, tuple[str, ...], str]:
    """What a RecordEvidence says of a (rank, log10 chance, fields)."""
    return _BY_RANK[rank], len(fields), 10.0**lc, sorted_fields(fields), explain(fields, lc)


def kinds_named(mask: int, kinds_of: Sequence[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """The kinds of a bit mask, as a set and sorted (shared by the records with that mask)."""
    named = sorted(k for i, k in enumerate(kinds_of) if mask >> i & 1)
    return frozenset(named), tuple(named)


@lru_cache(maxsize=1024)
def sorted_fields(fields: frozenset[str]) -> tuple[str, ...]:
    """A record hit's matched fields as reported (a few sets recur for every record)."""
    return tuple(sorted(fields))
