"""Matcher CPU per page of the crawl benchmark, in one process (issue 15).

The pages of :mod:`benchmarks.crawl_throughput` (same generator, same seed), its
fingerprint set of 20,000 customers (a throwaway deployment in a temporary folder),
and ``Matcher.scan_text`` on every page as the crawl's match workers call it
(``leakprint.matchpool._match``: one matcher per set, with the sets' secrets).
Round 1 is a fresh matcher, as a crawl's worker is; later rounds are warm.
``--dump`` writes every page's ``repr(MatchResult)`` (to compare two versions).

    .venv/bin/python -m benchmarks.crawl_matching [--pages 2000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import pickle
import shutil
import tempfile
import time
from pathlib import Path

from matchers.scan import Matcher
from matchers.stream import keep_freed_memory


def open_matchers(home: Path) -> list[Matcher]:
    """The deployment's matchers, opened as a match worker opens them."""
    from fingerprints.fpset import FingerprintSet
    from fingerprints.keyed import FingerprintKey
    from fingerprints.normalizers import NORMALIZER_VERSION
    from leakprint.config import load_settings
    from leakprint.db import open_database
    from leakprint.pipeline import set_dir
    from leakprint.setsecrets import snapshot
    from matchers.companion import matcher_for

    settings = load_settings(home)
    db = open_database(settings.database_url)
    assert settings.key_file is not None, "the deployment has a key file"
    key = FingerprintKey.load(settings.key_file)
    secrets = snapshot(db, key)
    found = set_dir(settings, db, "bench")
    db.close()
    return [matcher_for(FingerprintSet.open(found, key, normalizer_version=NORMALIZER_VERSION,
                                            secrets=secrets), key)]


def main(argv: list[str] | None = None) -> int:
    from benchmarks._data import customer_rows
    from benchmarks.crawl_throughput import PLANT_EVERY, PLANTED_PER_PAGE, deployment, make_pages

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--dump", type=Path, help="write every page's result here (pickle)")
    args = ap.parse_args(argv)
    keep_freed_memory()  # (as a matcher process of the crawl does: what each scan frees is kept)
    customers = customer_rows(20_000)
    n_planted = ((args.pages + PLANT_EVERY - 1) // PLANT_EVERY) * PLANTED_PER_PAGE
    root = Path(tempfile.mkdtemp(prefix="crawl-matching-"))
    try:
        matchers = open_matchers(deployment(root, customers))
        pages = [(f"http://127.0.0.1/raw/{pid}", body.decode("utf-8"))
                 for pid, body in make_pages(args.pages, customers[:n_planted]).items()]
        results: list[list[str]] = []
        for r in range(args.rounds):
            start = time.process_time()
            got = [[m.scan_text(text, name=url) for m in matchers] for url, text in pages]
            spent = time.process_time() - start
            print(f"round {r + 1} ({'fresh' if r == 0 else 'warm'}): "
                  f"{spent * 1000 / len(pages):.3f} ms CPU a page, "
                  f"{sum(len(x.record_hits) for rs in got for x in rs)} record hits")
            results = [[repr(x) for x in rs] for rs in got]
        if args.dump is not None:
            args.dump.write_bytes(pickle.dumps(results))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
