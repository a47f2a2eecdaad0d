"""Fingerprint import at scale: records per CPU-second and peak memory of all processes.

SPEC 9 / 12.2 targets: at least 20,000 records per second per core, peak memory set
by ``--memory`` (default 1 GiB) and not by the record count. Customers are generated
from pools (names, places) combined at random, not by Faker per row, so a 10M-row
CP932 file takes about a minute. Peak RSS is the largest sum, sampled every 20 ms,
of the resident sizes of this process and all its descendants (the import's worker
processes) while the import runs. Files go under ``--dir`` and are deleted at the end.

    .venv/bin/python benchmarks/fingerprint_import.py --records 250000 1000000
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._data import HEADER, pools
from fingerprints.importer import import_file
from fingerprints.keyed import FingerprintKey
from fingerprints.streambuild import parse_memory

MAPPING = {
    "氏名": "name",
    "フリガナ": "name_kana",
    "電話番号": "phone",
    "メールアドレス": "email",
    "生年月日": "birthdate",
    "郵便番号": "postal_code",
    "住所": "address",
}
MIB = 1 << 20


def write_customers_fast(path: Path, n: int, seed: int = 1) -> None:
    """``n`` CP932 customer rows built from pools: unique ids, phones and e-mails."""
    p = pools(seed)
    rng = random.Random(seed)
    last, first, place = p["last"], p["first"], p["place"]
    names = [(f"{a[0]} {b[0]}", f"{a[1]} {b[1]}") for a in last[:120] for b in first[:120]]
    births = [f"{y}/{m:02d}/{d:02d}" for y in range(1940, 2006) for m in range(1, 13)
              for d in range(1, 29)]
    blocks = [f"{pl}{a}丁目{b}番{c}号" for pl in place[:200] for a in range(1, 6)
              for b in range(1, 11) for c in range(1, 6)]
    with path.open("w", encoding="cp932", errors="replace", newline="") as fh:
        fh.write(",".join(HEADER) + "\r\n")
        rnd = rng.random
        buf: list[str] = []
        for i in range(n):
            name, kana = names[int(rnd() * len(names))]
            prefix = "789"[i % 3]
            buf.append(
                f"C{i + 1:08d},{name},{kana},"
                f"0{prefix}0-{(i // 10000) % 9000 + 1000}-{i % 10000:04d},"
                f"u{i:08d}@example.ne.jp,{births[int(rnd() * len(births))]},"
                f"{int(rnd() * 900) + 100}-{int(rnd() * 10000):04d},"
                f"{blocks[int(rnd() * len(blocks))]}\r\n"
            )
            if len(buf) >= 10000:
                fh.write("".join(buf))
                buf.clear()
        fh.write("".join(buf))


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and every descendant (0 for those already gone)."""
    total = 0
    stack = [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * page
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


class PeakSampler:
    """Samples the process tree's summed RSS in a thread; ``peak`` in bytes."""

    def __init__(self, interval: float = 0.02) -> None:
        self.peak = 0
        self.processes = 1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(me))
            time.sleep(interval)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run(records: int, workdir: Path, memory: int, workers: int | None) -> dict[str, float]:
    src = workdir / f"customers-{records}.csv"
    t0 = time.perf_counter()
    write_customers_fast(src, records)
    print(f"generated {records:,} CP932 rows ({src.stat().st_size / 1e6:.0f} MB) "
          f"in {time.perf_counter() - t0:.1f} s")
    out = workdir / f"set-{records}"
    t0, c0 = time.perf_counter(), _cpu()
    with PeakSampler() as sampler:
        report = import_file(src, dataset="bench", key=FingerprintKey.generate(), out_dir=out,
                             id_column="顧客ID", mapping=MAPPING, memory=memory, workers=workers)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    size = sum(f.stat().st_size for f in out.iterdir())
    result = {
        "records": report.imported, "wall_s": wall, "cpu_s": cpu,
        "per_cpu_s": report.imported / cpu, "per_wall_s": report.imported / wall,
        "peak_mib": sampler.peak / MIB, "set_mb": size / 1e6, "runs": report.runs,
        "bloom_passes": report.bloom_passes, "workers": report.workers,
        "src_mb": src.stat().st_size / 1e6,
    }
    print(f"imported {report.imported:,} records ({report.bad_rows} bad) with "
          f"{report.workers} workers in {wall:.1f} s wall, {cpu:.1f} CPU-s "
          f"(all processes): {result['per_cpu_s']:,.0f} records per CPU-second, "
          f"{result['per_wall_s']:,.0f} per wall-second")
    print(f"peak RSS summed over the import's processes: {result['peak_mib']:.0f} MiB "
          f"(budget {memory / MIB:.0f} MiB); {report.runs} sorted runs, "
          f"{report.bloom_passes} extra Bloom passes; set on disk {size / 1e6:.0f} MB")
    print(f"machine load: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    src.unlink()
    shutil.rmtree(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[250_000, 1_000_000])
    parser.add_argument("--memory", default="1G", help="--memory of the import (default 1G)")
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/import_bench"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    try:
        results = [run(n, args.dir, parse_memory(args.memory), args.workers)
                   for n in args.records]
    finally:
        shutil.rmtree(args.dir, ignore_errors=True)
    base = results[0]
    for r in results[1:]:
        print(f"{r['records']:,.0f} vs {base['records']:,.0f}: peak memory "
              f"{r['peak_mib'] / base['peak_mib']:.2f}x (target <= 1.5x), records per "
              f"CPU-second {r['per_cpu_s'] / base['per_cpu_s']:.2f}x (target >= 0.8x)")


if __name__ == "__main__":
    main()
