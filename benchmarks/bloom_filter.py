"""Benchmark the numpy Bloom filter (and, side by side, bloom-filter2 if installed).

Also measures a whole fingerprint set (build, load time, RSS vs file size) with
``--set-records``. Absolute times drift on shared machines: compare the ratios.

Example::

    .venv/bin/python benchmarks/bloom_filter.py --elements 1000000 --set-records 1000000
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from fingerprints.bloom import BloomFilter
from fingerprints.fpset import FingerprintSet, FingerprintSetBuilder
from fingerprints.keyed import FingerprintKey


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def digests(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 16), dtype=np.uint8)


def per_element_ns(fn: Callable[[np.ndarray], Any], data: np.ndarray, batch: int) -> float:
    t = time.perf_counter()
    for start in range(0, len(data), batch):
        fn(data[start : start + batch])
    return (time.perf_counter() - t) / len(data) * 1e9


def bench_numpy(
    args: argparse.Namespace, members: np.ndarray, others: np.ndarray
) -> dict[str, float]:
    out: dict[str, float] = {}
    t = time.perf_counter()
    bf = BloomFilter.build(members, args.fp_rate, "bench")
    out["build_s"] = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bloom.bin"
        bf.save(path)
        out["file_bytes"] = path.stat().st_size
        t = time.perf_counter()
        bf = BloomFilter.open(path, "bench")
        out["open_ms"] = (time.perf_counter() - t) * 1e3
        bf.contains(others[: args.batch])  # fault the pages in before timing
        out["neg_ns"] = per_element_ns(bf.contains, others, args.batch)
        out["pos_ns"] = per_element_ns(bf.contains, members[: len(others)], args.batch)
        out["fp"] = float(bf.contains(others).sum())
        out["bits_per_element"] = bf.bits_per_element
        out["probes"] = bf.probes
        out["expected_fp"] = bf.fp_rate * len(others)
    return out


def bench_bloom_filter2(
    args: argparse.Namespace, members: np.ndarray, others: np.ndarray
) -> dict[str, float] | None:
    try:
        import bloom_filter2
    except ImportError:
        return None

    def probe16(bf: Any, key: bytes) -> Iterator[int]:  # perf.md section 2
        x = int.from_bytes(key, "little")
        h1, h2, m = x & (2**64 - 1), (x >> 64) | 1, bf.num_bits_m
        for i in range(bf.num_probes_k):
            yield (h1 + i * h2) % m

    out: dict[str, float] = {}
    sample = min(len(others), args.bf2_lookups)
    member_keys = [bytes(r) for r in members]
    other_keys = [bytes(r) for r in others[:sample]]
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bf2.bin")
        t = time.perf_counter()
        bf = bloom_filter2.BloomFilter(
            max_elements=len(members),
            error_rate=args.fp_rate,
            probe_bitnoer=probe16,
            filename=(path, -1),
        )
        for key in member_keys:
            bf.add(key)
        bf.backend.mmap.flush()
        out["build_s"] = time.perf_counter() - t
        out["file_bytes"] = Path(path).stat().st_size
        t = time.perf_counter()
        fp = sum(1 for key in other_keys if key in bf)
        out["neg_ns"] = (time.perf_counter() - t) / sample * 1e9
        t = time.perf_counter()
        assert all(key in bf for key in member_keys[:sample])
        out["pos_ns"] = (time.perf_counter() - t) / sample * 1e9
        out["fp"] = fp * len(others) / sample  # scaled to the numpy run's non-members
        out["bits_per_element"] = bf.num_bits_m / len(members)
        out["probes"] = bf.num_probes_k
        bf.close()
    return out


def bench_set(args: argparse.Namespace) -> None:
    n = args.set_records
    key = FingerprintKey.generate()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "bench-set"
        builder = FingerprintSetBuilder(directory, "bench", key, normalizer_version=1)
        t = time.perf_counter()
        for i in range(n):
            builder.add_record(
                f"C{i:09d}",
                [
                    ("phone", f"+8190{i:08d}"),
                    ("email", f"user{i}@example.jp"),
                    ("name", f"山田{i}"),
                    ("name_kana", f"ヤマダ{i % 9973}"),
                    ("birthdate", f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}"),
                    ("postal_code", f"{1000000 + i % 899999}"),
                ],
            )
        add_s = time.perf_counter() - t
        t = time.perf_counter()
        manifest = builder.finish()
        finish_s = time.perf_counter() - t
        files = {p.name: p.stat().st_size for p in directory.iterdir()}
        total = sum(files.values())
        print(f"\nfingerprint set: {n:,} records x 6 fields = {manifest.filter.count:,} digests")
        print(
            f"  add_record:  {add_s:7.2f} s  ({n / add_s:,.0f} records/s, "
            f"{add_s / manifest.filter.count * 1e6:.2f} us/field incl. keyed hash)"
        )
        print(f"  finish():    {finish_s:7.2f} s  (Bloom + index sort + refs + sha256, atomic)")
        print(
            f"  files:       {total / 2**20:7.1f} MiB  "
            + ", ".join(f"{k} {v / 2**20:.1f}" for k, v in sorted(files.items()))
        )
        # Load in a fresh process so the builder's memory does not blur the RSS numbers;
        # the key goes over stdin, never on a command line.
        code = (
            "import sys;from benchmarks.bloom_filter import child_open;"
            "child_open(sys.argv[1], sys.stdin.readline())"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code, str(directory)],
            input=key.raw.hex() + "\n",
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent.parent,
        )
        print(proc.stdout, end="")


def child_open(directory: str, key_hex: str) -> None:
    key = FingerprintKey.from_hex(key_hex)
    noise = digests(100_000, seed=99)
    sweep = digests(1_000_000, seed=98)
    base = rss_mb()
    t = time.perf_counter()
    s = FingerprintSet.open(Path(directory), key, normalizer_version=1)
    load_ms = (time.perf_counter() - t) * 1e3
    after_open = rss_mb()
    phones = [f"+8190{i:08d}" for i in range(0, s.record_count, max(1, s.record_count // 10000))]
    queries = s.hasher.digest_many("phone", phones)
    t = time.perf_counter()
    hits = s.lookup(queries, "phone")
    lookup_us = (time.perf_counter() - t) / len(queries) * 1e6
    assert all(h for h in hits)
    t = time.perf_counter()
    s.lookup(noise)
    miss_ns = (time.perf_counter() - t) / len(noise) * 1e9
    s.index.keys.sum()  # touch every page of the biggest arrays
    s.index.rows.sum()
    for start in range(0, len(sweep), 10_000):  # small batches: few temporaries
        s.bloom.contains(sweep[start : start + 10_000])
    touched = rss_mb()
    print(f"  open():      {load_ms:7.1f} ms (memory-mapped, manifest + header checks)")
    print(
        f"  RSS:         {base:.1f} MiB before open, +{after_open - base:.1f} after open, "
        f"+{touched - base:.1f} after touching filter and index"
    )
    print(
        f"  lookup:      {lookup_us:.2f} us per member digest (10k batch, all hit), "
        f"{miss_ns:.0f} ns per non-member (100k batch)"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--elements", type=int, default=1_000_000)
    p.add_argument("--non-members", type=int, default=1_000_000)
    p.add_argument("--fp-rate", type=float, default=1e-6)
    p.add_argument("--batch", type=int, default=10_000, help="probe batch size")
    p.add_argument(
        "--bf2-lookups",
        type=int,
        default=200_000,
        help="bloom-filter2 lookups per kind (pure Python: slow)",
    )
    p.add_argument("--skip-bf2", action="store_true")
    p.add_argument(
        "--set-records",
        type=int,
        default=0,
        help="also build and load a fingerprint set of this many records x 6 fields",
    )
    p.add_argument("--seed", type=int, default=20261128)
    args = p.parse_args()

    members = digests(args.elements, args.seed)
    others = digests(args.non_members, args.seed + 1)
    theory = -math.log(args.fp_rate) / math.log(2) ** 2
    print(
        f"{args.elements:,} members, {args.non_members:,} non-members, p={args.fp_rate:g}, "
        f"theoretical {theory:.2f} bits/element, batch {args.batch:,}"
    )
    res = {"numpy": bench_numpy(args, members, others)}
    if not args.skip_bf2:
        bf2 = bench_bloom_filter2(args, members, others)
        if bf2 is None:
            print("bloom-filter2 not installed: numpy only")
        else:
            res["bloom-filter2"] = bf2
    rows = [
        ("build s", "build_s", "{:.2f}"),
        ("neg ns/el", "neg_ns", "{:.0f}"),
        ("pos ns/el", "pos_ns", "{:.0f}"),
        ("FP count", "fp", "{:.1f}"),
        ("bits/el", "bits_per_element", "{:.2f}"),
        ("probes", "probes", "{:.0f}"),
        ("file bytes", "file_bytes", "{:,.0f}"),
    ]
    names = list(res)
    print(
        f"{'':12}"
        + "".join(f"{n:>16}" for n in names)
        + ("   ratio bf2/numpy" if len(names) == 2 else "")
    )
    for label, k, fmt in rows:
        line = f"{label:12}" + "".join(f"{fmt.format(res[n][k]):>16}" for n in names)
        if len(names) == 2 and k in ("build_s", "neg_ns", "pos_ns") and res["numpy"][k]:
            line += f"   {res['bloom-filter2'][k] / res['numpy'][k]:10.1f}x"
        print(line)
    npy = res["numpy"]
    print(
        f"numpy: expected FP {npy['expected_fp']:.2f}, bits/element "
        f"{npy['bits_per_element'] / theory:.3f}x theoretical, open {npy['open_ms']:.2f} ms"
    )
    if "bloom-filter2" in res:
        print(f"bloom-filter2: FP scaled from {min(args.non_members, args.bf2_lookups):,} lookups")
    if args.set_records:
        bench_set(args)


if __name__ == "__main__":
    main()
