"""The import's CPU-heavy step, normalise and digest, in worker processes.

The main process reads and checks the CSV; chunks of rows (the mapped cells only)
go to spawned workers, which return per row either its distinct fields' kinds,
digests and value lengths, or the mapped column that failed. Only digests come
back: no value leaves a worker. The key reaches a worker through its start-up
arguments (a pipe), never its command line or environment.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from fingerprints.keyed import FingerprintKey, Hasher
from fingerprints.kindconfig import import_fields, registry_from_config
from fingerprints.normalizers import KindRegistry

# One row's outcome: (kinds, digests, lengths) of its distinct fields, or the index
# (in the mapped-column order) of the column that failed, or -1 when no mapped cell
# has a value.
RowResult = tuple[tuple[str, ...], bytes, tuple[int, ...]] | int
CHUNK_ROWS = 2000


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


def hash_chunk(rows: list[list[str]]) -> list[RowResult]:
    """Normalise and digest the mapped cells of each row (in ``kinds`` order)."""
    registry, hasher, kinds = _STATE.registry, _STATE.hasher, _STATE.kinds
    out: list[RowResult] = []
    for cells in rows:
        pairs: dict[tuple[str, str], None] = {}
        failed = None
        for i, (kind, cell) in enumerate(zip(kinds, cells, strict=True)):
            if not cell.strip():
                continue
            found = import_fields(registry, kind, cell)
            if not found:
                failed = i
                break
            for pair in found:
                pairs.setdefault(pair, None)
        if failed is not None:
            out.append(failed)
        elif not pairs:
            out.append(-1)
        else:
            out.append(
                (
                    tuple(k for k, _ in pairs),
                    b"".join(hasher.digest(k, c) for k, c in pairs),
                    tuple(len(c) for _, c in pairs),
                )
            )
    return out


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
        self._pending: deque[tuple[Any, Future[list[RowResult]] | list[RowResult]]] = deque()

    def submit(self, meta: Any, rows: list[list[str]]) -> Iterator[tuple[Any, list[RowResult]]]:
        """Queue a chunk; yields the results that are due (oldest first)."""
        if self._pool is None:
            yield meta, hash_chunk(rows)
            return
        self._pending.append((meta, self._pool.submit(hash_chunk, rows)))
        while len(self._pending) > 2 * self.workers:
            yield self._pop()

    def drain(self) -> Iterator[tuple[Any, list[RowResult]]]:
        while self._pending:
            yield self._pop()

    def _pop(self) -> tuple[Any, list[RowResult]]:
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
