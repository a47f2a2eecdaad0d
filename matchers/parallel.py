"""Scanning one large file on several cores.

The file is cut into byte ranges that end on a line break; each worker process
opens the (memory-mapped) fingerprint set itself once, reads its ranges from the
file and scans them. Only byte offsets go to the workers and only results come
back, so no text crosses process boundaries. The first piece is scanned in the
parent first: it fixes the encoding and the layout (with its header hints) that
every range is read with. Line numbers are made document-wide by adding the
line breaks of the ranges before.

The workers are *spawned* (as the crawl's matcher workers of ``leakprint.matchpool``
are): each gets the set's folder and the key through its start-up arguments and opens
the set itself, so nothing of the caller's process (its heap, its threads, other
open sets) is copied into them, and nothing is left behind in the caller.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Final

from fingerprints.keyed import FingerprintKey
from fingerprints.reader import FingerprintSet
from fingerprints.shred import SecretSource
from matchers.companion import matcher_for
from matchers.lifeline import die_with_parent
from matchers.result import Accumulator, MatchResult
from matchers.rows import Layout
from matchers.scan import (
    CHUNK_BYTES,
    CUT_SEARCH,
    LINE_OVERLAP,
    Matcher,
    decode_piece,
    detect_encoding,
    is_wide,
    line_pieces,
    no_cyclic_gc,
    safe_cut,
)
from matchers.spawning import worker_start
from matchers.stream import keep_freed_memory

# Ranges per task: a few MB keeps the per-task overhead negligible (two pieces).
RANGE_BYTES: Final = 2 * CHUNK_BYTES
# The smallest range handed to a worker, and the head scanned first in the parent
# (it fixes encoding and layout; the workers wait for it, so it stays small).
MIN_RANGE_BYTES: Final = 1 << 20
READ_BYTES: Final = 1 << 16

# The set a spawned worker opened (in the workers only; never set in the caller).
_worker_matcher: Matcher | None = None


def scan_file(
    path: Path | str,
    fpset_dir: Path | str,
    key: FingerprintKey,
    *,
    workers: int | None = None,
    range_bytes: int = RANGE_BYTES,
    secrets: SecretSource | None = None,
) -> MatchResult:
    """Scan a file of any size against one fingerprint set, on ``workers`` processes.

    ``workers`` defaults to ``os.cpu_count()``; 1 scans in this process. ``secrets``
    hands a sealed set its per-set secret (spawned workers get it through their
    start-up arguments: it must be picklable, e.g. ``StaticSecrets``).
    """
    p = Path(path)
    size = p.stat().st_size
    workers = workers or os.cpu_count() or 1
    matcher = matcher_for(FingerprintSet.open(fpset_dir, key, secrets=secrets), key)
    head, start = _read_head(p, size, min(MIN_RANGE_BYTES, range_bytes))
    if is_wide(detect_encoding(head)):
        # UTF-16/32 cannot be cut at b"\n" bytes: one process, decoded incrementally.
        return matcher.scan_stream(_read_all(p), name=p.name)
    # This process is one of the ``workers``: it scans ranges too, so only
    # ``workers - 1`` are spawned. Spawned workers take a while to import the
    # matcher and open the set: they start now, while this process scans the
    # first piece, when the rest of the file may be cut into two ranges or more.
    pool: Pool | None = None
    if workers > 1 and size - start > min(range_bytes, MIN_RANGE_BYTES):
        pool = start_workers(workers - 1, fpset_dir, key, secrets)
    try:
        return _scan_pieces(p, size, head, start, matcher, workers, range_bytes, pool)
    finally:
        if pool is not None:
            pool.terminate()


def start_workers(count: int, fpset_dir: Path | str, key: FingerprintKey,
                  secrets: SecretSource | None = None) -> Pool:
    """``count`` spawned workers that open the set as they start, for ``_scan_pieces``.

    They start cheaply (``matchers.spawning.worker_start``) and end with this
    process, whatever killed it (``matchers.lifeline``); the caller terminates them.
    """
    with worker_start():
        return mp.get_context("spawn").Pool(
            count, initializer=_open,
            initargs=(str(fpset_dir), key.raw.hex(), os.getpid(), secrets),
        )


def _scan_pieces(p: Path, size: int, head: bytes, start: int, matcher: Matcher,
                 workers: int, range_bytes: int, pool: Pool | None) -> MatchResult:
    # The first piece, scanned here, fixes the encoding and the layout (with
    # its header hints) that every later range is read with.
    text, encoding, lossy = decode_piece(head, None)
    first, layout = matcher.scan_chunk(text, name=p.name)
    first.encoding, first.lossy, first.bytes_scanned = encoding, lossy, len(head)
    total = Accumulator(matcher.dataset, matcher.primary)
    total.add(first)
    line = 1 + text.count("\n")
    rest = size - start
    # At least two ranges per worker keeps them busy to the end (the ranges are
    # handed out one at a time); fewer, larger ranges cost less per byte (each
    # range scores and merges every record it hit): measured about 10% less CPU
    # than four per worker on a 20 MB dump.
    step = min(range_bytes, max(rest // (2 * workers) + 1, min(range_bytes, MIN_RANGE_BYTES)))
    ranges = list(_ranges(p, size, step, start=start, skip=len(head) - start))
    tasks = [(str(p), lo, hi, skip, encoding, layout, p.name) for lo, hi, skip in ranges]
    if pool is None or len(tasks) < 2:
        for result, newlines in (_scan_range_with(matcher, t) for t in tasks):
            total.add(_shift(result, line - 1))
            line += newlines
        return total.result()
    for result, newlines in _share(pool, workers - 1, tasks, matcher):
        total.add(_shift(result, line - 1))
        line += newlines
    return total.result()


def _share(pool: Pool, size: int, tasks: list[Task], matcher: Matcher
           ) -> list[tuple[MatchResult, int]]:
    """Every range scanned, by the pool's ``size`` workers and by this process, each
    taking the next range when it is free; the results in the ranges' order."""
    done: dict[int, tuple[MatchResult, int]] = {}
    failed: list[BaseException] = []
    lock = threading.Condition()
    order = iter(enumerate(tasks))

    def take() -> tuple[int, Task] | None:
        with lock:
            return None if failed else next(order, None)

    def feed() -> None:
        item = take()
        if item is not None:
            pool.apply_async(_scan_indexed, (item,), callback=finished, error_callback=failure)

    def finished(answer: tuple[int, tuple[MatchResult, int]]) -> None:
        with lock:
            done[answer[0]] = answer[1]
            lock.notify_all()
        feed()

    def failure(exc: BaseException) -> None:
        with lock:
            failed.append(exc)
            lock.notify_all()

    for _ in range(size):
        feed()
    while (item := take()) is not None:
        answer = _scan_range_with(matcher, item[1])
        with lock:
            done[item[0]] = answer
    with lock:
        while not failed and len(done) < len(tasks):
            lock.wait()
    if failed:
        raise failed[0]
    return [done[i] for i in range(len(tasks))]


