"""Fingerprint import throughput: records per second on a generated CP932 customer file.

SPEC 9 target: at least 20,000 records per second per core. Run from the repo root:

    .venv/bin/python benchmarks/fingerprint_import.py --records 1000000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._data import write_customers
from fingerprints.importer import import_file
from fingerprints.keyed import FingerprintKey

MAPPING = {
    "氏名": "name",
    "フリガナ": "name_kana",
    "電話番号": "phone",
    "メールアドレス": "email",
    "生年月日": "birthdate",
    "郵便番号": "postal_code",
    "住所": "address",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "customers.csv"
        t0 = time.perf_counter()
        write_customers(src, args.records)
        gen = time.perf_counter() - t0
        print(
            f"generated {args.records:,} CP932 rows ({src.stat().st_size / 1e6:.1f} MB) "
            f"in {gen:.1f} s"
        )
        t0, c0 = time.perf_counter(), time.process_time()
        report = import_file(
            src,
            dataset="bench",
            key=FingerprintKey.generate(),
            out_dir=Path(tmp) / "set",
            id_column="顧客ID",
            mapping=MAPPING,
        )
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
        size = sum(f.stat().st_size for f in (Path(tmp) / "set").iterdir())
        rate = report.imported / elapsed
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"imported {report.imported:,} records ({report.bad_rows} bad) in {elapsed:.1f} s")
        cpu_rate = report.imported / cpu
        print(f"records/s, 1 process: {rate:,.0f} wall, {cpu_rate:,.0f} per CPU-second")
        print(f"target ≥ 20,000 per core: ratio {cpu_rate / 20000:.2f} (CPU), "
              f"{rate / 20000:.2f} (wall)")
        print(f"machine load while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"set on disk: {size / 1e6:.1f} MB; peak RSS {rss:.0f} MB")
        print(f"10M-record estimate: {10_000_000 / rate / 60:.1f} minutes")


if __name__ == "__main__":
    main()
