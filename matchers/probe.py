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

from collections.abc import Iterable, Sequence
from itertools import compress, groupby, repeat
from operator import is_, itemgetter
from typing import Protocol

import numpy as np

from fingerprints.fpset import FingerprintSet
from matchers.shapes import evict_oldest_half

HIT_CACHE_SIZE = 300_000
#: Kinds whose values rarely repeat in a dump: their misses are not cached (they
#: would only push out the names and dates that do, and make every lookup in a
#: larger table slower).
ONE_OFF_KINDS: frozenset[str] = frozenset({"phone", "email"})

#: What one candidate value hit: ``(record row, kind)`` pairs.
Hits = tuple[tuple[int, str], ...]
NO_HITS: Hits = ()
_KIND = itemgetter(0)
_VALUE = itemgetter(1)


class Prober(Protocol):
    """Answers which records hold each of a batch of canonical values."""

    @property
    def dataset(self) -> str: ...

    def probe(self, pairs: Sequence[tuple[str, str]]) -> list[Hits]:
        """One ``Hits`` per ``(kind, canonical)`` pair, in order."""
        ...

    def probe_kind(self, kind: str, values: Sequence[str]) -> list[Hits]:
        """``probe`` of ``(kind, v)`` for each of ``values``: for the many distinct
        values of one kind that hardly repeat (a column of phone numbers)."""
        ...

    def record_ref(self, row: int) -> str: ...

    def kind_lengths(self, kind: str) -> list[int]: ...


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
        self._once = ONE_OFF_KINDS

    @property
    def dataset(self) -> str:
        return self.fpset.dataset

    def record_ref(self, row: int) -> str:
        return self.fpset.record_ref(row)

    def kind_lengths(self, kind: str) -> list[int]:
        return self.fpset.kind_lengths(kind)

    def probe_kind(self, kind: str, values: Sequence[str]) -> list[Hits]:
        out: list[Hits] = [NO_HITS] * len(values)
        if not values or kind not in self._kinds:
            return out
        for i, hits in self._found(b"".join(self._hasher.digest_many(kind, values)),
                                   repeat(kind, len(values))):
            out[i] = hits
        return out

    def _found(self, digests: bytes, kinds: Iterable[str]) -> list[tuple[int, Hits]]:
        """``(position, hits)`` of the digests that hit: the Bloom filter over the whole
        batch, and only its survivors through the exact index."""
        arr = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 16)
        survivors = np.flatnonzero(self.fpset.maybe_contains(arr)).tolist()
        if not survivors:
            return []
        kinds = list(kinds)
        looked = self.fpset.lookup(arr[survivors], [kinds[j] for j in survivors])
        return [(j, tuple((h.row, h.kind) for h in hits))
                for j, hits in zip(survivors, looked, strict=True) if hits]

    def probe(self, pairs: Sequence[tuple[str, str]]) -> list[Hits]:
        n = len(pairs)
        if not n:
            return []
        cache = self._cache
        if len(cache) + n > self._cache_size:
            if n > self._cache_size // 2:
                cache.clear()
            else:
                evict_oldest_half(cache)
        # Hundreds of thousands of values per chunk: every step per value below
        # runs in C (map, compress, sort, zip); Python only loops per kind and
        # per Bloom survivor.
        known = list(map(cache.get, pairs))
        missing = list(compress(pairs, map(is_, known, repeat(None))))
        if not missing:
            return known  # type: ignore[return-value]  # no None left in it
        # Grouped by kind (a stable sort), so each kind's pre-keyed state is reused.
        missing.sort(key=_KIND)
        fresh = dict.fromkeys(missing, NO_HITS)
        probed: list[tuple[str, str]] = []
        kinds: list[str] = []
        chunks: list[bytes] = []
        for kind, group in groupby(missing, _KIND):
            if kind not in self._kinds:
                continue
            values = list(group)
            chunks.append(b"".join(self._hasher.digest_many(kind, map(_VALUE, values))))
            probed += values
            kinds += repeat(kind, len(values))
            # Misses are remembered too, except those of the kinds that rarely
            # repeat (phone numbers, e-mail addresses): they would only push out
            # the names and dates that do.
            if kind not in self._once:
                cache.update(zip(values, repeat(NO_HITS)))
        for j, hits in self._found(b"".join(chunks), kinds):
            pair = probed[j]
            fresh[pair] = cache[pair] = hits
        return list(map(fresh.get, pairs, known))  # type: ignore[arg-type]