def _read_all(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while block := fh.read(CHUNK_BYTES):
            yield block


def _read_head(path: Path, size: int, want: int) -> tuple[bytes, int]:
    """The first ~``want`` bytes of the file, up to and including a line break,
    and where the next range starts. With no line break within ``2 * want``
    bytes (a file without newlines) the head is cut there, and the next range
    starts :data:`LINE_OVERLAP` bytes before its end (see ``line_pieces``)."""
    with path.open("rb") as fh:
        head = bytearray(fh.read(want))
        while len(head) < size and not head.endswith(b"\n"):
            if len(head) >= 2 * want:
                search = min(CUT_SEARCH, want // 4)
                end = safe_cut(head, len(head), search)
                start = safe_cut(head, end - min(LINE_OVERLAP, want // 4), search)
                return bytes(head[:end]), start
            block = fh.read(READ_BYTES)
            if not block:
                break
            nl = block.find(b"\n")
            if nl >= 0:
                head += block[: nl + 1]
                break
            head += block
    return bytes(head), len(head)


def _ranges(
    path: Path, size: int, step: int, start: int = 0, skip: int = 0
) -> Iterator[tuple[int, int, int]]:
    """``[lo, hi)`` byte ranges of about ``step`` bytes from ``start``, each ending
    after a ``\n`` (or at the end of the file), and how many bytes at its start
    the range before held too. A range that finds no line break within ``step``
    more bytes is cut there, and the next one starts :data:`LINE_OVERLAP` bytes
    before the cut (inside the same long line, so no line break is counted twice)."""
    search = min(CUT_SEARCH, step // 4)
    overlap = min(LINE_OVERLAP, step // 4)
    with path.open("rb") as fh:
        lo = start
        while lo < size:
            hi = min(size, lo + step)
            next_skip = 0
            if hi < size:
                fh.seek(hi)
                limit = hi + step
                while True:
                    block = fh.read(min(READ_BYTES, limit - hi))
                    if not block:
                        if hi < size:  # no line break within step more bytes
                            fh.seek(hi - search - overlap)
                            tail = fh.read(search + overlap)
                            base = hi - len(tail)
                            end = safe_cut(tail, len(tail), search)
                            back = safe_cut(tail, end - overlap, search)
                            hi, next_skip = base + end, end - back
                        break
                    nl = block.find(b"\n")
                    if nl >= 0:
                        hi += nl + 1
                        break
                    hi += len(block)
            yield lo, hi, skip
            lo, skip = hi - next_skip, next_skip


def _open(fpset_dir: str, key_hex: str, parent: int | None = None,
          secrets: SecretSource | None = None) -> None:
    """A spawned worker's start: open the set (memory-mapped) once for all its ranges."""
    global _worker_matcher
    die_with_parent(parent)
    keep_freed_memory()  # (the worker scans range after range)
    key = FingerprintKey.from_hex(key_hex)
    _worker_matcher = matcher_for(FingerprintSet.open(fpset_dir, key, secrets=secrets), key)


Task = tuple[str, int, int, int, str, Layout, str]


def _scan_indexed(item: tuple[int, Task]) -> tuple[int, tuple[MatchResult, int]]:
    """A range, in a worker: with the set the worker opened."""
    assert _worker_matcher is not None, "worker not initialised"
    return item[0], _scan_range_with(_worker_matcher, item[1])


def _scan_range_with(matcher: Matcher, task: Task) -> tuple[MatchResult, int]:
    path, lo, hi, skip, encoding, layout, name = task
    with open(path, "rb") as fh:
        fh.seek(lo)
        data = fh.read(hi - lo)
    total = Accumulator(matcher.dataset, matcher.primary)
    line = 1
    with no_cyclic_gc():  # around the range's loop only (see scan_stream_many)
        for piece, fresh in line_pieces([data], piece_size(len(data))):
            text, _enc, lossy = decode_piece(piece, encoding)
            result, layout = matcher.chunk_hits(
                text, name=name, layout=layout, first_line=line, continues=True
            )
            # The overlap with the range before is not counted twice.
            result.encoding, result.lossy, result.bytes_scanned = encoding, lossy, fresh - skip
            skip = 0
            total.add(result)
            line += text.count("\n")
    return total.result(), data.count(b"\n")


def piece_size(length: int) -> int:
    """The piece size that cuts a range of ``length`` bytes (all in memory) into whole
    pieces of about :data:`CHUNK_BYTES`, without a small last one.

    A piece costs less per byte the larger it is (each piece canonicalizes its
    distinct values once): 4.19 MB pieces measured 110-130 ms/MB, 0.5 MB ones
    160-185. A 4.75 MB range read as 4.19 + 0.56 MB cost about 50 ms more than as one
    piece. Pieces stay between 2/3 and 3/2 of ``CHUNK_BYTES``; the slack covers the
    line ends that make each piece a little shorter than the size.
    """
    pieces = max(1, round(length / CHUNK_BYTES))
    return -(-length // pieces) + READ_BYTES


def _shift(result: MatchResult, lines: int) -> MatchResult:
    if lines:
        result.record_hits = [
            replace(h, row=h.row + lines) for h in result.record_hits
        ]
    return result
