"""Large pages for a large set's maps (``fingerprints.pages``): the advice reaches the
kernel for the maps of large set files, never for small ones, and changes nothing
that is read."""

from __future__ import annotations

import mmap
import sys
from pathlib import Path

import numpy as np
import pytest

from fingerprints.index import load_npy
from fingerprints.pages import LARGE_FILE, advise_large_pages, drop_written

linux_thp = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(mmap, "MADV_HUGEPAGE")
    or not Path("/sys/kernel/mm/transparent_hugepage/enabled").exists(),
    reason="needs Linux with transparent huge pages",
)


def _vm_flags(address: int) -> list[str]:
    """The VmFlags of this process's map holding ``address`` (/proc/self/smaps)."""
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split(" ", 1)[0]
        if "-" in head and all(c in "0123456789abcdef-" for c in head):
            lo, hi = (int(x, 16) for x in head.split("-"))
            inside = lo <= address < hi
        elif inside and line.startswith("VmFlags:"):
            return line.split()[1:]
    raise AssertionError("no map holds the address")


@linux_thp
@pytest.mark.parametrize("large", [True, False])
def test_a_large_set_array_is_mapped_with_the_advice(tmp_path: Path, large: bool) -> None:
    n = (LARGE_FILE // 8 + 1024) if large else 1024
    values = np.arange(n, dtype="<u8")
    path = tmp_path / "index_keys.npy"
    np.save(path, values)
    arr = load_npy(path, np.dtype("<u8"))
    assert ("hg" in _vm_flags(arr.ctypes.data)) is large
    assert int(arr[-1]) == n - 1 and int(arr[12345 % n]) == 12345 % n


def test_the_advice_takes_no_map_or_a_small_one(tmp_path: Path) -> None:
    advise_large_pages(None)
    path = tmp_path / "small"
    path.write_bytes(b"x" * 4096)
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        advise_large_pages(mm)
        assert mm[:4] == b"xxxx"


def test_dropping_a_written_file_keeps_what_it_holds(tmp_path: Path) -> None:
    big = tmp_path / "big"
    with big.open("wb") as fh:
        fh.truncate(LARGE_FILE + 4096)
        fh.seek(LARGE_FILE)
        fh.write(b"tail")
    drop_written(big)
    drop_written(tmp_path / "absent")  # (nothing to do, no error)
    with big.open("rb") as fh:
        fh.seek(LARGE_FILE)
        assert fh.read(4) == b"tail"
