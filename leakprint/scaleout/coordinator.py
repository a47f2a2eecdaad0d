"""The coordinating side of a distributed scan run (``scan --distributed``, ``serve``
with ``redis_url``): it announces the run to the workers, watches it, and ends it.

A run is finished when a worker has queued its start requests (``seeded``), the
queue is empty and no worker holds one of its requests, on two checks in a row
(a worker queues a page's links before it acks the page, so work is always in one
of those places). Dead workers' held requests go back to the queue on every check.
The run then gets the sum of its workers' counters, its frontier keys are deleted,
and it is closed like a local crawl (:func:`leakprint.runs.close_crawl`); past the
time limit it is stopped as ``killed``. Every write to the run goes through
:mod:`leakprint.runs`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import redis
from rich.console import Console

from crawler.fleet.frontier import reap_dead_workers
from crawler.fleet.keys import FleetKeys
from leakprint.config import Settings
from leakprint.db import Database
from leakprint.runs import RunStatus, close_crawl, finish_run, record_worker_totals

POLL_SECONDS = 0.5
#: The done flag outlives the frontier this long, for workers still closing.
DONE_TTL = 3600


class FleetError(Exception):
    """A one-line problem with the fleet (no Redis configured or reachable)."""


@dataclass(frozen=True)
class RunSpec:
    """What workers need to crawl a run: names only, each resolved on the worker."""

    sources: list[str]  # empty: every declared source
    datasets: list[str]
    full: bool = False
    incident_id: int | None = None

    def to_json(self) -> str:
        return json.dumps({"sources": self.sources, "datasets": self.datasets,
                           "full": self.full, "incident_id": self.incident_id})

    @classmethod
    def from_json(cls, text: str | bytes) -> RunSpec:
        data = json.loads(text)
        return cls([str(s) for s in data.get("sources", [])],
                   [str(d) for d in data.get("datasets", [])], bool(data.get("full")),
                   data.get("incident_id"))


def connect(settings: Settings) -> redis.Redis:
    """The fleet's Redis, checked (a one-line FleetError otherwise)."""
    url = settings.scale.redis_url
    if not url:
        raise FleetError("no Redis for workers: set redis_url in [scale] of leakprint.toml "
                         "or LEAKPRINT_REDIS_URL")
    server = redis.Redis.from_url(url)
    try:
        server.ping()
    except redis.RedisError as exc:
        raise FleetError(f"Redis for workers unreachable ({type(exc).__name__})") from None
    return server


def announce(server: redis.Redis, keys: FleetKeys, spec: RunSpec) -> None:
    """Publish the run: workers start crawling it within a second or so."""
    pipe = server.pipeline(transaction=True)
    pipe.set(keys.spec, spec.to_json())
    pipe.sadd(keys.runs, str(keys.run))
    pipe.execute()


def frontier_state(server: redis.Redis, keys: FleetKeys) -> tuple[bool, int, int]:
    """(seeded, queued, held by workers) of a run."""
    held = sum(int(server.llen(k)) for k in server.scan_iter(keys.processing_pattern))
    return bool(server.exists(keys.seeded)), int(server.llen(keys.requests)), held


def end_frontier(server: redis.Redis, keys: FleetKeys) -> None:
    """Tell workers the run is over and delete its frontier (request URLs included)."""
    server.set(keys.done, b"1", ex=DONE_TTL)
    server.srem(keys.runs, str(keys.run))
    held = list(server.scan_iter(keys.processing_pattern))
    server.delete(*keys.frontier(), *held)


def run_distributed(
    settings: Settings, db: Database, run_id: int, spec: RunSpec, *,
    timeout: float | None = None, console: Console | None = None,
) -> int:
    """Hand run ``run_id`` to the workers and wait until it is finished; closes the
    run and returns 0, or -9 when it ran past ``timeout`` (closed as ``killed``)."""
    server = connect(settings)
    keys = FleetKeys(settings.scale.key_prefix, run_id)
    announce(server, keys, spec)
    deadline = time.monotonic() + timeout if timeout else None
    status = console.status("waiting for workers…") if console and console.is_terminal \
        else None
    if status is not None:
        status.start()
    stable = 0
    try:
        while stable < 2:
            time.sleep(POLL_SECONDS)
            reap_dead_workers(server, keys)
            seeded, queued, held = frontier_state(server, keys)
            stable = stable + 1 if seeded and not queued and not held else 0
            workers, _ = record_worker_totals(db, run_id)
            if status is not None:
                status.update(f"crawling with {workers} workers: {queued} queued, "
                              f"{held} in flight")
            if deadline and time.monotonic() > deadline:
                end_frontier(server, keys)
                record_worker_totals(db, run_id)
                finish_run(db, run_id, status=RunStatus.KILLED,
                           error=f"crawl exceeded its {timeout:.0f} s timeout and was stopped")
                return -9
    except BaseException:
        end_frontier(server, keys)
        finish_run(db, run_id, status=RunStatus.KILLED, error="interrupted")
        raise
    finally:
        if status is not None:
            status.stop()
    end_frontier(server, keys)
    record_worker_totals(db, run_id)  # a worker's error becomes the run's: partial
    close_crawl(db, run_id)
    return 0
