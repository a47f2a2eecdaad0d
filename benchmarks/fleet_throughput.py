"""Pages per second of a distributed scan with 1, 2 and 3 ``leakprint worker``s (SPEC 15).

The paste site of :mod:`benchmarks.crawl_throughput` (aiohttp, a child process on
127.0.0.1: an archive linking ``--pages`` pastes of about 20 KB, every tenth holding
three fingerprinted customers) is scanned with ``leakprint scan --source bench
--distributed`` while N workers run, for N = 1, 2, 3; the database is a private
PostgreSQL schema, the frontier a private Redis key prefix. Every scan starts from an
empty database (every page new and matched). Workers run with the crawler's normal
settings (AutoThrottle and robots.txt on) and ``domain_concurrency = 16``.

Reported per N: the run's pages and wall time (from the run's start to its end as
recorded in ``scan_runs``: includes the workers starting their crawl, 2-4 s), pages
per second, each worker's share, and whether every planted customer was found.

    LEAKPRINT_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
    LEAKPRINT_TEST_REDIS_URL=redis://127.0.0.1:6379/0 \\
    .venv/bin/python -m benchmarks.fleet_throughput [--pages 3000] [--workers 1,2,3]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LEAKPRINT = Path(sys.executable).parent / "leakprint"


def empty_database(db_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        for table in ("scan_run_findings", "record_hits", "incident_findings", "findings",
                      "coverage_errors", "scan_run_workers", "documents"):
            conn.execute(sa.text(f'DELETE FROM "{table}"'))
    engine.dispose()


def one_round(home: Path, env: dict[str, str], n_workers: int, db_url: str) -> dict[str, Any]:
    import sqlalchemy as sa

    empty_database(db_url)
    procs = [subprocess.Popen([str(LEAKPRINT), "--home", str(home), "worker", "--name",
                               f"b{n_workers}w{i}"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
             for i in range(1, n_workers + 1)]
    try:
        time.sleep(3)  # the workers are up (Python and leakprint imported) before the scan
        scan = subprocess.run([str(LEAKPRINT), "--home", str(home), "scan", "--source", "bench",
                               "--distributed", "--json"], env=env, capture_output=True,
                              text=True, timeout=900)
        if scan.returncode not in (0, 3):
            raise SystemExit(f"scan failed ({scan.returncode}): {scan.stderr[-2000:]}")
    finally:
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            p.wait(60)
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        run = conn.execute(sa.text("SELECT id, pages, started_at, finished_at, status "
                                   "FROM scan_runs ORDER BY id DESC LIMIT 1")).one()
        shares = [tuple(r) for r in conn.execute(sa.text(
            "SELECT worker, pages FROM scan_run_workers WHERE scan_run_id = :r ORDER BY worker"),
            {"r": run.id})]
        refs = {r[0] for r in conn.execute(sa.text(
            "SELECT DISTINCT record_ref FROM record_hits"))}
    engine.dispose()
    seconds = (run.finished_at - run.started_at).total_seconds()
    return {"workers": n_workers, "pages": run.pages, "seconds": round(seconds, 2),
            "pages_per_s": round(run.pages / seconds, 1), "status": run.status,
            "shares": [s[1] for s in shares], "refs": refs}


def main(argv: list[str] | None = None) -> int:
    from benchmarks._data import customer_rows
    from benchmarks.crawl_throughput import PLANT_EVERY, deployment, free_port, page_id, serve
    from tests.databases import pg_schema_url

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=3000)
    ap.add_argument("--customers", type=int, default=5000)
    ap.add_argument("--workers", default="1,2,3")
    args = ap.parse_args(argv)
    pg, redis_url = (os.environ.get("LEAKPRINT_TEST_DATABASE_URL"),
                     os.environ.get("LEAKPRINT_TEST_REDIS_URL"))
    if not pg or not redis_url:
        raise SystemExit("set LEAKPRINT_TEST_DATABASE_URL and LEAKPRINT_TEST_REDIS_URL")
    import redis

    customers = customer_rows(args.customers)
    port = free_port()
    ready = mp.get_context("spawn").Event()
    site = mp.get_context("spawn").Process(target=serve, args=(port, args.pages, customers,
                                                                ready), daemon=True)
    site.start()
    ready.wait(120)
    prefix = f"lpbench-{uuid.uuid4().hex[:8]}"
    planted = {page_id(n) for n in range(args.pages) if n % PLANT_EVERY == 0}
    try:
        for db_url in pg_schema_url(pg):
            with tempfile.TemporaryDirectory() as tmp:
                os.environ["LEAKPRINT_DATABASE_URL"] = db_url
                home = deployment(Path(tmp), customers)
                (home / "sources.toml").write_text(f"""
[[source]]
name = "bench"
kind = "paste"
start_urls = ["http://127.0.0.1:{port}/archive"]
follow = ['^/P\\d{{7}}$']
raw = "/raw/{{id}}"
max_depth = 1
max_pages = {args.pages + 10}
obey_robots = false
""", encoding="utf-8")
                env = {**os.environ, "LEAKPRINT_DATABASE_URL": db_url,
                       "LEAKPRINT_REDIS_URL": redis_url, "LEAKPRINT_REDIS_PREFIX": prefix,
                       "LEAKPRINT_DOMAIN_CONCURRENCY": "16",
                       "LEAKPRINT_ALLOWED_NETWORKS": "127.0.0.1/32",
                       "PYTHONPATH": str(REPO)}
                for n in (int(x) for x in args.workers.split(",")):
                    result = one_round(home, env, n, db_url)
                    refs = result.pop("refs")
                    result["planted_pages"] = len(planted)
                    result["customers_found"] = len(refs)
                    print(result, flush=True)
    finally:
        site.terminate()
        server = redis.Redis.from_url(redis_url)
        keys = list(server.scan_iter(f"{prefix}:*"))
        if keys:
            server.delete(*keys)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
