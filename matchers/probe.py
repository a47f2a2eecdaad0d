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

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from fingerprints.fpset import FingerprintSet
from matchers.candidates import evict_oldest_half

HIT_CACHE_SIZE = 300_000
#: Kinds whose values rarely repeat in a dump: their misses are not cached.
ONE_OFF_KINDS: frozenset[str] = frozenset({"phone", "email"})

#: What one candidate value hit: ``(record row, kind)`` pairs.
Hits = tuple[tuple[int, str], ...]
NO_HITS: Hits = ()


class Prober(Protocol):
    """Answers which records hold each of a batch of canonical values."""

    @property
    def dataset(self) -> str: ...

    def probe(self, pairs: Sequence[tuple[str, str]]) -> list[Hits]:
        """One ``Hits`` per ``(kind, canonical)`` pair, in order."""
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

    def probe(self, pairs: Sequence[tuple[str, str]]) -> list[Hits]:
        n = len(pairs)
        out: list[Hits] = [NO_HITS] * n
        if not n:
            return out
        cache = self._cache
        if len(cache) + n > self._cache_size:
            if n > self._cache_size // 2:
                cache.clear()
            else:
                evict_oldest_half(cache)
        # Group by kind so each kind's pre-keyed state is reused in a tight loop.
        by_kind: dict[str, list[int]] = {}
        kinds_held = self._kinds
        get = cache.get
        for i, pair in enumerate(pairs):
            known = get(pair)
            if known is not None:
                out[i] = known
            elif pair[0] in kinds_held:
                idx = by_kind.get(pair[0])
                if idx is None:
                    by_kind[pair[0]] = [i]
                else:
                    idx.append(i)
        if not by_kind:
            return out
        order: list[int] = []
        chunks: list[bytes] = []
        kinds: list[str] = []
        for kind, idx in by_kind.items():
            digests = self._hasher.digest_many(kind, [pairs[i][1] for i in idx])
            chunks.append(b"".join(digests))
            order.extend(idx)
            kinds.extend([kind] * len(idx))
        arr = np.frombuffer(b"".join(chunks), dtype=np.uint8).reshape(-1, 16)
        # Bloom filter over the whole batch; only its survivors go to the index.
        survivors = np.flatnonzero(self.fpset.maybe_contains(arr)).tolist()
        # Misses are remembered too, except those of the kinds that rarely repeat
        # (phone numbers, e-mail addresses): they would only push out the names
        # and dates that do.
        for kind, idx in by_kind.items():
            if kind not in self._once:
                for i in idx:
                    cache[pairs[i]] = NO_HITS
        if not survivors:
            return out
        looked = self.fpset.lookup(arr[survivors], [kinds[j] for j in survivors])
        for j, hits in zip(survivors, looked, strict=True):
            if hits:
                i = order[j]
                out[i] = cache[pairs[i]] = tuple((h.row, h.kind) for h in hits)
        return out
