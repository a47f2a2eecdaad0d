"""One document's byte pieces, decoded once, scanned against several sets in one pass.

:func:`scan_stream_many` is the streaming loop behind :meth:`Matcher.scan_stream`
(and the CLI's scans of files and standard input): ~8 MB pieces cut on line
boundaries (a longer line in overlapping windows, :mod:`matchers.pieces`), decoded
once (UTF-16/32 incrementally), the layout of one piece handed to the next, results
merged per record. :func:`no_cyclic_gc` pauses the cyclic collector around such hot
loops (also :mod:`matchers.parallel`'s); :func:`freeze_heap` and
:func:`keep_freed_memory` are for the processes that scan.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import chain
from typing import TYPE_CHECKING

from fingerprints import native
from matchers.pieces import (
    CHUNK_BYTES,
    decode_piece,
    detect_encoding,
    is_wide,
    line_pieces,
    wide_text_chunks,
)
from matchers.result import Accumulator, MatchResult
from matchers.rows import Layout

if TYPE_CHECKING:  # matchers.scan imports this module
    from matchers.scan import Matcher


def scan_stream_many(
    matchers: list[Matcher],
    chunks: Iterable[bytes],
    *,
    name: str = "",
    piece_bytes: int = CHUNK_BYTES,
) -> list[MatchResult]:
    """Scan one document, given as byte pieces, against several sets in ONE pass.

    The pieces are read once (standard input cannot be read twice, and a big file
    should not be), decoded once, and each piece is scanned by every matcher.
    """
    totals = [Accumulator(m.dataset, m.primary) for m in matchers]
    layouts: list[Layout | None] = [None] * len(matchers)
    # (The input's length is unknown: up to half a piece more is held back, so that
    # its end is not read as a sliver of a piece.)
    texts = _decoded_pieces(line_pieces(chunks, piece_bytes, piece_bytes // 2))
    encoding = ""
    line = 1
    # The collector stays paused for the whole loop, not chunk by chunk:
    # re-enabled between chunks it would walk the value caches every time.
    with no_cyclic_gc():
        for text, encoding, lossy, size in texts:
            for i, m in enumerate(matchers):
                part, layouts[i] = m.chunk_hits(
                    text, name=name, layout=layouts[i], first_line=line, continues=line > 1
                )
                part.encoding, part.lossy, part.bytes_scanned = encoding, lossy, size
                totals[i].add(part)
            line += text.count("\n")
        # (Still paused: sorting a dump's record hits allocates one key per record,
        # and a collection then would walk every object the scan made.)
        merged = [t.result() for t in totals]
    for result in merged:
        result.encoding = result.encoding or encoding or "utf-8"
    return merged


def _decoded_pieces(
    pieces: Iterator[tuple[bytes, int]],
) -> Iterator[tuple[str, str, bool, int]]:
    """(text, encoding, lossy, fresh byte size) per piece; UTF-16/32 decoded incrementally."""
    encoding: str | None = None
    for piece, fresh in pieces:
        if encoding is None:
            detected = detect_encoding(piece)
            if is_wide(detected):
                # UTF-16/32: a b"\n" byte is not a line break; read the raw bytes again
                # (the first piece whole, later ones only their fresh bytes).
                raw = chain([piece], (p[len(p) - f :] for p, f in pieces))
                for text, size, lossy in wide_text_chunks(raw, detected):
                    yield text, detected, lossy, size
                return
        text, encoding, lossy = decode_piece(piece, encoding)
        yield text, encoding, lossy, fresh


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector around a scan's hot loop.

    A chunk allocates hundreds of thousands of small tuples, and with the value
    caches holding many more, every full collection walks them all: measured
    15-35% of the scan time. Nothing here makes reference cycles, so reference
    counting frees everything. The switch is the whole process's (``gc`` has no
    other), so it is held only around the loops, and counted: with scans nested or
    on several threads, the collector comes back on (if it was on before the
    first) when the last of them ends, never while one still runs.
    """
    global _gc_paused, _gc_was_enabled
    with _gc_lock:
        if _gc_paused == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_paused += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_paused -= 1
            if _gc_paused == 0 and _gc_was_enabled:
                _age_young_objects()
                gc.enable()


