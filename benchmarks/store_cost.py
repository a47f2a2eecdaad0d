"""CPU per document of storing the crawl's batches (``leakprint.scanning.store_batch``).

What a crawl's match worker does after matching (``leakprint.matchpool.process_batch``):
store a batch of documents and their match results in one transaction. The documents
are the pages of :mod:`benchmarks.crawl_throughput` (same generator, same seed, same
fingerprint set of 20,000 customers in a throwaway deployment), matched once up front
(not timed) as the workers match them, and stored in batches of ``--batch`` documents
(about what the pipeline's 1 MB batch limit gives for 20 KB pages) into a fresh
database, in these scenarios, one after another on the same database:

- ``new-touch``: new documents without results (what the crawl benchmark's
  "pipeline without matching" stores; it runs on its own fresh database);
- ``new-match``: new documents with their match results (the full crawl);
- ``same-match``: the same documents matched again, content unchanged (findings seen
  again: no new rows);
- ``touch``: known documents whose content is unchanged (a re-crawl);
- ``seen``: known documents answered 304;
- ``changed-match``: the same URLs with new content (same results).

Each line gives the CPU time of this process (``time.process_time``: SQLAlchemy,
the driver and, on SQLite, the database engine itself; a PostgreSQL server's own
CPU is not counted) per document, and the wall time. ``--profile`` wraps one
scenario in cProfile. ``--database-url`` (PostgreSQL) stores into a private schema
made for the run and dropped after.

    .venv/bin/python -m benchmarks.store_cost [--pages 400] [--batch 13] [--rounds 3]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from leakprint.db import Database, open_database
from leakprint.scanning import StoreEntry, start_run, store_batch
from leakprint.urlsafe import UrlGuard
from matchers.scan import MatchResult

Page = tuple[str, str, int, list[MatchResult]]  # url, sha256, size, results
SCENARIOS = ("new-touch", "new-match", "same-match", "touch", "seen", "changed-match")


def crawl_pages(root: Path, n_pages: int) -> tuple[UrlGuard, list[Page]]:
    """The crawl benchmark's pages, matched as its workers match them, and their guard."""
    from benchmarks._data import customer_rows
    from benchmarks.crawl_matching import open_matchers
    from benchmarks.crawl_throughput import PLANT_EVERY, PLANTED_PER_PAGE, deployment, make_pages
    from leakprint.config import load_settings

    customers = customer_rows(20_000)
    n_planted = ((n_pages + PLANT_EVERY - 1) // PLANT_EVERY) * PLANTED_PER_PAGE
    home = deployment(root, customers)
    matchers = open_matchers(home)
    key = load_settings(home).load_key()
    pages: list[Page] = []
    for pid, body in make_pages(n_pages, customers[:n_planted]).items():
        url = f"http://127.0.0.1:8080/raw/{pid}"
        results = [m.scan_text(body.decode("utf-8"), name=url) for m in matchers]
        pages.append((url, hashlib.sha256(body).hexdigest(), len(body), results))
    return UrlGuard(key, matchers), pages


def entries_for(scenario: str, pages: list[Page]) -> list[StoreEntry]:
    """The entries a scenario stores (see the module docstring)."""
    if scenario in ("new-touch", "touch"):
        return [StoreEntry("touch", u, "bench", sha, size) for u, sha, size, _ in pages]
    if scenario == "seen":
        return [StoreEntry("seen", u, "bench", "", 0) for u, _, _, _ in pages]
    changed = scenario == "changed-match"
    return [StoreEntry("match", u, "bench", _other(sha) if changed else sha, size, results)
            for u, sha, size, results in pages]


def _other(sha: str) -> str:
    return hashlib.sha256(sha.encode()).hexdigest()


@contextmanager
def target(root: Path, url: str | None, n: int) -> Iterator[Database]:
    """A fresh, migrated database: a SQLite file, or a private PostgreSQL schema."""
    if url is None:
        db = open_database(f"sqlite:///{root}/store-{n}.db")
        try:
            yield db
        finally:
            db.close()
        return
    import sqlalchemy as sa

    schema = f"lp_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    db = open_database(f"{url}{sep}options=-csearch_path%3D{schema}")
    try:
        yield db
    finally:
        db.close()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def store_all(db: Database, entries: list[StoreEntry], batch: int, run_id: int,
              guard: UrlGuard) -> tuple[float, float, list[str]]:
    """Store ``entries`` in batches: CPU seconds, wall seconds, the statuses."""
    statuses: list[str] = []
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(0, len(entries), batch):
        statuses += [status for status, _ in store_batch(db, entries[i:i + batch], run_id,
                                                          guard)]
    return time.process_time() - cpu, time.perf_counter() - wall, statuses


def run_round(root: Path, n: int, url: str | None, pages: list[Page], batch: int,
              guard: UrlGuard, profile: str | None) -> dict[str, tuple[float, float]]:
    """Every scenario once, on fresh databases: CPU and wall ms per document."""
    out: dict[str, tuple[float, float]] = {}

    def timed(name: str, db: Database, run: Callable[[], tuple[float, float, list[str]]]
              ) -> None:
        if profile == name:
            prof = cProfile.Profile()
            cpu, wall, statuses = prof.runcall(run)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
        else:
            cpu, wall, statuses = run()
        out[name] = (cpu * 1000 / len(pages), wall * 1000 / len(pages))
        want = "new" if name.startswith("new") else "changed" if name == "changed-match" \
            else "unchanged"
        assert statuses == [want] * len(pages), (name, sorted(set(statuses)))

    with target(root, url, 2 * n) as db:
        run_id = start_run(db, "sources", sources=["bench"])
        timed("new-touch", db, lambda: store_all(db, entries_for("new-touch", pages), batch,
                                                 run_id, guard))
    with target(root, url, 2 * n + 1) as db:
        for name in SCENARIOS[1:]:
            run_id = start_run(db, "sources", sources=["bench"])
            entries = entries_for(name, pages)

            def run(e: list[StoreEntry] = entries, r: int = run_id
                    ) -> tuple[float, float, list[str]]:
                return store_all(db, e, batch, r, guard)

            timed(name, db, run)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=400)
    ap.add_argument("--batch", type=int, default=13,
                    help="documents per transaction (the crawl's 1 MB limit: ~13 pages)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--database-url", help="a PostgreSQL server (default: SQLite files)")
    ap.add_argument("--profile", choices=SCENARIOS, help="cProfile one scenario (round 1)")
    args = ap.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="store-cost-"))
    try:
        guard, pages = crawl_pages(root, args.pages)
        hits = sum(1 for _, _, _, rs in pages for r in rs if r.record_hits)
        print(f"{len(pages)} pages ({hits} with record hits), batches of {args.batch}, "
              f"{'PostgreSQL' if args.database_url else 'SQLite'}")
        rounds = [run_round(root, r, args.database_url, pages, args.batch, guard,
                            args.profile if r == 0 else None) for r in range(args.rounds)]
        for name in SCENARIOS:
            cpu = [r[name][0] for r in rounds]
            wall = [r[name][1] for r in rounds]
            print(f"{name:14s} CPU {statistics.median(cpu):.3f} ms/doc (min {min(cpu):.3f}),"
                  f" wall {statistics.median(wall):.3f} ms/doc")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
