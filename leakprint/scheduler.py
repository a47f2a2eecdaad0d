"""``leakprint serve``: APScheduler 3 with its job store in the leakprint database.

Incident scans are persistent jobs (``incident-N``) that survive restarts; a sync job
adds jobs for new incidents and closes incidents whose watch period is over; an alert
job delivers the outbox. Each scan is a child ``scrapy crawl`` with a timeout, so a
crashed or hung crawl is recorded and the other jobs go on.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from leakprint.config import Settings, load_settings
from leakprint.db import Database, Incident, open_database

log = logging.getLogger(__name__)
JOBS_TABLE = "apscheduler_jobs"


def job_id(incident_id: int) -> str:
    return f"incident-{incident_id}"


def run_incident_scan(home: str, incident_id: int) -> None:
    """The persistent job: one scan of an incident's sources, then deliver alerts.

    Referenced by text (``leakprint.scheduler:run_incident_scan``) so the stored job
    survives restarts and upgrades.
    """
    from leakprint.crawl import CrawlError, crawl_scan
    from leakprint.outbox import send_pending

    settings = load_settings(Path(home))
    db = open_database(settings.database_url, migrate_schema=False)
    try:
        with db.session() as session:
            incident = session.get(Incident, incident_id)
            if incident is None or incident.state != "open":
                return
            first = incident.last_scan_at is None
            sources, datasets = list(incident.sources), list(incident.datasets)
        try:
            # The first scan matches everything again, so documents seen before the
            # incident was opened are linked to it too.
            crawl_scan(settings, db, sources=sources, datasets=datasets,
                       incident_id=incident_id, full=first, timeout=settings.scan_timeout)
        except CrawlError as exc:
            log.error("incident %s: scan failed: %s", incident_id, exc)
        finally:
            with db.session() as session:
                row = session.get(Incident, incident_id)
                if row is not None:
                    row.last_scan_at = datetime.now(UTC)
        report = send_pending(settings, db)
        if report.sent or report.failed or report.retried:
            log.info("alerts: %s sent, %s to retry, %s failed",
                     report.sent, report.retried, report.failed)
    finally:
        db.close()


def incident_trigger(incident: Incident) -> IntervalTrigger | CronTrigger:
    if incident.cron:
        return CronTrigger.from_crontab(incident.cron, timezone="UTC")
    return IntervalTrigger(seconds=incident.every_seconds or 1800, timezone="UTC")


@dataclass
class LeakprintScheduler:
    """Owns the APScheduler instance; ``sync()`` makes its jobs follow the incidents."""

    settings: Settings
    db: Database
    alert_interval: int = 30
    sync_interval: int = 15
    workers: int = 2
    scheduler: BackgroundScheduler = field(init=False)

    def __post_init__(self) -> None:
        self.scheduler = BackgroundScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=self.db.engine, tablename=JOBS_TABLE),
                "memory": MemoryJobStore(),
            },
            executors={"default": ThreadPoolExecutor(self.workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
            timezone="UTC",
        )

    def start(self) -> None:
        self.scheduler.start()
        self.sync()
        self.scheduler.add_job(self.sync, "interval", seconds=self.sync_interval,
                               id="sync", jobstore="memory", replace_existing=True)
        self.scheduler.add_job(self.send_alerts, "interval", seconds=self.alert_interval,
                               id="alerts", jobstore="memory", replace_existing=True,
                               next_run_time=datetime.now(UTC))

    def sync(self, now: datetime | None = None) -> list[str]:
        """Add jobs for open incidents, remove those of closed or expired ones."""
        now = now or datetime.now(UTC)
        wanted: dict[str, Incident] = {}
        with self.db.session() as session:
            for incident in session.scalars(select(Incident).where(Incident.state == "open")):
                if incident.ends_at <= now:
                    incident.state = "closed"
                    incident.closed_at = now
                    log.info("incident %s: watch period over, closed", incident.id)
                    continue
                wanted[job_id(incident.id)] = incident
            existing = {job.id for job in self.scheduler.get_jobs(jobstore="default")}
            for jid in existing - wanted.keys():
                self.scheduler.remove_job(jid, jobstore="default")
            for jid, incident in wanted.items():
                if jid in existing:
                    continue
                # A new incident scans as soon as serve is up, then on its cadence.
                first = now if incident.last_scan_at is None else None
                self.scheduler.add_job(
                    "leakprint.scheduler:run_incident_scan", incident_trigger(incident),
                    args=[str(self.settings.home), incident.id], id=jid, name=incident.name,
                    end_date=incident.ends_at, replace_existing=True,
                    **({"next_run_time": first} if first else {}),
                )
                log.info("incident %s: scheduled (%s)", incident.id, jid)
        return sorted(wanted)

    def send_alerts(self) -> None:
        from leakprint.outbox import send_pending

        try:
            send_pending(self.settings, self.db)
        except Exception:  # a broken sender must not stop the scheduler
            log.exception("alert delivery failed")

    def jobs(self) -> list[dict[str, Any]]:
        return [{"id": j.id, "name": j.name,
                 "next_run": j.next_run_time.isoformat() if j.next_run_time else None}
                for j in self.scheduler.get_jobs(jobstore="default")]

    def shutdown(self) -> None:
        """Stop taking new work and wait for running scans to finish."""
        self.scheduler.shutdown(wait=True)


def serve(settings: Settings, db: Database, *, alert_interval: int = 30,
          sync_interval: int = 15, stop: threading.Event | None = None,
          on_ready: Any = None) -> None:
    """Run until SIGINT/SIGTERM (or ``stop`` is set), then stop cleanly."""
    stop = stop or threading.Event()
    sched = LeakprintScheduler(settings, db, alert_interval=alert_interval,
                               sync_interval=sync_interval)

    def _stop(signum: int, _frame: Any) -> None:
        log.info("signal %s: stopping after the running scans", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
    sched.start()
    if on_ready:
        on_ready(sched)
    try:
        while not stop.wait(timedelta(seconds=1).total_seconds()):
            pass
    finally:
        sched.shutdown()