def _age_young_objects() -> None:
    """Move every object the paused loop made into the oldest generation, unwalked.

    With the collector back on, the next allocation would collect the youngest
    generation, which then holds every object the scan made and kept (the value
    caches, the memo: millions at a million records): one walk of them all, 3-6 %
    of a hit-dense scan. ``freeze`` then ``unfreeze`` splices the generations'
    lists into the oldest in constant time; the objects are walked at the next
    full collection, like any long-lived object (a cycle made during the pause is
    found then, not at once; the scan makes none). After every pause, not only a
    large one: a crawled page keeps a few hundred new memo and cache entries, and
    walking them young, then again as they age, cost 8-13 % of the matcher's CPU
    on the crawl benchmark's fresh pages (`benchmarks/crawl_matching.py`, 1.44-1.53
    against 1.32-1.33 ms a page; warm pages and `per_document.py` the same either
    way). Skipped when something else in the process keeps objects frozen
    (``unfreeze`` would release them too); not even asked after :func:`freeze_heap`,
    as ``get_freeze_count`` walks every frozen object (12 ms for 150,000).
    """
    if not _heap_frozen and gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def freeze_heap() -> None:
    """Take every object alive now out of the cyclic collector's walks for good
    (``gc.freeze``, after one full collection, so no garbage is kept).

    For a process that loads a large heap once, then allocates in a long loop: the
    crawl process, where the match pipeline loads the URL guard's matchers, the ORM
    and numpy, and every full collection Scrapy's requests set off walked them all
    (measured with the crawl benchmark: the pipeline without any matching cost the
    crawl process 0.10-0.23 ms more CPU a page without this, about as much as the
    bare crawl with it). The scans' pauses then leave what they made in the
    collector's generations, as :func:`_age_young_objects` says.
    """
    global _heap_frozen
    gc.collect()
    gc.freeze()
    _heap_frozen = True


def thaw_heap() -> None:
    """Undo :func:`freeze_heap`: the frozen objects are walked again."""
    global _heap_frozen
    gc.unfreeze()
    _heap_frozen = False


#: What a scanning process keeps of the memory it frees (keep_freed_memory): arenas of
#: CPython's small-object allocator (1 MiB each; a chunk of a hit-dense scan frees
#: ~90), blocks up to this size from glibc's heap, and its heap's top trimmed past this.
KEPT_ARENAS = 128
MMAP_THRESHOLD = 64 << 20
TRIM_THRESHOLD = 128 << 20


def keep_freed_memory() -> bool:
    """Keep the memory a chunk of a scan frees for the next chunk, instead of handing
    it back to the system and getting it anew, every page zeroed by the kernel on
    first touch (``fingerprints/_memory.c``): up to :data:`KEPT_ARENAS` arenas of
    CPython's allocator, and glibc's heap trimmed only past :data:`TRIM_THRESHOLD`.

    For a process that scans (``leakprint scan``, the matcher processes of a crawl
    and of ``scan --file``): it stays near its peak (which moved by 7 % at most in
    the benchmarks) instead of shrinking between chunks. Scanning the hit-dense dump
    against ten million records, each scan took 28,000-50,000 page faults and
    0.07-0.17 s of system time in 1.1 s without this, 0-130 faults with it
    (docs/benchmarks.md, "Stop 39"). Process-wide, so never called by the library's
    scans themselves: the process's owner calls it. False when the extension is not
    built (whichever core scans: this is no part of matching).
    """
    core = native.built()
    if core is None:
        return False
    core.keep_freed_memory(KEPT_ARENAS, MMAP_THRESHOLD, TRIM_THRESHOLD)
    return True


_gc_lock = threading.Lock()
_gc_paused = 0  # scans inside no_cyclic_gc now
_gc_was_enabled = False
_heap_frozen = False  # freeze_heap() was called (and thaw_heap() not since)


__all__ = ["freeze_heap", "keep_freed_memory", "no_cyclic_gc", "scan_stream_many",
           "thaw_heap"]
