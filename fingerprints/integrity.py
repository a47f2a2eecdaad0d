"""A fingerprint set proves it is intact (SPEC 10, issue 19 point 13).

* The manifest (format 2) carries ``mac``: HMAC-SHA256, with a key derived from the
  deployment key, over the rest of the manifest, which lists every data file's size
  and SHA-256. Editing the manifest to match damaged files needs the key.
* Opening a set checks each file's size, and its SHA-256 unless the ``.verified``
  stamp says this very file (same size and modification time) was already hashed
  and matched. The stamp is written by the import and by the first open that hashes,
  and is MAC'd too. A changed file is hashed again on the next open; ``verify``
  hashes everything whatever the stamp says.

Format-1 sets (no ``mac``) still open: their files are checked the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from fingerprints.errors import FingerprintSetError
from fingerprints.index import file_info
from fingerprints.keyed import FingerprintKey
from fingerprints.manifest import Manifest

STAMP_FILE = ".verified"
_MAC_CONTEXT = b"leakprint fingerprint set integrity v1"


def _mac_key(key: FingerprintKey) -> bytes:
    # A derived key: the deployment key itself is used only for field digests.
    return hashlib.blake2b(_MAC_CONTEXT, key=key.raw, digest_size=32).digest()


def _mac(key: FingerprintKey, payload: dict[str, Any]) -> str:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(_mac_key(key), body.encode("utf-8"), hashlib.sha256).hexdigest()


def manifest_mac(key: FingerprintKey, manifest: Manifest) -> str:
    """The MAC of everything in ``manifest`` but its ``mac`` field."""
    payload = json.loads(manifest.to_json())
    payload.pop("mac", None)
    return _mac(key, payload)


def check_manifest(key: FingerprintKey, manifest: Manifest) -> None:
    """Refuse a format-2 manifest whose MAC does not match (format 1 has none)."""
    if manifest.format_version < 2:
        return
    if not hmac.compare_digest(manifest.mac, manifest_mac(key, manifest)):
        raise FingerprintSetError(
            f"fingerprint set {manifest.dataset!r}: manifest.json fails its integrity check "
            "(changed after the import): copy the set again or re-fingerprint"
        )


def _damaged(manifest: Manifest, fname: str) -> FingerprintSetError:
    return FingerprintSetError(
        f"fingerprint set {manifest.dataset!r}: {fname} is damaged (its SHA-256 differs "
        "from the manifest's): copy the set again or re-fingerprint"
    )


def _read_stamp(directory: Path, key: FingerprintKey) -> dict[str, list[Any]]:
    try:
        raw = json.loads((directory / STAMP_FILE).read_text(encoding="utf-8"))
        files = raw["files"]
        if not isinstance(files, dict) or not hmac.compare_digest(
            str(raw["mac"]), _mac(key, {"files": files})
        ):
            return {}
        return files
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # no stamp, or one that proves nothing: hash the files instead


def write_stamp(directory: Path, key: FingerprintKey, manifest: Manifest) -> None:
    """Record that each file, at its current size and mtime, matched its SHA-256."""
    files: dict[str, list[Any]] = {}
    for fname, info in manifest.files.items():
        st = (directory / fname).stat()
        files[fname] = [st.st_size, st.st_mtime_ns, info.get("sha256")]
    body = json.dumps({"files": files, "mac": _mac(key, {"files": files})}).encode()
    fd, tmp = tempfile.mkstemp(prefix=".verified.", dir=directory)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        Path(tmp).replace(directory / STAMP_FILE)  # atomic: parallel openers may race
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_files(directory: Path, manifest: Manifest, key: FingerprintKey, *, full: bool) -> int:
    """Check every data file's size, and its SHA-256 unless the stamp vouches for it.

    Returns how many files were hashed. ``full`` hashes every file. A file that fails
    raises a one-line FingerprintSetError naming it.
    """
    stamp = {} if full else _read_stamp(directory, key)
    hashed = 0
    for fname, info in manifest.files.items():
        path = directory / fname
        try:
            st = path.stat()
        except OSError:
            st = None
        if st is None or not path.is_file() or st.st_size != info.get("bytes"):
            raise FingerprintSetError(
                f"fingerprint set {manifest.dataset!r}: {fname} is missing or has the wrong "
                "size: copy the set again or re-fingerprint"
            )
        if stamp.get(fname) == [st.st_size, st.st_mtime_ns, info.get("sha256")]:
            continue
        hashed += 1
        if file_info(path).get("sha256") != info.get("sha256"):
            raise _damaged(manifest, fname)
    if hashed and not full:
        # a read-only copy of the set cannot keep a stamp: it is hashed on every open
        with contextlib.suppress(OSError):
            write_stamp(directory, key, manifest)
    return hashed
