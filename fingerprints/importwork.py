"""The import's CPU-heavy step, normalise and digest, in worker processes.

The main process reads and checks the CSV; chunks of rows (the mapped cells only)
go to spawned workers, which return compact arrays: per row its outcome, and the
good rows' distinct fields (kind, digest, value length). Only digests come
back: no value leaves a worker. The key reaches a worker through its start-up
arguments (a pipe), never its command line or environment.
"""

from __future__ import annotations

import multiprocessing
import os
from array import array
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from fingerprints.keyed import FingerprintKey, Hasher
from fingerprints.kindconfig import import_fields, registry_from_config
from fingerprints.normalizers import KindRegistry

CHUNK_ROWS = 2000


@dataclass(frozen=True)
class ChunkResult:
    """A chunk's outcome, in compact arrays (cheap to pickle, cheap to add).

    ``outcome[r]`` is row ``r``'s field count when it is good, ``-1`` when no mapped
    cell has a value, ``-2 - i`` when mapped column ``i`` failed. The good rows'
    distinct fields follow one another: ``kinds[kind_index[j]]``, the ``j``-th
    16-byte digest of ``digests`` and its value's length in characters.
    """

    outcome: array[int]
    kinds: tuple[str, ...]
    kind_index: bytes
    digests: bytes
    lengths: array[int]


class _State:
    registry: KindRegistry
    hasher: Hasher
    kinds: tuple[str, ...]


_STATE = _State()


def init_worker(key_raw: bytes, kind_config: Mapping[str, Any], kinds: tuple[str, ...]) -> None:
    """Set up a worker (or the main process, for ``workers=1``)."""
    _STATE.registry = registry_from_config(kind_config)
    _STATE.hasher = Hasher(FingerprintKey(key_raw))
    _STATE.kinds = kinds


def hash_chunk(rows: list[list[str]]) -> ChunkResult:
    """Normalise and digest the mapped cells of each row (in ``kinds`` order)."""
    registry, hasher, kinds = _STATE.registry, _STATE.hasher, _STATE.kinds
    outcome = array("i")
    table: dict[str, int] = {}
    kind_index = bytearray()
    digests: list[bytes] = []
    lengths = array("I")
    for cells in rows:
        pairs: dict[tuple[str, str], None] = {}
        failed = -1
        for i, (kind, cell) in enumerate(zip(kinds, cells, strict=True)):
            if not cell.strip():
                continue
            found = import_fields(registry, kind, cell)
            if not found:
                failed = i
                break
            for pair in found:
                pairs[pair] = None
        if failed >= 0:
            outcome.append(-2 - failed)
        elif not pairs:
            outcome.append(-1)
        else:
            outcome.append(len(pairs))
            for kind, canonical in pairs:
                code = table.get(kind)
                if code is None:
                    code = table[kind] = len(table)
                kind_index.append(code)
                digests.append(hasher.digest(kind, canonical))
                lengths.append(len(canonical))
    return ChunkResult(outcome, tuple(table), bytes(kind_index), b"".join(digests), lengths)


def default_workers() -> int:
    """Every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class ChunkPipeline:
    """Chunks in, results out in order, with a bounded number of chunks in flight."""

    def __init__(
        self, workers: int, key: FingerprintKey, kind_config: Mapping[str, Any],
        kinds: tuple[str, ...],
    ) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        args = (key.raw, dict(kind_config), kinds)
        if workers > 1:
            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),  # no fork beside threads
                initializer=init_worker,
                initargs=args,
            )
        else:
            init_worker(*args)
        self._pending: deque[tuple[Any, Future[ChunkResult] | ChunkResult]] = deque()

    def submit(self, meta: Any, rows: list[list[str]]) -> Iterator[tuple[Any, ChunkResult]]:
        """Queue a chunk; yields the results that are due (oldest first)."""
        if self._pool is None:
            yield meta, hash_chunk(rows)
            return
        self._pending.append((meta, self._pool.submit(hash_chunk, rows)))
        while len(self._pending) > 2 * self.workers:
            yield self._pop()

    def drain(self) -> Iterator[tuple[Any, ChunkResult]]:
        while self._pending:
            yield self._pop()

    def _pop(self) -> tuple[Any, ChunkResult]:
        meta, fut = self._pending.popleft()
        assert isinstance(fut, Future)
        return meta, fut.result()

    def close(self) -> None:
        for _, fut in self._pending:
            if isinstance(fut, Future):
                fut.cancel()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
