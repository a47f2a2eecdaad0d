"""Seal a set built before the per-set layer (issue 16.3) from its own files.

A set keeps the first 8 bytes of every field digest (the exact index's keys, and the
per-record keys); the layer (fingerprints.shred) takes exactly those 8 bytes, so the
set is rewritten without the customer file: every stored key goes through the layer,
the index is sorted again (sorted runs and the k-way merge of the streaming build,
within a memory budget), the Bloom filter is filled again from the layered digests
with its old parameters, and the manifest (format 3, naming the layer) is MAC'd and
stamped again. The result is byte for byte what a fresh import sealed with the same
secret would have written. The new set replaces the old one atomically; the old
files are removed, so only copies made before the rewrite stay unsealed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from fingerprints.errors import FingerprintSetError
from fingerprints.index import (
    ARRAYS,
    DIR_MODE,
    REFS_FILE,
    REFS_OFFSETS_FILE,
    digest_keys,
    file_info,
    index_file,
    install_directory,
    open_private,
    write_fsync,
)
from fingerprints.integrity import manifest_mac, write_stamp
from fingerprints.keyed import FingerprintKey
from fingerprints.manifest import BLOOM_FILE, LAYERED_FORMAT_VERSION, MANIFEST_FILE, Manifest
from fingerprints.reader import FingerprintSet
from fingerprints.shred import SetSecret
from fingerprints.streambuild import (
    DEFAULT_MEMORY,
    BuildPlan,
    NpyWriter,
    merge_runs,
    sorted_run,
    write_bloom,
)

#: Files carried over unchanged: references and the per-record layout.
_COPIED = (REFS_FILE, REFS_OFFSETS_FILE, index_file("rec_offsets"), index_file("rec_kinds"))
_DATA_FILES = (BLOOM_FILE, REFS_FILE, REFS_OFFSETS_FILE, *(index_file(n) for n in ARRAYS))


def rekey_set(
    directory: Path | str,
    key: FingerprintKey,
    secret: SetSecret,
    *,
    normalizer_version: int | None = None,
    memory: int | None = None,
) -> Manifest:
    """Rewrite the unsealed set in ``directory`` under ``secret``; returns its manifest.

    The old set is checked in full first (a damaged file is refused, never sealed
    into a fresh MAC). A set that already has a layer is refused.
    """
    d = Path(directory)
    old = FingerprintSet.open(d, key, normalizer_version=normalizer_version)
    if old.layer is not None or old.manifest.layer is not None:
        raise FingerprintSetError(f"fingerprint set {old.dataset!r} is already sealed")
    old.verify()
    plan = BuildPlan.for_budget(memory or DEFAULT_MEMORY)
    layer = secret.layer()
    tmp = Path(tempfile.mkdtemp(prefix=f".{d.name}.rekey-", dir=d.parent))
    try:
        tmp.chmod(DIR_MODE)
        for name in _COPIED:
            with (d / name).open("rb") as src, open_private(tmp / name) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
                dst.flush()
                os.fsync(dst.fileno())
        idx = old.index
        step = max(1024, plan.run_fields)
        rec = NpyWriter(tmp / index_file("rec_keys"), ARRAYS["rec_keys"])
        for lo in range(0, len(idx.rec_keys), step):
            rec.append(digest_keys(layer.keys(idx.rec_keys[lo : lo + step])))
        rec.close()
        runs: list[Path] = []
        for lo in range(0, len(idx), step):
            run = sorted_run(layer.keys(idx.keys[lo : lo + step]),
                             np.asarray(idx.rows[lo : lo + step]),
                             np.asarray(idx.kinds[lo : lo + step]))
            runs.append(tmp / f"run-{len(runs):05d}.bin")
            with open_private(runs[-1]) as fh:
                run.tofile(fh)
        out = tuple(NpyWriter(tmp / index_file(n), ARRAYS[n]) for n in ("keys", "rows", "kinds"))
        merge_runs(runs, plan.merge_block, out)  # type: ignore[arg-type]
        for writer in out:
            writer.close()
        flt = old.manifest.filter
        write_bloom(tmp / BLOOM_FILE, runs, plan, (flt.bits, flt.probes, flt.count),
                    key.key_id)
        for path in runs:
            path.unlink()
        manifest = replace(
            old.manifest,
            format_version=LAYERED_FORMAT_VERSION,
            files={name: file_info(tmp / name) for name in _DATA_FILES},
            layer=secret.info(),
            mac="",
        )
        manifest.mac = manifest_mac(key, manifest)
        write_fsync(tmp / MANIFEST_FILE, manifest.to_json().encode("utf-8"))
        write_stamp(tmp, key, manifest)
        del old, idx
        install_directory(tmp, d)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


__all__ = ["rekey_set"]
