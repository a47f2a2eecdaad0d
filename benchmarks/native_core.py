"""File scan, native core against the Python reference, side by side (issue 15).

Scans the clean dump of ``scan_throughput.py`` (``--mb``, ``--customers``) and the
hit-dense dump of ``hit_dense.py`` (``--hd-customers``, ``--strangers``) in one
process, alternating the cores (``fingerprints.native.use``) ``--repeat`` times
with a fresh matcher each run; the fastest CPU time of each is reported, with the
ratio, and the findings of both cores are compared (they must be identical).
Per-document costs are ``per_document.py``.

Usage::

    .venv/bin/python benchmarks/native_core.py --mb 50 --customers 20000 --hd-customers 20000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import hit_dense  # noqa: E402
from benchmarks.scan_throughput import generate, scan_one_process  # noqa: E402
from fingerprints import native  # noqa: E402
from fingerprints.fpset import FingerprintSet  # noqa: E402
from matchers.result import MatchResult  # noqa: E402
from matchers.scan import Matcher  # noqa: E402
from matchers.stream import keep_freed_memory  # noqa: E402
from tests.matchers.factories import build_set, make_customers  # noqa: E402


def side_by_side(label: str, dump: Path, fpset: FingerprintSet, repeat: int) -> None:
    mb = dump.stat().st_size / 1e6
    best: dict[bool, float] = {}
    results: dict[bool, MatchResult] = {}
    for _ in range(repeat):
        for core in (True, False):
            with native.use(core):
                t = time.process_time()
                res = scan_one_process(dump, Matcher(fpset))
                cpu = time.process_time() - t
            assert isinstance(res, MatchResult)
            best[core] = min(best.get(core, cpu), cpu)
            results[core] = res
    same = results[True] == results[False]
    nat, ref = mb / best[True], mb / best[False]
    print(f"{label:28} {mb:6.1f} MB  native {nat:6.2f} MB/s  reference {ref:6.2f} MB/s  "
          f"{nat / ref:5.2f}x  ({len(results[True].record_hits):,} records; findings "
          f"{'identical' if same else 'DIFFER'})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--mb", type=float, default=50.0, help="clean dump size (MB)")
    # Issue 15's target is defined at 20,000 customers. Earlier stops measured at
    # 3,000 (the default of scan_throughput.py), where each noise value repeats
    # about 30 times in 50 MB and the caches hide the cost of a distinct value.
    ap.add_argument("--customers", type=int, default=20_000,
                    help="clean dump: Faker customers (issue 15 target: 20,000)")
    ap.add_argument("--hd-customers", type=int, default=20_000, help="hit-dense set size")
    ap.add_argument("--strangers", type=int, default=60_000, help="hit-dense noise rows")
    ap.add_argument("--planted", type=int, default=600)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--skip-clean", action="store_true")
    ap.add_argument("--skip-hit-dense", action="store_true")
    args = ap.parse_args(argv)
    keep_freed_memory()  # (as `leakprint scan` does, for both cores: what a scan frees is kept)
    if not native.available():
        print("the native core is not built: setup.py build_ext --inplace")
        return 2
    with tempfile.TemporaryDirectory(prefix="leakprint-native-") as tmp:
        work = Path(tmp)
        print("CPU time of one process; fastest of", args.repeat, "runs per core")
        if not args.skip_clean:
            customers = make_customers(args.customers, seed=1)
            fpset = build_set(work / "set", customers, "bench")
            dump = work / "dump.csv"
            generate(dump, args.mb, customers)
            side_by_side("clean dump", dump, fpset, args.repeat)
        if not args.skip_hit_dense:
            p = hit_dense.pools()
            fpset = hit_dense.build_or_open(work / "hdset", args.hd_customers, p)
            dump = work / "hitdense.csv"
            hit_dense.write_dump(dump, p, args.hd_customers, args.strangers, args.planted)
            side_by_side(f"hit-dense ({args.hd_customers:,} set)", dump, fpset, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
