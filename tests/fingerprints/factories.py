"""Synthetic fingerprint sets shared by the set tests (test_fpset, test_shred)."""

from __future__ import annotations

from pathlib import Path

from fingerprints.fpset import FingerprintSetBuilder
from fingerprints.keyed import FingerprintKey
from fingerprints.manifest import Manifest

NV = 1
KEY = FingerprintKey(bytes(range(100, 132)))


def record_fields(i: int) -> list[tuple[str, str]]:
    """The fields of record ``i``: six kinds, or only phone and e-mail for every tenth."""
    fields = [
        ("phone", f"+8190{i:08d}"),
        ("email", f"user.{i}@example.jp"),
        ("name", f"山田{i}"),
        ("name_kana", "ヤマダ" + "タ" * (i % 5)),
        ("birthdate", f"19{50 + i % 50:02d}-04-01"),
        ("postal_code", "1050011"),  # shared by every record
    ]
    return fields if i % 10 else fields[:2]


def build(directory: Path, n: int = 1000, **kwargs: object) -> Manifest:
    """Build set "d1" of ``n`` records ``R00000``... in ``directory``."""
    # Ignored below: the builder's options pass through as a loose **kwargs.
    builder = FingerprintSetBuilder(directory, "d1", KEY, normalizer_version=NV, **kwargs)  # type: ignore[arg-type]
    for i in range(n):
        assert builder.add_record(f"R{i:05d}", record_fields(i)) == i
    return builder.finish()
