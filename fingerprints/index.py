"""The exact index of a fingerprint set and its record references.

Keys are the first 8 bytes of each 16-byte digest read as little-endian ``uint64``:
with n stored keys a random probe matches by accident with probability n / 2**64.

``keys`` is sorted with parallel ``rows`` and ``kinds``; a per-record CSR
(``rec_offsets``, ``rec_keys``, ``rec_kinds``) gives every field digest of a record
for same-record checks. All arrays are ``.npy`` files opened memory-mapped.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import shutil
import tempfile
from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from fingerprints import native
from fingerprints.errors import FingerprintSetError
from fingerprints.pages import advise_large_pages

U64 = npt.NDArray[np.uint64]
ARRAYS: dict[str, np.dtype[Any]] = {
    "keys": np.dtype("<u8"),
    "rows": np.dtype("<u4"),
    "kinds": np.dtype("u1"),
    "rec_offsets": np.dtype("<u8"),
    "rec_keys": np.dtype("<u8"),
    "rec_kinds": np.dtype("u1"),
}
REFS_FILE = "refs.txt"
REFS_OFFSETS_FILE = "refs_offsets.npy"
MAX_ROWS = 2**32 - 1


def index_file(name: str) -> str:
    return f"index_{name}.npy"


def digest_keys(digests: npt.NDArray[np.uint8]) -> U64:
    """The index key of each row of a ``(n, 16) uint8`` digest array."""
    return np.ascontiguousarray(digests[:, :8]).view("<u8").reshape(-1)


#: At most 2**22 buckets in :meth:`ExactIndex.buckets` (32 MB of offsets).
BUCKET_BITS_MAX = 22

FILE_MODE = 0o600  # set files: the owner only (digests are still worth protecting)
DIR_MODE = 0o700


def open_private(path: Path, mode: str = "wb") -> BinaryIO:
    """Create (or truncate) ``path`` readable by its owner only, whatever the umask."""
    flags = (os.O_RDWR if "+" in mode else os.O_WRONLY) | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode)  # type: ignore[return-value]
    except BaseException:
        os.close(fd)
        raise


def save_npy(path: Path, values: npt.NDArray[Any]) -> None:
    """``np.save`` followed by fsync, so a renamed set is complete on disk."""
    with open_private(path) as fh:
        np.save(fh, values, allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())


def load_npy(path: Path, dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    """Memory-map a 1-d ``.npy`` of ``dtype``; any defect is a FingerprintSetError."""
    try:
        try:
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
        except ValueError:
            # mmap refuses zero-length maps: an empty array is read instead
            arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise FingerprintSetError(
            f"{path.name} in fingerprint set {path.parent} is missing or damaged "
            f"({type(exc).__name__}): copy the set again or re-fingerprint"
        ) from None
    if arr.ndim != 1 or arr.dtype != dtype:
        raise FingerprintSetError(
            f"{path.name} in fingerprint set {path.parent} has the wrong shape or type: "
            "copy the set again or re-fingerprint"
        )
    # (np.memmap keeps its map as ``_mmap``; an array read in has none)
    advise_large_pages(getattr(arr, "_mmap", None))
    return np.asarray(arr)


def file_info(path: Path) -> dict[str, Any]:
    """Size and SHA-256 of a set file, as recorded in the manifest."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return {"bytes": path.stat().st_size, "sha256": h.hexdigest()}


