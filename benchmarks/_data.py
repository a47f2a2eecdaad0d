"""Fast synthetic customer files for the benchmarks (pools from Faker ja_JP, combined at random)."""

from __future__ import annotations

import random
from pathlib import Path

from faker import Faker

from leakprint.demo.data import HEADER  # one customer-file layout for demo and benchmarks

__all__ = ["HEADER", "customer_rows", "pools", "write_customers"]


def pools(seed: int = 1) -> dict[str, list[tuple[str, str, str]] | list[str]]:
    """Name pairs ``(kanji, kana, romaji)`` and place names to combine at random."""
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    return {
        "last": [fake.last_name_pair() for _ in range(300)],
        "first": [fake.first_name_pair() for _ in range(300)],
        "place": [f"{fake.prefecture()}{fake.city()}{fake.town()}" for _ in range(500)],
    }


def customer_rows(n: int, seed: int = 1) -> list[list[str]]:
    p = pools(seed)
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        last = p["last"][rng.randrange(300)]
        first = p["first"][rng.randrange(300)]
        rows.append(
            [
                f"C{i + 1:08d}",
                f"{last[0]} {first[0]}",
                f"{last[1]} {first[1]}",
                f"0{rng.choice('789')}0-{rng.randint(1000, 9999)}-{i % 10000:04d}",
                f"u{i:08d}@example.ne.jp",
                f"{rng.randint(1940, 2005)}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}",
                f"{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}",
                f"{p['place'][rng.randrange(500)]}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番"
                f"{rng.randint(1, 20)}号",
            ]
        )
    return rows


def write_customers(path: Path, n: int, encoding: str = "cp932", seed: int = 1) -> Path:
    with path.open("w", encoding=encoding, errors="replace", newline="") as fh:
        fh.write(",".join(HEADER) + "\r\n")
        for row in customer_rows(n, seed):
            fh.write(",".join(row) + "\r\n")
    return path
