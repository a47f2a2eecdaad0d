"""``leakprint worker``: takes part in every scan run announced in Redis.

For each run it starts one ``scrapy crawl`` child (the same command line as a local
scan, plus ``LEAKPRINT_FLEET=1``): a crawl process whose scheduler and duplicate
filter are the run's shared ones in Redis, matching against this machine's copy of
the fingerprint sets (key from ``LEAKPRINT_KEY_FILE``/``LEAKPRINT_KEY``) and storing
into the shared database. The child ends by itself once the run is over; one still
busy then is stopped. A child that dies is started again (a few times) while its run
lasts; its held requests went back to the queue when its heartbeat expired.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field

import redis

from crawler.fleet.keys import FleetKeys
from leakprint.config import Settings
from leakprint.crawl import CrawlError, crawl_command, crawl_env
from leakprint.db import Database, ScanRun
from leakprint.runs import RunStatus
from leakprint.scaleout.coordinator import RunSpec, connect

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5
#: A run's crawl still running this long after the run ended is stopped.
STOP_GRACE = 10.0
#: How often a run's crawl may be started again after it died, and how soon.
MAX_STARTS = 3
RESTART_AFTER = 5.0
#: How often the runs served are checked in the database (a coordinator that died).
DB_CHECK_EVERY = 10.0


@dataclass
class _Crawl:
    run_id: int
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    exited_at: float = 0.0
    over_since: float | None = None
    log_files: list[str] = field(default_factory=list)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()


class Worker:
    """One worker machine's loop (see the module docstring)."""

    def __init__(self, settings: Settings, db: Database, *, name: str | None = None) -> None:
        self.settings = settings
        self.db = db
        self.server = connect(settings)
        self.prefix = settings.scale.key_prefix
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.crawls: dict[int, _Crawl] = {}
        self.stopping = threading.Event()
        self._last_db_check = 0.0

    def _keys(self, run_id: int) -> FleetKeys:
        return FleetKeys(self.prefix, run_id)

    def command(self, run_id: int, spec: RunSpec, n: int) -> list[str]:
        """The run's ``scrapy crawl`` command line for this worker."""
        scale = self.settings.scale
        worker_id = f"{self.name}-r{run_id}-{n}"
        cmd = crawl_command(self.settings, run_id, sources=spec.sources, full=spec.full,
                            datasets=spec.datasets, incident_id=spec.incident_id)
        log_file = self.settings.home / "logs" / f"scan-{run_id}-{worker_id}.log"
        return [
            *cmd,
            "-s", "LEAKPRINT_FLEET=1",
            "-s", "LEAKPRINT_PIPELINE=leakprint.scaleout.pipeline.WorkerPipeline",
            "-s", f"LEAKPRINT_WORKER_ID={worker_id}",
            "-s", f"LEAKPRINT_REDIS_PREFIX={scale.key_prefix}",
            "-s", f"LEAKPRINT_DOMAIN_CONCURRENCY={scale.domain_concurrency}",
            "-s", f"LEAKPRINT_DOMAIN_DELAY={scale.domain_delay}",
            "-s", f"LOG_FILE={log_file}",
        ]

    def _start(self, crawl: _Crawl) -> None:
        raw = self.server.get(self._keys(crawl.run_id).spec)
        if raw is None:
            return
        spec = RunSpec.from_json(raw)
        crawl.starts += 1
        try:
            cmd = self.command(crawl.run_id, spec, crawl.starts)
        except CrawlError as exc:
            log.error("scan run %s: cannot crawl here: %s", crawl.run_id, exc)
            crawl.starts = MAX_STARTS
            return
        env = crawl_env()
        # The child reads the Redis URL (it may hold a password) from its environment.
        env["LEAKPRINT_REDIS_URL"] = self.settings.scale.redis_url or ""
        (self.settings.home / "logs").mkdir(parents=True, exist_ok=True)
        crawl.proc = subprocess.Popen(cmd, env=env, cwd=self.settings.home,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log.info("scan run %s: crawling (pid %s)", crawl.run_id, crawl.proc.pid)

    def _over(self, run_id: int) -> bool:
        keys = self._keys(run_id)
        return bool(self.server.exists(keys.done)) or \
            not self.server.sismember(keys.runs, str(run_id))

    def _check_database(self) -> None:
        """A run whose coordinator died stays announced: its run row, closed by the
        next reap, ends it here too."""
        now = time.monotonic()
        if now - self._last_db_check < DB_CHECK_EVERY or not self.crawls:
            return
        self._last_db_check = now
        with self.db.session() as session:
            for run_id in list(self.crawls):
                run = session.get(ScanRun, run_id)
                if run is not None and run.status != RunStatus.RUNNING:
                    keys = self._keys(run_id)
                    self.server.set(keys.done, b"1", ex=3600)
                    self.server.srem(keys.runs, str(run_id))

    def step(self) -> None:
        """One look at Redis: start crawls for new runs, tidy up ended ones."""
        now = time.monotonic()
        for raw in self.server.smembers(f"{self.prefix}:runs"):
            run_id = int(raw)
            crawl = self.crawls.setdefault(run_id, _Crawl(run_id))
            if crawl.proc is None and crawl.starts < MAX_STARTS and \
                    now - crawl.exited_at >= (RESTART_AFTER if crawl.starts else 0) and \
                    not self._over(run_id):
                self._start(crawl)
        for run_id, crawl in list(self.crawls.items()):
            over = self._over(run_id)
            if crawl.proc is not None and crawl.proc.poll() is not None:
                if crawl.proc.returncode and not over:
                    log.warning("scan run %s: crawl exited with %s", run_id,
                                crawl.proc.returncode)
                crawl.proc, crawl.exited_at = None, now
            if not over:
                continue
            if crawl.proc is None:
                del self.crawls[run_id]
                continue
            crawl.over_since = crawl.over_since or now
            if now - crawl.over_since > STOP_GRACE:
                _stop(crawl.proc)
        self._check_database()

    def run(self) -> None:
        """Serve runs until :meth:`stop` (or SIGTERM/SIGINT through the CLI)."""
        try:
            while not self.stopping.is_set():
                try:
                    self.step()
                except redis.RedisError as exc:
                    log.error("Redis unreachable (%s); retrying", type(exc).__name__)
                self.stopping.wait(POLL_SECONDS)
        finally:
            for crawl in self.crawls.values():
                if crawl.proc is not None and crawl.proc.poll() is None:
                    _stop(crawl.proc)

    def stop(self) -> None:
        self.stopping.set()