def write_fsync(path: Path, data: bytes | bytearray) -> None:
    """Write ``data`` to a new file (mode 0600) and fsync it."""
    with open_private(path) as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def install_directory(tmp: Path, target: Path) -> None:
    """Move a finished set into place; an existing set is replaced only after success."""
    old: Path | None = None
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        target.replace(old / "set")
    try:
        tmp.replace(target)  # rename onto a missing or empty directory is atomic
    except OSError:
        if old is not None:
            (old / "set").replace(target)
            old.rmdir()
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ExactIndex:
    """Truncated digest → (rows, kinds), and row → its fields' (kinds, keys)."""

    __slots__ = ("_buckets", "keys", "kinds", "rec_keys", "rec_kinds", "rec_offsets", "rows")

    def __init__(
        self,
        keys: U64,
        rows: npt.NDArray[np.uint32],
        kinds: npt.NDArray[np.uint8],
        rec_offsets: U64,
        rec_keys: U64,
        rec_kinds: npt.NDArray[np.uint8],
    ) -> None:
        n = len(keys)
        if len(rows) != n or len(kinds) != n or len(rec_keys) != n or len(rec_kinds) != n:
            raise FingerprintSetError("exact index arrays differ in length: re-fingerprint")
        if len(rec_offsets) < 1 or int(rec_offsets[-1]) != n or int(rec_offsets[0]) != 0:
            raise FingerprintSetError("exact index record offsets are damaged: re-fingerprint")
        self.keys = keys
        self.rows = rows
        self.kinds = kinds
        self.rec_offsets = rec_offsets
        self.rec_keys = rec_keys
        self.rec_kinds = rec_kinds
        self._buckets: tuple[npt.NDArray[np.int64], int] | None = None

    @property
    def record_count(self) -> int:
        return len(self.rec_offsets) - 1

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def build(
        cls,
        keys: U64,
        rows: npt.NDArray[np.uint32],
        kinds: npt.NDArray[np.uint8],
        record_count: int,
    ) -> ExactIndex:
        """Index parallel per-field arrays; ``rows`` need not be sorted.

        Sorting is stable, so a key shared by several records lists them in row order.
        """
        keys = np.asarray(keys, dtype="<u8")
        rows = np.asarray(rows, dtype="<u4")
        kinds = np.asarray(kinds, dtype="u1")
        if not len(keys) == len(rows) == len(kinds):
            raise ValueError("keys, rows and kinds must have the same length")
        if record_count > MAX_ROWS or (len(rows) and int(rows.max()) >= record_count):
            raise ValueError("a row number is outside the record count")
        if len(rows) > 1 and bool(np.any(rows[1:] < rows[:-1])):
            by_row = np.argsort(rows, kind="stable")
            rec_rows, rec_keys, rec_kinds = rows[by_row], keys[by_row], kinds[by_row]
        else:
            rec_rows, rec_keys, rec_kinds = rows, keys, kinds
        counts = np.bincount(rec_rows, minlength=record_count).astype("<u8")
        rec_offsets = np.zeros(record_count + 1, dtype="<u8")
        np.cumsum(counts, out=rec_offsets[1:])
        order = np.argsort(keys, kind="stable")
        return cls(keys[order], rows[order], kinds[order], rec_offsets, rec_keys, rec_kinds)

    def save(self, directory: Path) -> None:
        for name in ARRAYS:
            save_npy(directory / index_file(name), getattr(self, name))

    @classmethod
    def open(cls, directory: Path) -> ExactIndex:
        arrays = {name: load_npy(directory / index_file(name), dt) for name, dt in ARRAYS.items()}
        return cls(**arrays)

    def lookup(
        self, keys: npt.NDArray[np.uint64]
    ) -> list[tuple[int, npt.NDArray[np.uint32], npt.NDArray[np.uint8]]]:
        """``(position in keys, rows, kinds)`` for each query key that is indexed.

        ``rows`` and ``kinds`` are read-only views into the index.
        """
        hit, left, right = self.ranges(keys)
        return [
            (i, self.rows[lo:hi], self.kinds[lo:hi])
            for i, lo, hi in zip(hit.tolist(), left.tolist(), right.tolist(), strict=True)
        ]

    def ranges(
        self, keys: npt.NDArray[np.uint64]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Query positions that hit, and their ``[left, right)`` ranges in ``keys``."""
        q = np.asarray(keys, dtype=np.uint64)  # same dtype, or searchsorted goes via float
        left = np.searchsorted(self.keys, q, side="left")
        right = np.searchsorted(self.keys, q, side="right")
        hit = np.flatnonzero(right > left)
        return hit, left[hit], right[hit]

    def buckets(self) -> tuple[npt.NDArray[np.int64], int]:
        """``(first, shift)``: ``first[b]`` is the position of the first key whose top
        bits (``key >> shift``) are at least ``b``, and ``first[-1]`` the key count.

        About eight keys per bucket (at most 2**22 buckets, 32 MB): a query's range
        then lies in its bucket, which the native ``index_answers`` searches instead of
        the whole index (made once, on first use: a million records' seven million
        keys take ~0.2 s).
        """
        if self._buckets is None:
            n = len(self.keys)
            bits = min(BUCKET_BITS_MAX, max(0, (n // 8).bit_length()))
            shift = 64 - bits
            edges = (np.arange(1 << bits, dtype=np.uint64) << np.uint64(shift) if bits
                     else np.zeros(1, dtype=np.uint64))
            first = np.searchsorted(self.keys, edges, side="left")
            self._buckets = (np.append(first, n).astype(np.int64), shift)
        return self._buckets

    def gather(
        self, keys: npt.NDArray[np.uint64]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint32], npt.NDArray[np.uint8]]:
        """Flat ``(query position, row, kind)`` arrays of every indexed match, vectorized."""
        hit, left, right = self.ranges(keys)
        counts = right - left
        owner = np.repeat(hit, counts)
        # positions left[j] .. right[j]-1 for every hit j, without a Python loop
        first = np.repeat(left - np.cumsum(counts) + counts, counts)
        pos = first + np.arange(len(owner))
        return owner, self.rows[pos], self.kinds[pos]

    def record_slice(self, row: int) -> tuple[npt.NDArray[np.uint8], U64]:
        """Kind codes and keys of every field of record ``row`` (arrays)."""
        if not 0 <= row < self.record_count:
            raise IndexError(f"row {row} is outside 0..{self.record_count - 1}")
        lo, hi = int(self.rec_offsets[row]), int(self.rec_offsets[row + 1])
        return np.array(self.rec_kinds[lo:hi]), np.array(self.rec_keys[lo:hi])

    def record_fields(self, row: int) -> list[tuple[int, int]]:
        """``(kind code, key)`` of every field of record ``row``."""
        kinds, keys = self.record_slice(row)
        return list(zip(kinds.tolist(), keys.tolist(), strict=True))


def check_ref(ref: str) -> str:
    """A record reference as stored: non-empty, one line."""
    if not ref or "\n" in ref or "\r" in ref:
        raise ValueError("a record reference must be a non-empty single line")
    return ref


class RefBuffer:
    """Record references being collected: one bytes buffer, not one str per record."""

    __slots__ = ("_blob", "_offsets")

    def __init__(self) -> None:
        self._blob = bytearray()
        self._offsets = array("Q", [0])

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def append(self, ref: str) -> None:
        self._blob += check_ref(ref).encode("utf-8") + b"\n"
        self._offsets.append(len(self._blob))

    def write(self, directory: Path) -> int:
        """Write ``refs.txt`` (one per line) and each line's byte offset; returns count."""
        write_fsync(directory / REFS_FILE, self._blob)
        save_npy(directory / REFS_OFFSETS_FILE, np.frombuffer(self._offsets, dtype="<u8"))
        return len(self)


def write_refs(directory: Path, refs: Iterable[str]) -> int:
    """Write ``refs`` as a set's ``refs.txt`` and offsets; returns the count."""
    buf = RefBuffer()
    for ref in refs:
        buf.append(ref)
    return buf.write(directory)


class RefStore:
    """Row → record reference, read from a memory-mapped ``refs.txt``."""

    __slots__ = ("_blob", "_offsets")

    def __init__(self, directory: Path, record_count: int) -> None:
        self._offsets = load_npy(directory / REFS_OFFSETS_FILE, np.dtype("<u8"))
        path = directory / REFS_FILE
        try:
            with path.open("rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                self._blob: mmap.mmap | bytes = (
                    mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
                )
                if isinstance(self._blob, mmap.mmap):
                    advise_large_pages(self._blob)
        except OSError:
            raise FingerprintSetError(
                f"{REFS_FILE} of fingerprint set {directory} is missing: copy the set again"
            ) from None
        if len(self._offsets) != record_count + 1 or int(self._offsets[-1]) != size:
            raise FingerprintSetError(
                f"{REFS_FILE} of fingerprint set {directory} is damaged: copy the set again"
            )

    def __getitem__(self, row: int) -> str:
        offsets = self._offsets
        if not 0 <= row < len(offsets) - 1:
            raise IndexError(f"row {row} is outside the set")
        # (Once per record hit of every chunk: ``item`` gives Python ints without
        # numpy scalars, and a slice of the map is already bytes.)
        item = offsets.item
        return self._blob[item(row) : item(row + 1) - 1].decode("utf-8")

    def refs(self, rows: Sequence[int]) -> list[str]:
        """``[self[row] for row in rows]`` with the offsets read in one numpy step (a
        hit-dense chunk has tens of thousands of record hits)."""
        if not len(rows):
            return []
        offsets = self._offsets
        core = native.CORE
        if core is not None and offsets.flags.c_contiguous and offsets.dtype.isnative:
            # (At ten million records each ref is a cache miss or two: read ahead in C.)
            return core.record_refs(self._blob, offsets, rows if isinstance(rows, list)
                                    else list(rows))
        at = np.fromiter(rows, dtype=np.int64, count=len(rows))
        if int(at.min()) < 0 or int(at.max()) >= len(offsets) - 1:
            bad = next(r for r in rows if not 0 <= r < len(offsets) - 1)
            raise IndexError(f"row {bad} is outside the set")
        blob = self._blob
        starts, ends = offsets[at].tolist(), (offsets[at + 1] - 1).tolist()
        # One decode of the refs joined by the line break that ends each in the file
        # (a ref holds none: check_ref), not one per ref.
        got = b"\n".join(map(blob.__getitem__, map(slice, starts, ends))).decode("utf-8")
        refs = got.split("\n")
        if len(refs) != len(starts):  # a damaged file: a ref holding a line break
            refs = [blob[a:b].decode("utf-8") for a, b in zip(starts, ends, strict=True)]
        return refs
