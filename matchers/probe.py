"""Probing a fingerprint set with a chunk's candidate values (SPEC 4 step 3).

All distinct ``(kind, canonical)`` values of a chunk are digested in one batch
(one pre-keyed BLAKE2b state per kind), then the whole batch goes through the
Bloom filter in one vectorized call and only the survivors through the exact
index (``FingerprintSet.lookup`` does both steps).

:class:`Prober` is the seam the matcher probes through, so that the benchmark
can swap in an in-memory set of raw values for comparison; production code
only ever uses :class:`DigestProber`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Container, Sequence
from itertools import compress, groupby, repeat
from operator import is_, itemgetter
from typing import Protocol

import numpy as np

from fingerprints import native
from fingerprints.index import digest_keys
from fingerprints.normalizers import CONTACT_KINDS
from fingerprints.reader import FingerprintSet
from matchers.shapes import evict_oldest_half

HIT_CACHE_SIZE = 300_000
#: Kinds whose values rarely repeat in a dump: their misses are not cached (they
#: would only push out the names and dates that do, and make every lookup in a
#: larger table slower).
ONE_OFF_KINDS: frozenset[str] = CONTACT_KINDS

#: A value held by more records than this is never expanded into its records
#: (issue 12: the work per row must not grow with how many customers share a
#: name or a birth date); it comes back as :class:`Common` and is checked
#: against the candidate records that the row's rarer values name.
POSTINGS_CAP = 32

#: What one candidate value hit: ``(record row, kind)`` pairs.
Hits = tuple[tuple[int, str], ...]
NO_HITS: Hits = ()


#: A set's (record offsets, record keys) arrays: record ``r``'s keys are
#: ``keys[offsets[r]:offsets[r + 1]]``.
KeyArrays = tuple[np.ndarray, np.ndarray]


class PyCommon(tuple):  # type: ignore[type-arg]
    """The answer for a value shared by more than ``POSTINGS_CAP`` records.

    Holds no records (iterating it yields nothing) but is true: the value *is*
    in the set. ``key`` is what :meth:`Prober.record_keys` holds for it.

    This is the reference; :data:`Common` is the native core's type of the same
    behaviour (``fingerprints/_common.c``) where the core is built and the process
    did not start with the reference (``tests/matchers/test_native_common.py``).
    """

    kind: str
    records: int
    key: object

    def __new__(cls, kind: str, records: int, key: object) -> PyCommon:
        self = super().__new__(cls)
        self.kind, self.records, self.key = kind, records, key
        return self

    def __bool__(self) -> bool:
        return True

    def __reduce__(self) -> tuple[type[PyCommon], tuple[str, int, object]]:
        return type(self), (self.kind, self.records, self.key)

    def __repr__(self) -> str:
        return f"Common({self.kind!r}, {self.records})"


#: The type of every Common answer in this process, chosen once at import (so that
#: ``isinstance`` holds whichever core runs later): made by the index tens of
#: thousands of times a hit-dense chunk, truth-tested and read in C without a
#: Python call (3-4 % of a scan at a million records, issue 12).
Common: type[PyCommon] = (  # (typed as the reference: the two read alike)
    PyCommon if native.CORE is None else native.CORE.Common)


def hit_count(hits: Hits) -> int:
    """How many records hold the value ``hits`` answers for."""
    return hits.records if isinstance(hits, Common) else len(hits)
_KIND = itemgetter(0)
_VALUE = itemgetter(1)


class Prober(Protocol):
    """Answers which records hold each of a batch of canonical values."""

    @property
    def dataset(self) -> str: ...

    def probe(self, pairs: Sequence[tuple[str, str]]) -> list[Hits]:
        """One ``Hits`` per ``(kind, canonical)`` pair, in order."""
        ...

    def hits_of_kind(self, kind: str, values: Sequence[str]) -> tuple[list[int], list[Hits]]:
        """``probe`` of ``(kind, v)`` for each of ``values``, as the positions of those
        that hit (ascending) and their answers: for the many distinct values of one
        kind that hardly repeat and hardly hit (a column of phone numbers)."""
        ...

    def record_ref(self, row: int) -> str: ...

    def kind_lengths(self, kind: str) -> list[int]: ...

    @property
    def record_count(self) -> int:
        """Records in the set (the ``N`` of the chance model)."""
        ...

    def record_keys(self, row: int) -> Container[object]:
        """The ``Common.key`` of every field of record ``row``."""
        ...


class DigestProber:
    """Keyed digests, Bloom filter, exact index: the production path."""

    def __init__(self, fpset: FingerprintSet, cache_size: int = HIT_CACHE_SIZE) -> None:
        self.fpset = fpset
        self._hasher = fpset.hasher
        self._kinds = frozenset(fpset.kinds)
        # Answers for values seen in earlier chunks (names, dates and postal codes
        # repeat across a dump); the older half goes when full: memory is bounded.
        self._cache: dict[tuple[str, str], Hits] = {}
        self._cache_size = cache_size
        # How often answers left the cache: while it stays, answers are only added and
        # a known miss stays one (prose's native cache relies on that).
        self._epoch = 0
        self._once = ONE_OFF_KINDS
        self._codes = {kind: code for code, kind in enumerate(fpset.manifest.kind_codes)}
        self._rec_keys: dict[int, frozenset[int]] = {}

    @property
    def record_count(self) -> int:
        return self.fpset.record_count

    @property
    def answers(self) -> dict[tuple[str, str], Hits]:
        """The answers remembered from earlier probes (the cache itself, to be read
        only: prose leaves out supporting values it knows to miss)."""
        return self._cache

    @property
    def epoch(self) -> int:
        """Changes whenever an answer leaves :attr:`answers` (eviction)."""
        return self._epoch

    def record_keys(self, row: int) -> frozenset[int]:
        got = self._rec_keys.get(row)
        if got is None:
            if len(self._rec_keys) >= HIT_CACHE_SIZE:
                evict_oldest_half(self._rec_keys)
            idx = self.fpset.index
            lo, hi = int(idx.rec_offsets[row]), int(idx.rec_offsets[row + 1])
            got = self._rec_keys[row] = frozenset(idx.rec_keys[lo:hi].tolist())
        return got

    def record_key_arrays(self) -> KeyArrays | None:
        """The exact index's (record offsets, record keys), which :meth:`record_keys`
        reads, when the native core can read them as they are (else None)."""
        idx = self.fpset.index
        if _plain(idx.rec_offsets) and _plain(idx.rec_keys):
            return idx.rec_offsets, idx.rec_keys
        return None

    @property
    def dataset(self) -> str:
        return self.fpset.dataset

    def record_ref(self, row: int) -> str:
        return self.fpset.record_ref(row)

    def record_refs(self, rows: Sequence[int]) -> list[str]:
        """:meth:`record_ref` of each of ``rows``, in one batch."""
        return self.fpset.record_refs(rows)

    def kind_lengths(self, kind: str) -> list[int]:
        return self.fpset.kind_lengths(kind)

    def hits_of_kind(self, kind: str, values: Sequence[str]) -> tuple[list[int], list[Hits]]:
        if not values or kind not in self._kinds:
            return [], []
        return self._found(self._hasher.digest_blob(kind, values), [kind] * len(values))

    def _found(self, digests: bytes, kinds: list[str]) -> tuple[list[int], list[Hits]]:
        """The positions of the digests that hit, and their answers: the Bloom filter
        over the whole batch, and only its survivors through the exact index. Postings
        are read only for values held by at most ``POSTINGS_CAP`` records."""
        # The set's per-set layer (fingerprints.shred) first: the filter and the
        # index hold layered digests, and the record keys below are layered too.
        layered = self.fpset.layered_blob(digests)
        survivors = self.fpset.survivors(layered)
        if not survivors.size:
            return [], []
        arr = np.frombuffer(layered, dtype=np.uint8).reshape(-1, 16)
        index = self.fpset.index
        keys = digest_keys(arr[survivors])
        codes = self._codes
        cap = POSTINGS_CAP
        rows, kcodes = index.rows, index.kinds
        core = native.CORE
        if core is not None and all(_plain(a) for a in (index.keys, rows, kcodes, keys,
                                                        survivors)):
            # The ranges searched from the keys' buckets, then the answers built, in
            # one C call (tens of thousands of hits per hit-dense chunk; at a million
            # records the two whole-index searches were mostly cache misses).
            first, shift = index.buckets()
            return core.index_answers(index.keys, first, shift, keys, survivors, kinds,
                                      codes, rows, kcodes, cap, Common)
        hit, left, right = index.ranges(keys)
        where = survivors[hit].tolist()
        positions: list[int] = []
        out: list[Hits] = []
        for j, h, lo, hi in zip(where, hit.tolist(), left.tolist(), right.tolist(), strict=True):
            kind = kinds[j]
            code = codes.get(kind, -1)
            if hi - lo > cap:
                if int(kcodes[lo]) == code:
                    positions.append(j)
                    out.append(Common(kind, hi - lo, int(keys[h])))
                continue
            found = tuple(
                (r, kind)
                for r, c in zip(rows[lo:hi].tolist(), kcodes[lo:hi].tolist(), strict=True)
                if c == code
            )
            if found:
                positions.append(j)
                out.append(found)
        return positions, out

    def probe(self, pairs: Sequence[tuple[str, str]]) -> list[Hits]:
        n = len(pairs)
        if not n:
            return []
        cache = self._cache
        if len(cache) + n > self._cache_size:
            self._epoch += 1
            if n > self._cache_size // 2:
                cache.clear()
            else:
                evict_oldest_half(cache)
        # Hundreds of thousands of values per chunk: every step per value below
        # runs in C (the cache's lookups in one native pass, then map, compress,
        # zip); Python only loops per kind and per Bloom survivor.
        core = native.CORE
        known: list[Hits | None]
        if core is not None:
            known, by_kind = core.cache_split(cache, pairs)
            if not by_kind:
                return known  # type: ignore[return-value]  # no None left in it
            groups = sorted(by_kind.items())
        else:
            known = list(map(cache.get, pairs))
            groups = _missing_by_kind(pairs, known)
            if not groups:
                return known  # type: ignore[return-value]  # no None left in it
        probed: list[tuple[str, str]] = []
        probed_at: list[int] = []
        kinds: list[str] = []
        chunks: list[bytes] = []
        spans: list[tuple[int, int, bool]] = []  # per kind: its range of ``probed``, and
        # whether its misses are kept
        for kind, where in groups:
            if kind not in self._kinds:
                list(map(known.__setitem__, where, repeat(NO_HITS)))
                continue
            values = list(map(pairs.__getitem__, where))
            chunks.append(self._hasher.digest_blob(kind, list(map(_VALUE, values))))
            # Misses are remembered too, except those of the kinds that rarely
            # repeat (phone numbers, e-mail addresses): they would only push out
            # the names and dates that do.
            spans.append((len(probed), len(probed) + len(values), kind not in self._once))
            probed += values
            probed_at += where
            kinds += repeat(kind, len(values))
        at, got = self._found(b"".join(chunks), kinds)
        # Each answer is put where it goes, and in the cache once (a hit of a kind
        # whose misses are kept, with them, in the order of the values): no second
        # lookup of every value, no second insert of every hit.
        answers: list[Hits] = [NO_HITS] * len(probed)
        list(map(answers.__setitem__, at, got))
        list(map(known.__setitem__, probed_at, answers))
        for lo, hi, keep_misses in spans:
            if keep_misses:
                cache.update(zip(probed[lo:hi], answers[lo:hi], strict=True))
            else:  # (``at`` ascends: the span's hits are a slice of it)
                hit = at[bisect_left(at, lo):bisect_left(at, hi)]
                cache.update(zip(map(probed.__getitem__, hit), map(answers.__getitem__, hit),
                                 strict=True))
        return known  # type: ignore[return-value]  # every None filled


def _missing_by_kind(pairs: Sequence[tuple[str, str]], known: list[Hits | None]
                     ) -> list[tuple[str, list[int]]]:
    """The positions of the pairs ``known`` lacks an answer for (None), grouped by
    kind in the kinds' order, each group in the pairs' order (the reference of the
    native ``cache_split``)."""
    where = list(compress(range(len(pairs)), map(is_, known, repeat(None))))
    where_kinds = list(map(_KIND, map(pairs.__getitem__, where)))
    order = sorted(range(len(where)), key=where_kinds.__getitem__)
    where = list(map(where.__getitem__, order))
    groups: list[tuple[str, list[int]]] = []
    start = 0
    for kind, group in groupby(map(where_kinds.__getitem__, order)):
        size = len(list(group))
        groups.append((kind, where[start:start + size]))
        start += size
    return groups


def _plain(a: np.ndarray) -> bool:
    """Whether the native ``postings`` can read ``a`` as it is: C-contiguous, in this
    machine's byte order."""
    return bool(a.flags.c_contiguous) and a.dtype.isnative


def record_key_arrays(prober: Prober) -> KeyArrays | None:
    """The exact index's arrays of record keys behind a prober's ``record_keys``,
    when it is one that has them (:meth:`DigestProber.record_key_arrays`)."""
    return prober.record_key_arrays() if isinstance(prober, DigestProber) else None


def record_refs(prober: Prober, rows: Sequence[int]) -> list[str]:
    """``prober.record_ref`` of each of ``rows``: in one batch when the prober can."""
    if isinstance(prober, DigestProber):
        return prober.record_refs(rows)
    return list(map(prober.record_ref, rows))


def known_answers(prober: Prober) -> dict[tuple[str, str], Hits] | None:
    """The answers a prober remembers, when it is one that does (:class:`DigestProber`)."""
    return prober.answers if isinstance(prober, DigestProber) else None


def answers_epoch(prober: Prober) -> int:
    """:attr:`DigestProber.epoch` of a prober that remembers answers (0 otherwise)."""
    return prober.epoch if isinstance(prober, DigestProber) else 0
