"""The native row loop of ``evidence.collect`` (``fingerprints/_tie.c``) gives exactly
what the Python reference gives: same records, levels, chances (bit for bit), kinds,
best rows, and the same order (issue 15).

Rows are generated over a small universe of records and kinds so that values are
shared by several records, records meet in rows through several kinds, values too
common to expand (``Common``) are checked against each record's field keys, and
folded names, primary and weak kinds all occur.
"""

from __future__ import annotations

from collections.abc import Container
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.fpset import FingerprintSet
from matchers.confidence import NAME, NAME_FOLDED
from matchers.evidence import RecordEvidence, collect, collect_columns
from matchers.evidencecore import EvidenceColumns
from matchers.probe import Common, DigestProber, Hits, Prober, record_key_arrays
from matchers.shapes import Pair, RowCandidates

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

if native.available():
    from fingerprints import _native  # type: ignore[attr-defined]

    Postings = _native.Postings

PRIMARY = frozenset({"phone", "email", "customer_id"})
KINDS = ("phone", "email", "customer_id", NAME, NAME_FOLDED, "name_kana", "birthdate",
         "postal_code", "address", "bank_account")
RECORDS = 12

# A value: its kind, and the records holding it (through which kind each), or a
# Common answer (too many records to expand) held by some records' keys.
answer = st.one_of(
    st.lists(
        st.tuples(st.integers(0, RECORDS - 1), st.sampled_from(KINDS)), min_size=0, max_size=6
    ),
    st.tuples(st.sampled_from(KINDS), st.integers(33, 5000)),
    # the native index's answer for a few records of one kind (a Postings, read as the
    # tuple of (record, kind)), a record possibly twice
    st.tuples(st.just("postings"), st.sampled_from(KINDS),
              st.lists(st.integers(0, RECORDS - 1), min_size=1, max_size=6)),
)


def _hits(raw: list[object]) -> dict[Pair, Hits]:
    hits: dict[Pair, Hits] = {}
    for i, a in enumerate(raw):
        if isinstance(a, tuple) and a[0] == "postings":
            _tag, kind, rows = a
            hits[(kind, f"v{i}")] = Postings(kind, rows)
        elif isinstance(a, tuple):
            kind, count = a
            hits[(kind, f"v{i}")] = Common(kind, count, ("key", i))
        else:
            assert isinstance(a, list)
            kind = a[0][1] if a else KINDS[i % len(KINDS)]
            hits[(kind, f"v{i}")] = tuple(a)
    return hits


@settings(max_examples=300, deadline=None)
@given(
    raw=st.lists(answer, min_size=1, max_size=14),
    picks=st.lists(st.lists(st.integers(0, 13), max_size=8), max_size=25),
    keys=st.lists(st.sets(st.integers(0, 13)), min_size=RECORDS, max_size=RECORDS),
    records=st.sampled_from([0, RECORDS, 1000, 10_000_000]),
)
def test_native_collect_is_the_reference(
    raw: list[object], picks: list[list[int]], keys: list[set[int]], records: int
) -> None:
    hits = _hits(raw)
    pairs = list(hits)
    rows = [
        RowCandidates(line, [(pairs[i % len(pairs)], j) for j, i in enumerate(pick)])
        for line, pick in enumerate(picks, 1)
    ]

    def record_keys(record: int) -> Container[object]:
        return {("key", i) for i in keys[record]}

    out: list[dict[int, RecordEvidence]] = []
    for core in (True, False):
        with native.use(core):
            out.append(collect(rows, hits, PRIMARY, records=records, record_keys=record_keys))
    got, want = out
    assert list(got) == list(want)  # same records, first scored first
    assert got == want  # levels, chances bit for bit, kinds, best rows, explanations
    for core in (True, False):  # as columns, the same
        with native.use(core):
            columns = collect_columns(rows, hits, PRIMARY, records=records,
                                      record_keys=record_keys)
        assert columns == EvidenceColumns.of(want)
        assert columns.evidence() == want and list(columns.evidence()) == list(want)


