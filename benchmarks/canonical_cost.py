"""Per-value cost of the supporting kinds' canonical forms, native against the Python
reference (issue 15, ``fingerprints/_canon.c``).

Values are written as the scan benchmark writes them (``tests.matchers.factories``'
``make_customers`` and ``vary``); each kind's ``KindRegistry.fields_for`` runs over all
of them with each core, alternating ``--repeat`` times, and the range of CPU µs per
call is printed (both cores' answers are compared first: they must be identical).

Usage::

    .venv/bin/python benchmarks/canonical_cost.py --customers 3000 --repeat 6
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fingerprints import native  # noqa: E402
from fingerprints.normalizers import default_registry  # noqa: E402
from tests.matchers.factories import make_customers, vary  # noqa: E402

KINDS = ("name", "name_kana", "birthdate", "postal_code", "address")


def per_call(kind: str, values: list[str], core: bool, rounds: int = 5) -> float:
    """CPU µs per ``fields_for`` call over ``values``."""
    fields_for = default_registry().fields_for
    with native.use(core):
        start = time.process_time()
        for _ in range(rounds):
            for value in values:
                fields_for(kind, value)
        return (time.process_time() - start) / (rounds * len(values)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=6)
    args = parser.parse_args()
    rows = [vary(c, i) for i, c in enumerate(make_customers(args.customers, seed=1))]
    values = {kind: [row[kind] for row in rows] for kind in KINDS}
    fields_for = default_registry().fields_for
    for kind in KINDS:
        answers = []
        for core in (True, False):
            with native.use(core):
                answers.append([fields_for(kind, v) for v in values[kind]])
        if answers[0] != answers[1]:
            raise SystemExit(f"{kind}: the cores disagree")
    times: dict[tuple[str, bool], list[float]] = {}
    for _ in range(args.repeat):
        for kind in KINDS:
            for core in (False, True):
                times.setdefault((kind, core), []).append(per_call(kind, values[kind], core))
    for kind in KINDS:
        ref, nat = times[(kind, False)], times[(kind, True)]
        print(f"{kind:12s} reference {min(ref):5.2f}-{max(ref):5.2f} µs   "
              f"native {min(nat):5.2f}-{max(nat):5.2f} µs   x{min(ref) / min(nat):.1f}")


if __name__ == "__main__":
    main()
