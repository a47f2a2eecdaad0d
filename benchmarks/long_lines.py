"""Scanning a file without line breaks: time and peak memory against size (issue 19.16).

Writes one-line files of ``--mb`` sizes (log-like filler with a customer record
every ~20 KB), fingerprints the customers, and scans each file in a fresh child
process the way ``leakprint scan --file`` reads a file with one worker
(``scan_stream_many`` over 1 MB reads) and the way it reads a larger file
(``scan_file`` with one worker), printing wall and CPU seconds, MB/s and
the child's peak RSS. Linear time shows as a flat MB/s across sizes, bounded
memory as a flat peak RSS.

Usage::

    .venv/bin/python benchmarks/long_lines.py --mb 8 32 128
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.matchers.factories import KEY, build_set, make_customers, one_line  # noqa: E402


def child(path: str, set_dir: str, how: str) -> None:
    from fingerprints.fpset import FingerprintSet
    from matchers.parallel import scan_file
    from matchers.scan import Matcher, scan_stream_many

    matcher = Matcher(FingerprintSet.open(Path(set_dir), KEY))

    def reads() -> Iterator[bytes]:
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                yield block

    t0, c0 = time.perf_counter(), time.process_time()
    if how == "file":
        result = scan_file(path, set_dir, KEY, workers=1)
    else:
        [result] = scan_stream_many([matcher], reads(), name=Path(path).name)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "rss_mb": rss_mb,
                "records": len(result.record_hits),
                "bytes": result.bytes_scanned,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mb", type=int, nargs="+", default=[8, 32, 128])
    ap.add_argument(
        "--how",
        choices=["stream", "file"],
        nargs="+",
        default=["stream", "file"],
        help="stream: scan_stream_many (scan --file under 16 MB, stdin); "
        "file: scan_file with one worker (scan --file of a larger file)",
    )
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    customers = make_customers(200, seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        set_dir = Path(tmp) / "set"
        build_set(set_dir, customers)
        print("| size | path | wall s | CPU s | MB/s (CPU) | peak RSS MB | records |")
        print("|---:|---|---:|---:|---:|---:|---:|")
        for mb in args.mb:
            path = Path(tmp) / f"line-{mb}.txt"
            with path.open("wb") as fh:
                for chunk in one_line(customers, mb << 20):
                    fh.write(chunk)
            for how in args.how:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", str(path), str(set_dir), how],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                r = json.loads(out.strip().splitlines()[-1])
                print(
                    f"| {mb} MB | {how} | {r['wall']:.1f} | {r['cpu']:.1f} | {mb / r['cpu']:.2f} "
                    f"| {r['rss_mb']:.0f} | {r['records']} |",
                    flush=True,
                )
            path.unlink()


if __name__ == "__main__":
    main()
