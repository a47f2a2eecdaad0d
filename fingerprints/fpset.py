"""Fingerprint sets: build one from canonical record fields, open one to probe it.

A set is a directory (SPEC 3.3), mode 0700, its files 0600::

    manifest.json            dataset, key id, normalizer version, per-kind stats,
                             files (size, SHA-256) and a MAC over all of it
    bloom.bin                Bloom filter over every field digest (fingerprints.bloom)
    index_*.npy              exact index (fingerprints.index)
    refs.txt, refs_offsets.npy   the operator's record references, one per row
    .verified                which files were hashed and matched (fingerprints.integrity)

No customer value is stored: only keyed digests, value lengths per kind, and the
record references the operator chose. The builder streams (fingerprints.streambuild):
its memory is set by a budget, not by the record count.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import weakref
from array import array
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from fingerprints.bloom import expected_fp_rate, parameters
from fingerprints.errors import FingerprintSetError
from fingerprints.index import (
    ARRAYS,
    DIR_MODE,
    REFS_FILE,
    REFS_OFFSETS_FILE,
    check_ref,
    digest_keys,
    file_info,
    index_file,
    install_directory,
    open_private,
    write_fsync,
)
from fingerprints.integrity import manifest_mac, write_stamp
from fingerprints.keyed import DIGEST_SIZE, FingerprintKey, Hasher, check_kind
from fingerprints.manifest import (
    BLOOM_FILE,
    LAYERED_FORMAT_VERSION,
    MANIFEST_FILE,
    MAX_KINDS,
    SET_FORMAT_VERSION,
    FilterParams,
    KindStats,
    Manifest,
    default_normalizer_version,
    tool_version,
)
from fingerprints.pages import drop_written
from fingerprints.reader import FingerprintSet, Hit
from fingerprints.shred import SetSecret
from fingerprints.streambuild import (
    DEFAULT_MEMORY,
    BuildPlan,
    NpyWriter,
    fill_window,
    merge_runs,
    sorted_run,
    write_bloom,
)

__all__ = ["FingerprintSet", "FingerprintSetBuilder", "Hit"]


class FingerprintSetBuilder:
    """Streams records into a set; ``finish()`` merges and installs it atomically.

    Records collect in a run buffer; a full run is sorted and written, with the
    records' references and per-record fields, to a temporary sibling directory
    (mode 0700, keyed digests only). ``finish()`` merges the runs into the exact index,
    fills the Bloom filter and renames the directory into place. An abandoned, failed
    or aborted build leaves nothing behind.

    ``memory`` is the budget in bytes for the whole build, ``workers`` the number of
    other processes feeding it (their footprint comes out of the budget);
    ``expected_fields`` an upper bound of the field count, which sizes the Bloom filter
    up front so its first window fills as the runs go by; ``reserve`` is memory the
    caller needs beside the build (taken out of the budget); ``secret`` seals the set
    with a per-set layer (fingerprints.shred: every digest re-keyed with it).
    """

    def __init__(
        self,
        directory: Path | str,
        dataset: str,
        key: FingerprintKey,
        *,
        normalizer_version: int | None = None,
        kinds: Iterable[str] | None = None,
        kind_config: Mapping[str, Any] | None = None,
        fp_rate: float = 1e-6,
        overwrite: bool = False,
        memory: int | None = None,
        workers: int = 0,
        expected_fields: int | None = None,
        reserve: int = 0,
        secret: SetSecret | None = None,
    ) -> None:
        if not dataset or "\n" in dataset:
            raise ValueError("dataset name must be a non-empty single line")
        if not 0.0 < fp_rate < 1.0:
            raise ValueError("fp_rate must be between 0 and 1")
        self.directory = Path(directory)
        self.dataset = dataset
        self.normalizer_version = (
            default_normalizer_version() if normalizer_version is None else normalizer_version
        )
        self.kind_config = dict(kind_config or {})
        try:
            json.dumps(self.kind_config)
        except (TypeError, ValueError):
            raise ValueError("kind_config must be JSON-serializable") from None
        self.fp_rate = fp_rate
        self.overwrite = overwrite
        self.plan = BuildPlan.for_budget(
            memory or DEFAULT_MEMORY, workers=workers, reserve=reserve
        )
        self._key = key
        self._hasher = Hasher(key)
        self._key_id = key.key_id
        self._secret = secret
        self._layer = secret.layer() if secret is not None else None
        self._fixed_kinds = False
        self._codes: dict[str, int] = {}
        self._counts: dict[str, int] = {}
        self._lengths: dict[str, set[int]] = {}
        for kind in kinds or ():
            self._code(kind)
        self._fixed_kinds = kinds is not None
        self._done = False
        self._records = 0
        self._fields = 0
        # the current run
        self._digests = bytearray()
        self._kinds = bytearray()
        self._rows = array("I")
        self._rec_ends = array("Q")  # field count so far at the end of each record
        self._ref_blob = bytearray()
        self._ref_ends = array("Q")
        self._ref_bytes = 0
        # on disk, from the first spill
        self._tmp: Path | None = None
        self._cleanup: weakref.finalize[Any, Any] | None = None
        self._runs: list[Path] = []
        self._streams: dict[str, NpyWriter] = {}
        self._refs_fh: BinaryIO | None = None
        # Bloom filter: sized up front when an upper bound is known
        self._bloom: tuple[int, int] | None = (
            parameters(expected_fields, fp_rate) if expected_fields else None
        )
        self._expected = expected_fields or 0
        self._window: npt.NDArray[np.uint64] | None = None
        self.stats = {"runs": 0, "bloom_passes": 0}
        self._refuse_existing()

    @property
    def record_count(self) -> int:
        return self._records

    def _refuse_existing(self) -> None:
        d = self.directory
        if not self.overwrite and d.exists() and (not d.is_dir() or any(d.iterdir())):
            raise FingerprintSetError(
                f"fingerprint set directory {d} already exists: drop it first or overwrite it"
            )

    def _code(self, kind: str) -> int:
        code = self._codes.get(kind)
        if code is None:
            if self._fixed_kinds:
                raise ValueError(f"field kind {kind!r} was not declared for this set")
            check_kind(kind)
            if len(self._codes) >= MAX_KINDS:
                raise ValueError(f"a fingerprint set holds at most {MAX_KINDS} field kinds")
            code = self._codes[kind] = len(self._codes)
            self._counts[kind] = 0
            self._lengths[kind] = set()
        return code

    def _check_open(self) -> int:
        if self._done:
            raise FingerprintSetError("this builder has already finished or been aborted")
        if self._records >= 2**32 - 1:
            raise FingerprintSetError("a fingerprint set holds at most 2**32 - 1 records")
        return self._records

    def add_record(self, ref: str, fields: Iterable[tuple[str, str]]) -> int:
        """Add one record by its reference and ``(kind, canonical)`` pairs; returns its row.

        Repeated pairs within the record are stored once.
        """
        self._check_open()
        check_ref(ref)
        seen: dict[tuple[str, str], None] = {}
        for pair in fields:
            seen.setdefault(pair, None)
        codes = [self._code(kind) for kind, _ in seen]  # raises before anything is added
        digests = [self._hasher.digest(kind, canonical) for kind, canonical in seen]
        return self._append(ref, codes, b"".join(digests), [(k, len(c)) for k, c in seen])

    def add_hashed(
        self, ref: str, kinds: Sequence[str], digests: bytes, lengths: Sequence[int]
    ) -> int:
        """Add a record whose distinct fields were already digested (an import worker).

        ``kinds[i]`` and ``lengths[i]`` (characters of the canonical value) belong to
        the ``i``-th 16-byte digest of ``digests``.
        """
        self._check_open()
        check_ref(ref)
        if len(digests) != DIGEST_SIZE * len(kinds) or len(lengths) != len(kinds):
            raise ValueError("one kind, one length and one digest per field")
        codes = [self._code(kind) for kind in kinds]
        return self._append(ref, codes, digests, list(zip(kinds, lengths, strict=True)))

    def add_batch(
        self,
        refs: Sequence[str],
        counts: npt.NDArray[np.int64],
        kinds: Sequence[str],
        kind_index: npt.NDArray[np.uint8],
        digests: bytes,
        lengths: npt.NDArray[np.uint32],
    ) -> None:
        """Add records whose distinct fields were digested by an import worker.

        Record ``refs[i]`` has the next ``counts[i]`` fields; field ``j`` is of kind
        ``kinds[kind_index[j]]``, with the ``j``-th 16-byte digest and a value of
        ``lengths[j]`` characters. Vectorized: the import's main process does little
        per record.
        """
        self._check_open()
        n, total = len(refs), int(counts.sum()) if len(counts) else 0
        if len(counts) != n or len(kind_index) != total or len(lengths) != total:
            raise ValueError("one count per record, one kind and one length per field")
        if len(digests) != DIGEST_SIZE * total or (n and int(counts.min()) < 1):
            raise ValueError("one digest per field, at least one field per record")
        if self._records + n > 2**32 - 1:
            raise FingerprintSetError("a fingerprint set holds at most 2**32 - 1 records")
        encoded = [check_ref(ref).encode("utf-8") for ref in refs]
        table = np.array([self._code(kind) for kind in kinds], dtype=np.uint8)
        codes = table[kind_index] if total else np.empty(0, dtype=np.uint8)
        owner = np.repeat(np.arange(n, dtype=np.int64), counts)
        # statistics: distinct lengths per kind, and records holding each kind
        pairs = np.unique((kind_index.astype(np.int64) << 32) | lengths.astype(np.int64))
        for value in pairs.tolist():
            self._lengths[kinds[value >> 32]].add(value & 0xFFFFFFFF)
        held = np.unique(owner * 256 + kind_index) & 255
        for k, count in enumerate(np.bincount(held, minlength=len(kinds)).tolist()):
            if count:
                self._counts[kinds[k]] += count
        self._digests += digests
        self._kinds += codes.tobytes()
        self._rows.frombytes((owner + self._records).astype("<u4").tobytes())
        self._rec_ends.frombytes((np.cumsum(counts) + self._fields).astype("<u8").tobytes())
        self._fields += total
        base = self._ref_bytes + len(self._ref_blob)
        sizes = np.fromiter((len(e) + 1 for e in encoded), dtype=np.int64, count=n)
        self._ref_blob += b"\n".join(encoded) + (b"\n" if n else b"")
        self._ref_ends.frombytes((np.cumsum(sizes) + base).astype("<u8").tobytes())
        self._records += n
        if len(self._rows) >= self.plan.run_fields:
            self._spill()

    def _append(
        self, ref: str, codes: list[int], digests: bytes, lengths: list[tuple[str, int]]
    ) -> int:
        row = self._records
        for kind, length in dict.fromkeys(lengths):
            self._lengths[kind].add(length)
        for kind in dict.fromkeys(k for k, _ in lengths):
            self._counts[kind] += 1
        self._digests += digests
        self._kinds += bytes(codes)
        self._rows.extend([row] * len(codes))
        self._fields += len(codes)
        self._rec_ends.append(self._fields)
        self._ref_blob += ref.encode("utf-8") + b"\n"
        self._ref_ends.append(self._ref_bytes + len(self._ref_blob))
        self._records += 1
        if len(self._rows) >= self.plan.run_fields:
            self._spill()
        return row

    # -- on disk ---------------------------------------------------------------------
    def _tmpdir(self) -> Path:
        if self._tmp is None:
            parent = self.directory.parent
            parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
            tmp = Path(tempfile.mkdtemp(prefix=f".{self.directory.name}.tmp-", dir=parent))
            tmp.chmod(DIR_MODE)
            self._tmp = tmp
            # an abandoned builder (never finished, garbage-collected) leaves nothing
            self._cleanup = weakref.finalize(self, shutil.rmtree, str(tmp), True)
            self._refs_fh = open_private(tmp / REFS_FILE)
            for name, dtype in (
                (REFS_OFFSETS_FILE, "<u8"),
                (index_file("rec_offsets"), "<u8"),
                (index_file("rec_keys"), "<u8"),
                (index_file("rec_kinds"), "u1"),
            ):
                self._streams[name] = NpyWriter(tmp / name, dtype)
            self._streams[REFS_OFFSETS_FILE].append([0])
            self._streams[index_file("rec_offsets")].append([0])
        return self._tmp

    def _spill(self) -> None:
        """Write the current run: records' refs and fields, and the run sorted by key."""
        tmp = self._tmpdir()
        digests = np.frombuffer(self._digests, dtype=np.uint8).reshape(-1, DIGEST_SIZE)
        if self._layer is not None:  # everything below stores the layered digests
            digests = self._layer.digests(digests)
        kinds = np.frombuffer(self._kinds, dtype=np.uint8)
        rows = np.frombuffer(self._rows, dtype=np.uint32)
        assert self._refs_fh is not None
        self._refs_fh.write(self._ref_blob)
        self._ref_bytes += len(self._ref_blob)
        self._streams[REFS_OFFSETS_FILE].append(np.frombuffer(self._ref_ends, dtype="<u8"))
        self._streams[index_file("rec_offsets")].append(np.frombuffer(self._rec_ends, dtype="<u8"))
        self._streams[index_file("rec_keys")].append(digest_keys(digests))
        self._streams[index_file("rec_kinds")].append(kinds)
        self._fill_first_window(digests)
        if len(rows):
            run = sorted_run(digests, rows, kinds)
            path = tmp / f"run-{len(self._runs):05d}.bin"
            with open_private(path) as fh:
                run.tofile(fh)
            self._runs.append(path)
            self.stats["runs"] += 1
            del run
        self._digests = bytearray()
        self._kinds = bytearray()
        self._rows = array("I")
        self._rec_ends = array("Q")
        self._ref_blob = bytearray()
        self._ref_ends = array("Q")

    def _fill_first_window(self, digests: npt.NDArray[np.uint8]) -> None:
        """The Bloom filter's first bit window fills as the runs go by."""
        if self._bloom is None or self._fields > self._expected or not len(digests):
            return
        m, k = self._bloom
        width = min(m, self.plan.window_bits)
        if self._window is None:
            self._window = np.zeros((width + 63) // 64, dtype="<u8")
        fill_window(self._window, digests, m, k, 0, width, self.plan.fill_chunk)

    def abort(self) -> None:
        """Drop everything added; nothing is left on disk."""
        self._done = True
        for stream in self._streams.values():
            stream.discard()
        self._streams = {}
        if self._refs_fh is not None:
            self._refs_fh.close()
            self._refs_fh = None
        if self._cleanup is not None:
            self._cleanup()
        self._digests = bytearray()
        self._kinds = bytearray()
        self._rows = array("I")
        self._window = None

    def finish(self) -> Manifest:
        """Merge the runs, write the filter and manifest, rename the set into place.

        The builder is spent afterwards, also when ``finish()`` fails: build again to
        retry.
        """
        self._check_open()
        try:
            self._refuse_existing()
            self._spill()  # the last run (and, for a small set, the only one)
            tmp = self._tmpdir()
            manifest = self._write(tmp)
            install_directory(tmp, self.directory)
        except BaseException:
            self.abort()
            raise
        if self._cleanup is not None:
            self._cleanup.detach()
        self._tmp = None
        self._done = True
        return manifest

    def _write(self, tmp: Path) -> Manifest:
        n = self._fields
        assert self._refs_fh is not None
        self._refs_fh.flush()
        os.fsync(self._refs_fh.fileno())
        self._refs_fh.close()
        self._refs_fh = None
        for stream in self._streams.values():
            stream.close()
        self._streams = {}
        m, k = self._write_bloom(tmp / BLOOM_FILE, n)
        out = (
            NpyWriter(tmp / index_file("keys"), ARRAYS["keys"]),
            NpyWriter(tmp / index_file("rows"), ARRAYS["rows"]),
            NpyWriter(tmp / index_file("kinds"), ARRAYS["kinds"]),
        )
        merge_runs(self._runs, self.plan.merge_block, out)
        for writer in out:
            writer.close()
        for path in self._runs:
            path.unlink()
        kinds = {}
        for kind, count in self._counts.items():
            ls = sorted(self._lengths[kind])
            kinds[kind] = KindStats(count, ls[0] if ls else 0, ls[-1] if ls else 0, ls)
        layered = self._secret is not None
        manifest = Manifest(
            format_version=LAYERED_FORMAT_VERSION if layered else SET_FORMAT_VERSION,
            dataset=self.dataset,
            key_id=self._key_id,
            normalizer_version=self.normalizer_version,
            record_count=self._records,
            kinds=kinds,
            kind_codes=list(self._codes),
            filter=FilterParams(m, k, expected_fp_rate(m, k, n), n, self.fp_rate),
            built_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            tool_version=tool_version(),
            kind_config=self.kind_config,
            files={name: file_info(tmp / name) for name in _data_files()},
            layer=self._secret.info() if self._secret is not None else None,
        )
        manifest.mac = manifest_mac(self._key, manifest)
        write_fsync(tmp / MANIFEST_FILE, manifest.to_json().encode("utf-8"))
        write_stamp(tmp, self._key, manifest)  # the files were just hashed
        for name in _data_files():
            drop_written(tmp / name)  # (the first open reads them back in large pages)
        return manifest

    def _write_bloom(self, path: Path, n: int) -> tuple[int, int]:
        """Write the filter window by window; returns ``(bits, probes)``.

        The first window was filled as the runs went by, unless the upper bound given
        was too low (then the filter is sized from the true count and every window is
        a pass over the runs).
        """
        if self._bloom is None or n > self._expected:
            self._bloom = parameters(n, self.fp_rate)
            self._window = None
        m, k = self._bloom
        first = self._window
        self._window = None
        self.stats["bloom_passes"] += write_bloom(
            path, self._runs, self.plan, (m, k, n), self._key_id, first
        )
        return m, k


def _data_files() -> list[str]:
    return [BLOOM_FILE, REFS_FILE, REFS_OFFSETS_FILE, *(index_file(n) for n in ARRAYS)]
