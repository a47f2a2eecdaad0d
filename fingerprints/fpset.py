"""Fingerprint sets: build one from canonical record fields, open one to probe it.

A set is a directory (SPEC 3.3)::

    manifest.json            dataset, key id, normalizer version, per-kind stats, files
    bloom.bin                Bloom filter over every field digest (fingerprints.bloom)
    index_*.npy              exact index (fingerprints.index)
    refs.txt, refs_offsets.npy   the operator's record references, one per row

No customer value is stored: only keyed digests, value lengths per kind, and the
record references the operator chose.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from fingerprints.bloom import BloomFilter, as_digest_array, expected_fp_rate
from fingerprints.errors import FingerprintSetError
from fingerprints.index import (
    ARRAYS,
    REFS_FILE,
    REFS_OFFSETS_FILE,
    ExactIndex,
    RefBuffer,
    RefStore,
    check_ref,
    digest_keys,
    file_info,
    index_file,
    install_directory,
    write_fsync,
)
from fingerprints.keyed import DIGEST_SIZE, FingerprintKey, Hasher, check_kind
from fingerprints.manifest import (
    BLOOM_FILE,
    MANIFEST_FILE,
    MAX_KINDS,
    SET_FORMAT_VERSION,
    FilterParams,
    KindStats,
    Manifest,
    default_normalizer_version,
    tool_version,
)


@dataclass(frozen=True, slots=True)
class Hit:
    """One indexed field digest: the record row it belongs to and its kind."""

    row: int
    kind: str


class FingerprintSetBuilder:
    """Accumulates records in compact buffers; ``finish()`` writes the set atomically.

    Nothing touches the disk before ``finish()``: an abandoned or failed build leaves
    no partial directory. Memory is about 17 bytes per field plus the refs.
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
        self._hasher = Hasher(key)
        self._key_id = key.key_id
        self._fixed_kinds = False
        self._codes: dict[str, int] = {}
        self._counts: dict[str, int] = {}
        self._lengths: dict[str, set[int]] = {}
        for kind in kinds or ():
            self._code(kind)
        self._fixed_kinds = kinds is not None
        self._digests = bytearray()
        self._kinds = bytearray()
        self._rows = array("I")
        self._refs = RefBuffer()
        self._done = False
        self._refuse_existing()

    @property
    def record_count(self) -> int:
        return len(self._refs)

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

    def add_record(self, ref: str, fields: Iterable[tuple[str, str]]) -> int:
        """Add one record by its reference and ``(kind, canonical)`` pairs; returns its row.

        Repeated pairs within the record are stored once.
        """
        if self._done:
            raise FingerprintSetError("this builder has already finished or been aborted")
        check_ref(ref)
        row = len(self._refs)
        if row >= 2**32 - 1:
            raise FingerprintSetError("a fingerprint set holds at most 2**32 - 1 records")
        seen: set[tuple[str, str]] = set()
        digests: list[bytes] = []
        codes: list[int] = []
        for kind, canonical in fields:
            if (kind, canonical) in seen:
                continue
            seen.add((kind, canonical))
            codes.append(self._code(kind))
            digests.append(self._hasher.digest(kind, canonical))
        # statistics only once the whole record is known to be good
        for kind, canonical in seen:
            self._counts[kind] += 1
            self._lengths[kind].add(len(canonical))
        self._refs.append(ref)
        self._digests += b"".join(digests)
        self._kinds += bytes(codes)
        self._rows.extend([row] * len(codes))
        return row

    def abort(self) -> None:
        """Drop everything added; nothing was written."""
        self._done = True
        self._digests = bytearray()
        self._kinds = bytearray()
        self._rows = array("I")
        self._refs = RefBuffer()

    def finish(self) -> Manifest:
        """Write the set to a temporary sibling directory, then rename it into place.

        The builder is spent afterwards, also when ``finish()`` fails (its buffers are
        released early to bound peak memory): build again to retry.
        """
        if self._done:
            raise FingerprintSetError("this builder has already finished or been aborted")
        self._refuse_existing()
        parent = self.directory.parent
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{self.directory.name}.tmp-", dir=parent))
        try:
            manifest = self._write(tmp)
            install_directory(tmp, self.directory)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            self.abort()
            raise
        self.abort()
        return manifest

    def _write(self, tmp: Path) -> Manifest:
        digests = np.frombuffer(self._digests, dtype=np.uint8).reshape(-1, DIGEST_SIZE)
        bloom = BloomFilter.build(digests, self.fp_rate, self._key_id)
        bloom.save(tmp / BLOOM_FILE)
        m, k, n = bloom.bits, bloom.probes, bloom.count
        del bloom
        keys = digest_keys(digests)
        del digests
        self._digests = bytearray()  # half the build's memory: gone before the sort
        index = ExactIndex.build(
            keys,
            np.frombuffer(self._rows, dtype=np.uint32),
            np.frombuffer(self._kinds, dtype=np.uint8),
            len(self._refs),
        )
        index.save(tmp)
        del index
        self._refs.write(tmp)
        kinds = {}
        for kind, count in self._counts.items():
            ls = sorted(self._lengths[kind])
            kinds[kind] = KindStats(count, ls[0] if ls else 0, ls[-1] if ls else 0, ls)
        manifest = Manifest(
            format_version=SET_FORMAT_VERSION,
            dataset=self.dataset,
            key_id=self._key_id,
            normalizer_version=self.normalizer_version,
            record_count=len(self._refs),
            kinds=kinds,
            kind_codes=list(self._codes),
            filter=FilterParams(m, k, expected_fp_rate(m, k, n), n, self.fp_rate),
            built_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            tool_version=tool_version(),
            kind_config=self.kind_config,
            files={name: file_info(tmp / name) for name in _data_files()},
        )
        write_fsync(tmp / MANIFEST_FILE, manifest.to_json().encode("utf-8"))
        return manifest


