"""The native ``postings`` (``fingerprints/_postings.c``) against the Python loop of
``DigestProber._found`` (issue 15): the same answers, record by record, for values held
by one record, by a few, and by more than ``POSTINGS_CAP`` (a ``Common`` answer)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.fpset import FingerprintSet
from matchers.probe import POSTINGS_CAP, Common, DigestProber

try:
    from fingerprints import _native  # type: ignore[attr-defined]

    Postings: type = _native.Postings
except ImportError:  # (the module is skipped then)
    Postings = tuple
from tests.matchers.factories import Customer, build_set, import_fields, make_customers

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")


def test_native_postings_give_the_reference_answers(tmp_path: Path) -> None:
    customers = make_customers(120, seed=5)
    # a birth date and a postal code shared beyond the cap, a name by a few
    shared = dt.date(1980, 1, 2)
    customers = [
        dataclasses.replace(c, birthdate=shared if i < POSTINGS_CAP + 8 else c.birthdate,
                            postal="105-0011" if i % 2 else c.postal,
                            name="山田 太郎" if i % 30 == 0 else c.name)
        for i, c in enumerate(customers)
    ]
    fpset = build_set(tmp_path / "set", customers)
    pairs = [*dict.fromkeys(pair for c in customers[:60] for pair in import_fields(c)),
             ("phone", "+819000000000"), ("name", "誰でもない"), ("nokind", "x")]
    got = []
    for core in (True, False):
        with native.use(core):
            got.append(DigestProber(fpset).probe(pairs))
    assert got[0] == got[1]
    # Each answer of the same sort on both cores: a Common, or the records — the
    # reference's tuple of (record, kind), the native core's Postings that reads as it.
    assert [isinstance(h, Common) for h in got[0]] == [isinstance(h, Common) for h in got[1]]
    assert {type(h) for h in got[0] if h and not isinstance(h, Common)} == {Postings}
    assert {type(h) for h in got[1] if h and not isinstance(h, Common)} == {tuple}
    assert [tuple(h) for h in got[0]] == [tuple(h) for h in got[1]]
    commons = [h for h in got[0] if isinstance(h, Common)]
    assert commons and all(h.records > POSTINGS_CAP for h in commons)
    assert [(h.kind, h.records, h.key) for h in commons] == [
        (h.kind, h.records, h.key) for h in got[1] if isinstance(h, Common)]
    assert any(len(h) > 1 for h in got[0] if type(h) is Postings)
    assert got[0][-3:] == [(), (), ()]


@pytest.mark.parametrize("n", [0, 1, 5, 9, 100, 3000])
def test_native_index_search_is_searchsorted(n: int) -> None:
    """The bucketed search of ``index_answers`` gives the ranges of numpy's two
    searchsorted calls, for keys that repeat (a value of several records), at the
    buckets' edges, and beyond both ends: each posting's row is its position here, so
    an answer spells out its range."""
    import numpy as np

    from fingerprints import _native  # type: ignore[attr-defined]
    from fingerprints.index import ExactIndex

    rng = np.random.default_rng(n)
    base = rng.integers(0, 2**64, size=n, dtype=np.uint64, endpoint=False)
    keys = np.sort(np.concatenate([base, base[: n // 3], base[: n // 7],
                                   np.full(min(n, 40), base[0] if n else 0, np.uint64)]))
    m = len(keys)
    index = ExactIndex(keys, np.arange(m, dtype=np.uint32), np.zeros(m, np.uint8),
                       np.array([0, m], np.uint64), keys.copy(), np.zeros(m, np.uint8))
    first, shift = index.buckets()
    edges = (first[:-1] if shift < 64 else np.zeros(0, np.int64)).clip(0, max(m - 1, 0))
    queries = np.concatenate([
        keys, keys + np.uint64(1), keys - np.uint64(1),
        keys[edges] if m else np.zeros(0, np.uint64),
        np.array([0, 2**64 - 1, 2**63], dtype=np.uint64),
        rng.integers(0, 2**64, size=200, dtype=np.uint64, endpoint=False),
    ]).astype(np.uint64)
    hit, left, right = index.ranges(queries)
    where = np.arange(len(queries), dtype=np.intp)
    got = _native.index_answers(index.keys, first, shift, queries, where,
                                ["k"] * len(queries), {"k": 0}, index.rows, index.kinds,
                                m + 1, Common)
    assert got == (hit.tolist(), [tuple((r, "k") for r in range(lo, hi))
                                  for lo, hi in zip(left.tolist(), right.tolist(), strict=True)])


def test_common_values_checked_in_the_index_arrays(tmp_path: Path) -> None:
    """A birth date held by more than POSTINGS_CAP customers beside one customer's phone:
    tie_rows reads that customer's keys from the index's arrays (native) or through
    ``record_keys`` (reference); the same record hit, with the birth date in it."""
    from matchers.scan import Matcher

    shared = dt.date(1975, 5, 6)
    customers = [dataclasses.replace(c, birthdate=shared)
                 for c in make_customers(POSTINGS_CAP + 20, seed=9)]
    fpset = build_set(tmp_path / "set", customers)
    c, other = customers[3], customers[4]
    text = ("氏名,電話番号,生年月日\n"
            f"{c.name},{c.phone},1975-05-06\n{other.name},{other.phone},1980-01-01\n")
    got = []
    for core in (True, False):
        with native.use(core):
            got.append(Matcher(fpset).scan_text(text))
    assert got[0] == got[1]
    by_ref = {h.ref: h for h in got[0].record_hits}
    assert "birthdate" in by_ref[c.ref].fields
    assert "birthdate" not in by_ref[other.ref].fields


@settings(max_examples=40, deadline=None)
@given(batches=st.lists(st.lists(st.integers(0, 79), max_size=40), min_size=1, max_size=6),
       size=st.sampled_from([0, 4, 16, 10_000]))
def test_the_probes_cache_never_changes_an_answer(
    fpset: FingerprintSet, customers: list[Customer], batches: list[list[int]], size: int
) -> None:
    """Batches through one prober (its cache filled, evicted, cleared: any size) give
    the answers of a fresh prober for each batch, repeats, misses of the kinds not
    remembered (phones) and kinds the set lacks included."""
    people = [*customers[:8], *make_customers(4, seed=1234, prefix="Z", avoid=customers)]
    pool = [*dict.fromkeys(p for c in people for p in import_fields(c)),
            ("phone", "+819000000000"), ("phone", "+819000000001"), ("name", "誰でもない"),
            ("nokind", "x")]
    prober = DigestProber(fpset, cache_size=size)
    for batch in batches:
        pairs = [pool[i % len(pool)] for i in batch]
        got = prober.probe(pairs)
        assert got == DigestProber(fpset, cache_size=size).probe(pairs)
        assert got == [DigestProber(fpset).probe([p])[0] for p in pairs]
        assert all(a is not None for a in got)
