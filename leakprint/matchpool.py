"""Matching off the reactor: a worker process holding the memory-mapped fingerprint sets.

The key reaches the worker through its start-up arguments (a pipe), never a file.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from fingerprints.fpset import FingerprintSet
from fingerprints.keyed import FingerprintKey
from fingerprints.normalizers import NORMALIZER_VERSION
from matchers.scan import Matcher, MatchResult

_matchers: list[Matcher] = []


def _init(set_dirs: list[str], key_hex: str) -> None:
    key = FingerprintKey.from_hex(key_hex)
    _matchers[:] = [
        Matcher(FingerprintSet.open(Path(d), key, normalizer_version=NORMALIZER_VERSION))
        for d in set_dirs
    ]


def match_document(body: bytes, text: str | None, name: str) -> list[MatchResult]:
    """Match one document against every loaded set (runs in the worker)."""
    if text is not None:
        return [m.scan_text(text, name=name) for m in _matchers]
    return [m.scan_bytes(body, name=name) for m in _matchers]


def start_pool(set_dirs: list[Path], key: FingerprintKey, workers: int = 1) -> ProcessPoolExecutor:
    """A process pool whose workers have the sets open (spawned: safe beside the reactor)."""
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=_init, initargs=([str(d) for d in set_dirs], key.raw.hex()),
    )
