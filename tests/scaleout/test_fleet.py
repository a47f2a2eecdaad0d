"""Scale-out end to end (SPEC 15): three `leakprint worker` processes crawl a local
site of 500 pages through Redis into PostgreSQL; one is SIGKILLed mid-crawl.

Skipped unless LEAKPRINT_TEST_REDIS_URL and LEAKPRINT_TEST_DATABASE_URL are set.
Everything is counted on the server side: fetches per path and parallel requests.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import sqlalchemy as sa

from crawler.fleet import serializer
from tests.databases import pg_schema_url
from tests.leakprint.sites import make_deployment
from tests.scaleout.fleet import (
    CUSTOMERS,
    LEAK_EVERY,
    LEAKPRINT,
    REDIS_URL,
    graph_site,
    needs_services,
    redis_prefix,
    sources_toml,
    start_worker,
    stop_worker,
)

PAGES = 500
FLEET_CONCURRENCY = 3

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(600)]


def finding_keys(findings: list[dict[str, Any]]) -> set[tuple[str, str, int, frozenset[str]]]:
    return {(f["url"], f["dataset"], f["record_count"],
             frozenset(r["ref"] for r in f["records"])) for f in findings}


def scan(home: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LEAKPRINT), "--home", str(home), "scan", "--source", "graph",
                           "--json", *extra], env=env, capture_output=True, text=True,
                          timeout=400)


def wait_for(what: str, check: Any, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def worker_rows(db_url: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(
                "SELECT * FROM scan_run_workers ORDER BY worker"))]
    finally:
        engine.dispose()


def test_three_workers_one_killed_same_findings_as_one_machine(tmp_path: Path) -> None:
    needs_services()
    assert REDIS_URL
    from tests.databases import PG_URL

    assert PG_URL
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("LEAKPRINT_")}
    base_env["LEAKPRINT_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    base_env["LEAKPRINT_MATCH_WORKERS"] = "1"
    with graph_site(PAGES) as (graph, site), redis_prefix() as prefix:
        # One machine: the reference findings.
        local = tmp_path / "local"
        local_env = {**base_env, **make_deployment(local, f"sqlite:///{tmp_path}/local.db",
                                                   CUSTOMERS)}
        (local / "sources.toml").write_text(sources_toml(site), encoding="utf-8")
        graph.reset()
        graph.gate.set()
        single = scan(local, local_env)
        assert single.returncode == 0, single.stderr
        expected = finding_keys(json.loads(single.stdout))
        assert len(expected) == PAGES // LEAK_EVERY
        single_paths = {p for p in graph.hits if p.startswith("/g/")}
        assert len(single_paths) == PAGES

        # The fleet: PostgreSQL + Redis, three workers.
        for db_url in pg_schema_url(PG_URL):
            fleet = tmp_path / "fleet"
            env = {**base_env, **make_deployment(fleet, db_url, CUSTOMERS),
                   "LEAKPRINT_REDIS_URL": REDIS_URL, "LEAKPRINT_REDIS_PREFIX": prefix,
                   "LEAKPRINT_DOMAIN_CONCURRENCY": str(FLEET_CONCURRENCY)}
            (fleet / "sources.toml").write_text(sources_toml(site), encoding="utf-8")
            # The first 200 pages are served at once; later ones wait for the gate, so
            # the kill comes while the kill-ed worker holds requests, however fast
            # or loaded the machine.
            graph.reset(free=200)
            workers = {n: start_worker(fleet, env, n) for n in ("w1", "w2", "w3")}
            try:
                coordinator = subprocess.Popen(
                    [str(LEAKPRINT), "--home", str(fleet), "scan", "--source", "graph",
                     "--distributed", "--json"], env=env, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True)
                wait_for("200 pages served", lambda: graph.served >= 200)
                wait_for("every worker's first pages stored", lambda: {
                    r["worker"].split("-")[0] for r in worker_rows(db_url) if r["pages"]
                } == {"w1", "w2", "w3"})
                # Kill w3 (worker and crawl) while it holds requests; read what it held.
                os.killpg(workers["w3"].pid, signal.SIGKILL)
                workers["w3"].wait()
                server = redis.Redis.from_url(REDIS_URL)
                held_keys = list(server.scan_iter(f"{prefix}:run:*:processing:w3-*"))
                held = {urlsplit(serializer.loads(e)["url"]).path
                        for k in held_keys for e in server.lrange(k, 0, -1)}
                assert held, "w3 held no request when it was killed"
                graph.gate.set()
                out, err = coordinator.communicate(timeout=400)
                assert coordinator.returncode == 0, err
            finally:
                for proc in workers.values():
                    stop_worker(proc)

            # Same findings as one machine.
            assert finding_keys(json.loads(out)) == expected
            # Every page fetched, each once, save those w3 held when it died.
            fetched = {p for p in graph.hits if p.startswith("/g/")}
            assert fetched == single_paths
            twice = {p for p, n in graph.hits.items() if p.startswith("/g/") and n > 1}
            assert twice <= held, (twice, held)
            assert all(n <= 2 for p, n in graph.hits.items() if p.startswith("/g/"))
            # The fleet-wide per-host limit held (and was reached: the gate kept
            # that many requests open at once).
            assert graph.max_in_flight == FLEET_CONCURRENCY
            # Every worker took part; the run's coverage is the sum of theirs.
            rows = worker_rows(db_url)
            assert {r["worker"].split("-")[0] for r in rows if r["pages"]} == {"w1", "w2", "w3"}
            engine = sa.create_engine(db_url)
            with engine.connect() as conn:
                run = dict(conn.execute(sa.text(
                    "SELECT * FROM scan_runs ORDER BY id DESC LIMIT 1")).one()._mapping)
                docs = conn.execute(sa.text("SELECT count(*) FROM documents")).scalar()
                findings = conn.execute(sa.text("SELECT count(*) FROM findings")).scalar()
            engine.dispose()
            assert run["status"] == "ok"
            assert run["pages"] == sum(r["pages"] for r in rows) >= PAGES
            assert run["bytes"] == sum(r["bytes"] for r in rows)
            assert sum(r["per_source"]["graph"]["pages"] for r in rows) == run["pages"]
            # Pages fetched twice made no second document or finding.
            assert docs == PAGES
            assert findings == len(expected)
            # The frontier is gone (only the done flag stays, for late workers).
            left = [k.decode() for k in server.scan_iter(f"{prefix}:run:*")]
            assert left and all(k.endswith(":done") for k in left), left
