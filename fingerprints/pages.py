"""Large pages for a large set's maps (issue 12): advice to the kernel, nothing more.

At ten million records a hit-dense scan reads the set's files (2.3 GB) at random:
the Bloom filter's words, the index's keys and postings, each candidate's record
keys. Mapped in 4 KB pages, each such read is a walk of the page tables as well as
a cache miss, and in a virtual machine that walk is itself several misses. Linux
maps a file in 2 MB pages where its page cache holds the file in 2 MB folios, which
file systems with large folios (ext4 and XFS on recent kernels) give to reads the
kernel does ahead of a mapping advised ``MADV_HUGEPAGE``, and to long sequential
reads. Pages the builder wrote stay as they were written, mostly small: once a large
set file is on disk the builder lets its pages go, so that the first open reads it
back in large folios.

Both are hints: where the kernel or the file system has no such pages, or the call
fails, nothing changes. docs/benchmarks.md ("Stop 42") has the measurements.
"""

from __future__ import annotations

import contextlib
import mmap
import os
from pathlib import Path

#: Only files of at least this many bytes: a 2 MB page needs a 2 MB-aligned run of
#: the file, and the sets of tests and small customers fit in the caches anyway.
LARGE_FILE = 64 << 20


def advise_large_pages(mm: mmap.mmap | None) -> None:
    """Ask for 2 MB pages behind the read-only map of a large set file."""
    if mm is None or len(mm) < LARGE_FILE or not hasattr(mmap, "MADV_HUGEPAGE"):
        return
    with contextlib.suppress(OSError, ValueError):  # (a kernel without such pages)
        mm.madvise(mmap.MADV_HUGEPAGE)


def drop_written(path: Path) -> None:
    """Let the page cache go of a large set file the builder wrote (and synced)."""
    if not hasattr(os, "posix_fadvise"):
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        if os.fstat(fd).st_size >= LARGE_FILE:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass
    finally:
        os.close(fd)