def _data_files() -> list[str]:
    return [BLOOM_FILE, REFS_FILE, REFS_OFFSETS_FILE, *(index_file(n) for n in ARRAYS)]


class FingerprintSet:
    """An opened set: memory-mapped, probed by digests computed with ``hasher``."""

    def __init__(
        self,
        directory: Path,
        manifest: Manifest,
        hasher: Hasher,
        bloom: BloomFilter,
        index: ExactIndex,
        refs: RefStore,
    ) -> None:
        self.directory = directory
        self.manifest = manifest
        self.hasher = hasher
        self.bloom = bloom
        self.index = index
        self._refs = refs
        self._codes = {kind: code for code, kind in enumerate(manifest.kind_codes)}

    def __repr__(self) -> str:
        return (
            f"FingerprintSet(dataset={self.dataset!r}, records={self.record_count}, "
            f"key_id={self.manifest.key_id!r})"
        )

    @classmethod
    def open(
        cls, directory: Path | str, key: FingerprintKey, *, normalizer_version: int | None = None
    ) -> FingerprintSet:
        """Open and validate a set (key id, normalizer version, files) for probing.

        ``normalizer_version`` defaults to ``fingerprints.normalizers.NORMALIZER_VERSION``.
        """
        d = Path(directory)
        expected_norm = (
            default_normalizer_version() if normalizer_version is None else normalizer_version
        )
        try:
            text = (d / MANIFEST_FILE).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise FingerprintSetError(
                f"{d} is not a fingerprint set (no readable {MANIFEST_FILE}): check the path"
            ) from None
        manifest = Manifest.from_json(text)
        name = manifest.dataset
        if manifest.key_id != key.key_id:
            raise FingerprintSetError(
                f"fingerprint set {name!r} was built with key id {manifest.key_id} but the "
                f"configured key has id {key.key_id}: use the key it was built with, "
                "or re-fingerprint"
            )
        if manifest.normalizer_version != expected_norm:
            raise FingerprintSetError(
                f"fingerprint set {name!r} was built with normalizer version "
                f"{manifest.normalizer_version}, this leakprint uses {expected_norm}: "
                "re-fingerprint"
            )
        for fname, info in manifest.files.items():
            path = d / fname
            if not path.is_file() or path.stat().st_size != info.get("bytes"):
                raise FingerprintSetError(
                    f"fingerprint set {name!r}: {fname} is missing or has the wrong size: "
                    "copy the set again or re-fingerprint"
                )
        bloom = BloomFilter.open(d / BLOOM_FILE, key.key_id)
        flt = manifest.filter
        if (bloom.bits, bloom.probes, bloom.count) != (flt.bits, flt.probes, flt.count):
            raise FingerprintSetError(
                f"fingerprint set {name!r}: {BLOOM_FILE} does not match its manifest: "
                "re-fingerprint"
            )
        index = ExactIndex.open(d)
        if index.record_count != manifest.record_count or len(index) != bloom.count:
            raise FingerprintSetError(
                f"fingerprint set {name!r}: the exact index does not match its manifest: "
                "re-fingerprint"
            )
        refs = RefStore(d, manifest.record_count)
        return cls(d, manifest, Hasher(key), bloom, index, refs)

    def verify(self) -> None:
        """Check every file against the SHA-256 in the manifest (reads all bytes)."""
        for fname, info in self.manifest.files.items():
            if file_info(self.directory / fname).get("sha256") != info.get("sha256"):
                raise FingerprintSetError(
                    f"fingerprint set {self.dataset!r}: {fname} is damaged: copy the set again"
                )

    @property
    def dataset(self) -> str:
        return self.manifest.dataset

    @property
    def record_count(self) -> int:
        return self.manifest.record_count

    @property
    def kinds(self) -> list[str]:
        return list(self.manifest.kind_codes)

    def kind_lengths(self, kind: str) -> list[int]:
        """Distinct lengths (characters) of the indexed canonical values of ``kind``."""
        stats = self.manifest.kinds.get(kind)
        return list(stats.lengths) if stats else []

    def maybe_contains(self, digests: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
        """Bloom filter only: False is certain, True means "look it up"."""
        return self.bloom.contains(digests)

    def lookup(
        self,
        digests: Sequence[bytes] | npt.NDArray[np.uint8],
        kinds: str | Sequence[str] | None = None,
    ) -> list[list[Hit]]:
        """The records holding each digest: Bloom filter first, exact index for survivors.

        ``kinds`` (one kind for all, or one per digest) names the kind each digest was
        computed for; a hit of another kind (a 64-bit truncation collision) is dropped.
        """
        arr = as_digest_array(digests)
        n = arr.shape[0]
        if isinstance(kinds, str):
            kinds = [kinds] * n
        elif kinds is not None and len(kinds) != n:
            raise ValueError("kinds must name one kind per digest")
        result: list[list[Hit]] = [[] for _ in range(n)]
        candidates = np.flatnonzero(self.bloom.contains(arr))
        if not candidates.size:
            return result
        names = self.manifest.kind_codes
        owner, rows, codes = self.index.gather(digest_keys(arr[candidates]))
        owners = candidates[owner].tolist()
        if kinds is None:
            for i, r, c in zip(owners, rows.tolist(), codes.tolist(), strict=True):
                result[i].append(Hit(r, names[c]))
        else:
            get = self._codes.get
            for i, r, c in zip(owners, rows.tolist(), codes.tolist(), strict=True):
                if c == get(kinds[i], -1):
                    result[i].append(Hit(r, names[c]))
        return result

    def record_ref(self, row: int) -> str:
        """The operator's reference of record ``row``."""
        return self._refs[row]

    def record_fields(self, row: int) -> list[tuple[str, int]]:
        """``(kind, 64-bit key)`` of every field of record ``row``."""
        names = self.manifest.kind_codes
        return [(names[c], key) for c, key in self.index.record_fields(row)]
