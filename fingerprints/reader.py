"""An opened fingerprint set: validated (key, normalizer version, integrity), memory-mapped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from fingerprints.bloom import BloomFilter, as_digest_array
from fingerprints.errors import FingerprintSetError
from fingerprints.index import ExactIndex, RefStore, digest_keys
from fingerprints.integrity import check_files, check_manifest
from fingerprints.keyed import FingerprintKey, Hasher
from fingerprints.manifest import BLOOM_FILE, MANIFEST_FILE, Manifest, default_normalizer_version
from fingerprints.shred import SecretSource, SetLayer, open_layer


@dataclass(frozen=True, slots=True)
class Hit:
    """One indexed field digest: the record row it belongs to and its kind."""

    row: int
    kind: str


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
        layer: SetLayer | None = None,
        secrets: SecretSource | None = None,
    ) -> None:
        self.directory = directory
        #: The per-set layer (fingerprints.shred), ``None`` for a set built before it.
        self.layer = layer
        #: Where the secret came from: the canary companions are opened with it too.
        self.secrets = secrets
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
        cls,
        directory: Path | str,
        key: FingerprintKey,
        *,
        normalizer_version: int | None = None,
        secrets: SecretSource | None = None,
    ) -> FingerprintSet:
        """Open and validate a set (key id, normalizer version, files) for probing.

        ``normalizer_version`` defaults to ``fingerprints.normalizers.NORMALIZER_VERSION``.
        ``secrets`` hands a layered set (format 3) its per-set secret; a shredded one's
        copy is refused here with one line saying so (fingerprints.shred).
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
        check_manifest(key, manifest)
        # After the MAC: the layer id named is the one the import wrote.
        layer = open_layer(manifest.layer, name, secrets) if manifest.layer is not None else None
        # Sizes always; SHA-256 of the files the .verified stamp does not vouch for
        # (a copied or changed file): a damaged set is refused, naming the file.
        check_files(d, manifest, key, full=False)
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
        return cls(d, manifest, Hasher(key), bloom, index, refs, layer, secrets)

    def verify(self) -> int:
        """Check the manifest's MAC and every file's SHA-256 (reads all bytes).

        Returns the number of files checked; raises a one-line FingerprintSetError
        naming the first damaged file.
        """
        check_manifest(self.hasher.key, self.manifest)
        return check_files(self.directory, self.manifest, self.hasher.key, full=True)

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

    def layered(self, digests: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """Candidate digests as this set stores them: through its per-set layer, if any.

        Every probe of the Bloom filter or the exact index goes through this first.
        """
        return digests if self.layer is None else self.layer.digests(digests)

    def layered_blob(self, digests: bytes) -> bytes:
        """:meth:`layered` of concatenated 16-byte digests, as bytes (a probe's batch
        goes to the Bloom filter as bytes, and most batches stop there)."""
        return digests if self.layer is None else self.layer.blob(digests)

    def maybe_contains(self, digests: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
        """Bloom filter only: False is certain, True means "look it up"."""
        return self.bloom.contains(self.layered(as_digest_array(digests)))

    def survivors(self, digests: bytes) -> npt.NDArray[np.intp]:
        """Bloom filter only: the positions of the concatenated 16-byte ``digests``
        that may be in the set. ``digests`` are as the set stores them: already
        through :meth:`layered` (``DigestProber`` does that once for filter and index)."""
        return self.bloom.survivors(digests)

    def lookup(
        self,
        digests: Sequence[bytes] | npt.NDArray[np.uint8],
        kinds: str | Sequence[str] | None = None,
    ) -> list[list[Hit]]:
        """The records holding each digest: Bloom filter first, exact index for survivors.

        ``kinds`` (one kind for all, or one per digest) names the kind each digest was
        computed for; a hit of another kind (a 64-bit truncation collision) is dropped.
        """
        arr = self.layered(as_digest_array(digests))
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

    def record_refs(self, rows: Sequence[int]) -> list[str]:
        """:meth:`record_ref` of each of ``rows``, in one batch."""
        return self._refs.refs(rows)

    def record_fields(self, row: int) -> list[tuple[str, int]]:
        """``(kind, 64-bit key)`` of every field of record ``row``."""
        names = self.manifest.kind_codes
        return [(names[c], key) for c, key in self.index.record_fields(row)]