class PlainRow:
    """A row of no slots class, its ``found`` a tuple: what the native loop reads by
    attribute (its look-ahead over the rows reads only a slots class's lists)."""

    def __init__(self, line: int, found: list[tuple[Pair, int]]) -> None:
        self.line = line
        self.found = tuple(found)


@settings(max_examples=100, deadline=None)
@given(
    raw=st.lists(answer, min_size=1, max_size=14),
    picks=st.lists(st.lists(st.integers(0, 13), max_size=8), max_size=25),
    plain=st.lists(st.booleans(), min_size=25, max_size=25),
)
def test_rows_of_any_class_give_the_reference(
    raw: list[object], picks: list[list[int]], plain: list[bool]
) -> None:
    """Rows of other classes than RowCandidates, alone or mixed with them, in any
    order: the same evidence as the reference."""
    hits = _hits(raw)
    pairs = list(hits)
    rows = [
        (PlainRow if plain[line - 1] else RowCandidates)(
            line, [(pairs[i % len(pairs)], j) for j, i in enumerate(pick)])
        for line, pick in enumerate(picks, 1)
    ]
    out: list[dict[int, RecordEvidence]] = []
    for core in (True, False):
        with native.use(core):
            out.append(collect(rows, hits, PRIMARY, records=1000,  # type: ignore[arg-type]
                               record_keys=lambda r: {("key", r % 5)}))
    got, want = out
    assert list(got) == list(want)
    assert got == want


def test_native_collect_is_used() -> None:
    """A row a phone ties to a record: the native loop runs and scores it."""
    hits: dict[Pair, Hits] = {
        ("phone", "a"): ((3, "phone"),),
        (NAME, "b"): ((3, NAME), (4, NAME)),
    }
    rows = [RowCandidates(7, [(("phone", "a"), 0), ((NAME, "b"), 1)])]
    real = native._BUILT  # whatever LEAKPRINT_PURE_PYTHON says
    assert real is not None
    tie = real.tie_rows
    called: list[int] = []

    class Spy:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def tie_rows(self, *args: object) -> object:
            called.append(1)
            return tie(*args)  # type: ignore[arg-type]

    with native.use(True):
        before = native.CORE
        native.CORE = Spy()  # type: ignore[assignment]
        try:
            ev = collect(rows, hits, PRIMARY, records=100)
        finally:
            native.CORE = before
    assert called == [1]
    assert list(ev) == [3]
    assert ev[3].confidence == "medium" and ev[3].line == 7
    assert ev[3].fields == ("name", "phone")


def test_more_kinds_than_a_mask_holds_falls_back_to_the_reference() -> None:
    """Custom kinds beyond 64: the native loop declines and the reference answers."""
    kinds = [f"custom_{i}" for i in range(70)]
    hits: dict[Pair, Hits] = {(k, "x"): ((1, k),) for k in kinds}
    rows = [RowCandidates(1, [((k, "x"), i) for i, k in enumerate(kinds)])]
    primary = frozenset(kinds)
    with native.use(True):
        got = collect(rows, hits, primary, records=10)
    with native.use(False):
        want = collect(rows, hits, primary, records=10)
    assert got == want and list(got) == [1]


def test_a_digest_probers_key_arrays_hold_its_record_keys(fpset: FingerprintSet) -> None:
    """What the native loop reads for a Common value (``key_arrays``) are the keys
    ``record_keys`` gives, record by record; other probers have none."""
    prober = DigestProber(fpset)
    arrays = record_key_arrays(prober)
    assert arrays is not None
    offsets, keys = arrays
    for row in range(0, prober.record_count, max(1, prober.record_count // 50)):
        got = keys[int(offsets[row]):int(offsets[row + 1])].tolist()
        assert frozenset(got) == prober.record_keys(row) and got
    assert record_key_arrays(cast(Prober, object())) is None  # not a DigestProber
