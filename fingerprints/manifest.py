"""The ``manifest.json`` of a fingerprint set (SPEC 3.3): what the set holds, in public terms.

Dataset name, key id (never the key), normalizer version, record count, per-kind
counts and value lengths, Bloom filter parameters, and the size and SHA-256 of
every data file. Nothing in it is a customer value.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from fingerprints.errors import FingerprintSetError

SET_FORMAT_VERSION = 2  # 2: the manifest carries a MAC (fingerprints.integrity)
LAYERED_FORMAT_VERSION = 3  # 3: digests re-keyed with a per-set secret (fingerprints.shred)
READABLE_FORMATS = (1, 2, 3)
MANIFEST_FILE = "manifest.json"
BLOOM_FILE = "bloom.bin"
MAX_KINDS = 256  # kind codes are uint8


def tool_version() -> str:
    """The installed leakprint version, recorded in each manifest it writes."""
    try:
        from importlib.metadata import version

        return version("leakprint")
    except Exception:  # metadata missing in a source checkout: not worth failing a build
        return "0+unknown"


def default_normalizer_version() -> int:
    """The normalizers' version, for callers that do not pass one."""
    # Only for callers that follow the short contract signature; the import keeps this
    # module free of a hard dependency on the normalizers.
    try:
        module = importlib.import_module("fingerprints.normalizers")
        return int(module.NORMALIZER_VERSION)
    except (ImportError, AttributeError):
        raise FingerprintSetError(
            "normalizer version unknown: pass normalizer_version explicitly"
        ) from None


@dataclass
class KindStats:
    """Per-kind count and value-length statistics (lengths in characters)."""

    count: int = 0
    min_len: int = 0
    max_len: int = 0
    lengths: list[int] = field(default_factory=list)


@dataclass
class FilterParams:
    bits: int
    probes: int
    fp_rate: float
    count: int
    target_fp_rate: float


@dataclass
class Manifest:
    """The ``manifest.json`` of a set. Public data only: no key, no customer value."""

    format_version: int
    dataset: str
    key_id: str
    normalizer_version: int
    record_count: int
    kinds: dict[str, KindStats]
    kind_codes: list[str]
    filter: FilterParams
    built_at: str
    tool_version: str
    kind_config: dict[str, Any] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    mac: str = ""  # format 2: HMAC over the rest, with a key derived from the deployment key
    # format 3: {"id": layer id, "check": check value} of the per-set secret
    # (fingerprints.shred); absent from the JSON of older formats, so their MACs hold
    layer: dict[str, Any] | None = None

    def to_json(self) -> str:
        data = asdict(self)
        if data["layer"] is None:
            del data["layer"]
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest; anything malformed is a FingerprintSetError."""
        try:
            raw = json.loads(text)
            version = raw.get("format_version")
        except (ValueError, AttributeError):
            raise FingerprintSetError(
                "manifest.json is malformed: copy the set again or re-fingerprint"
            ) from None
        if version not in READABLE_FORMATS:
            raise FingerprintSetError(
                f"fingerprint set format version {version!r}, this leakprint reads "
                f"{READABLE_FORMATS[-1]}: re-fingerprint with this version"
            )
        try:
            kinds = {str(k): KindStats(**v) for k, v in raw.pop("kinds").items()}
            flt = FilterParams(**raw.pop("filter"))
            manifest = cls(kinds=kinds, filter=flt, **raw)
        except (ValueError, TypeError, KeyError, AttributeError):
            raise FingerprintSetError(
                "manifest.json is malformed: copy the set again or re-fingerprint"
            ) from None
        if (
            not isinstance(manifest.record_count, int)
            or not isinstance(manifest.kind_codes, list)
            or not isinstance(manifest.files, dict)
            or not all(isinstance(v, dict) for v in manifest.files.values())
            or not isinstance(manifest.mac, str)
            or (manifest.format_version >= 2 and not manifest.mac)
            or (manifest.format_version >= LAYERED_FORMAT_VERSION) != (manifest.layer is not None)
            or (manifest.layer is not None and not (
                isinstance(manifest.layer, dict)
                and isinstance(manifest.layer.get("id"), str)
                and isinstance(manifest.layer.get("check"), str)))
        ):
            raise FingerprintSetError("manifest.json is malformed: re-fingerprint")
        return manifest
