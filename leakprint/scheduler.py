"""``leakprint serve``: APScheduler 3 with its job store in the leakprint database.

Incident scans are persistent jobs (``incident-N``) that survive restarts; a sync job
adds jobs for new incidents, removes those of closed ones and closes incidents whose
watch period is over; an alert job delivers the outbox. Each scan is a child
``scrapy crawl`` with a timeout, so a crashed or hung crawl is recorded and the other
jobs go on.

APScheduler 3 does not coordinate several schedulers on one job store: run one
``leakprint serve`` per database.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from leakprint.audit import AuditAnchor
from leakprint.cadence import crontab_trigger
from leakprint.config import Settings, load_settings
from leakprint.db import Database, Incident, ScanRun, open_database
from leakprint.dbwatch import DatabaseWatch
from leakprint.incidents import close_expired
from leakprint.jobstore import JOB_ID, job_id
from leakprint.jobstore import JOBS_TABLE as JOBS_TABLE
from leakprint.jobstore import OutageTolerantJobStore as OutageTolerantJobStore
from leakprint.runs import (
    COMPLETED,
    abandon_run,
    is_outage,
    note_missed,
    outage_reason,
    reap_and_notify,
    start_run,
)
from leakprint.servelock import ServeError as ServeError
from leakprint.servelock import one_scheduler

log = logging.getLogger(__name__)
# Stored in the SQL job store by text: the pickled job keeps only this reference and
# its (picklable) arguments, so it is found again after a restart or an upgrade.
SCAN_JOB = "leakprint.scheduler:run_incident_scan"
HOUSEKEEPING = "housekeeping"
# The scan jobs' view of the database (a persistent job is a module-level function
# with picklable arguments, so it cannot be handed the scheduler's watch).
SCAN_WATCH = DatabaseWatch(log)


def run_incident_scan(home: str, incident_id: int) -> None:
    """The persistent job: one scan of an incident's sources, then deliver alerts.

    The job starts the scan's run itself and hands its id to the crawl, so it
    knows its run whatever happens. Never raises for a failed scan: the failure is
    recorded in that run (status ``failed`` or ``killed``, with the reason) and the
    scheduler goes on. While the database is away, a scan that cannot start is
    recorded as ``missed`` and one that cannot close its run as ``failed``, both once
    the database is back (leakprint.runs); each outage is one log line, never a
    traceback.
    """
    from leakprint.crawl import crawl_scan
    from leakprint.notices import note_scan_health
    from leakprint.outbox import send_pending

    settings = load_settings(Path(home))
    db = open_database(settings.database_url, migrate_schema=False)
    db.audit_anchor = AuditAnchor(settings.anchor_path, settings.load_key)
    component = f"incident {incident_id} scan"
    try:
        now = datetime.now(UTC)
        try:
            with db.session() as session:
                incident = session.get(Incident, incident_id)
                if incident is None or incident.state != "open" or incident.ends_at <= now:
                    log.info("incident %s: not open any more, scan skipped", incident_id)
                    return
                sources, datasets = list(incident.sources), list(incident.datasets)
                completed = session.scalar(
                    select(func.count())
                    .select_from(ScanRun)
                    .where(
                        ScanRun.incident_id == incident_id,
                        ScanRun.status.in_(COMPLETED),
                    )
                )
            run_id = start_run(db, "sources", datasets=datasets, sources=sources or ["all"],
                               incident_id=incident_id)
        except Exception as exc:
            if not is_outage(exc):
                raise
            SCAN_WATCH.failed(component, exc)
            note_missed(db, incident_id, now, f"database unreachable: {outage_reason(exc)}")
            log.error("incident %s: scan missed: the database is unreachable", incident_id)
            return
        SCAN_WATCH.ok(component)
        log.info("incident %s: scanning %s", incident_id, ", ".join(sources))
        outage = False
        try:
            # Until one scan has completed, every document is matched again, so those
            # seen before the incident was opened are linked to it too.
            outcome = crawl_scan(
                settings,
                db,
                sources=sources,
                datasets=datasets,
                incident_id=incident_id,
                full=not completed,
                timeout=settings.scan_timeout,
                distributed=bool(settings.scale.redis_url),  # SPEC 15: through workers
                run_id=run_id,
            )
            log.info(
                "incident %s: scan run %s done, %d documents, %d findings",
                incident_id,
                outcome.run_id,
                outcome.documents,
                len(outcome.finding_ids),
            )
            if outcome.error:
                log.warning("incident %s: %s", incident_id, outcome.error)
        except Exception as exc:
            outage = is_outage(exc)
            if outage:
                reason = f"database unreachable: {outage_reason(exc)}"
            else:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            log.error("incident %s: scan failed: %s", incident_id, reason)
            # The run is closed as failed, unless the crawl closed it already (killed
            # on a timeout, failed with the crawl's own reason).
            abandon_run(db, run_id, reason)
        if outage:
            return  # the rest needs the database: the next sync writes what is pending
        try:
            with db.session() as session:
                row = session.get(Incident, incident_id)
                if row is not None:
                    row.last_scan_at = datetime.now(UTC)
            notice = note_scan_health(db, incident_id)
        except Exception as exc:  # the scan itself is recorded; a notice is a courtesy
            if not is_outage(exc):
                log.exception("incident %s: could not queue a scan notice", incident_id)
            else:
                SCAN_WATCH.failed(component, exc)
        else:
            if notice:
                log.info("incident %s: %s notice queued", incident_id, notice)
        try:
            report = send_pending(settings, db)
        except Exception as exc:  # delivery is retried by the alert job; the scan is done
            if not is_outage(exc):
                log.exception("alert delivery after the scan of incident %s failed",
                              incident_id)
        else:
            if report.sent or report.failed or report.retried:
                log.info(
                    "alerts: %s sent, %s to retry, %s failed",
                    report.sent,
                    report.retried,
                    report.failed,
                )
    finally:
        db.close()


def incident_trigger(incident: Incident) -> IntervalTrigger | CronTrigger:
    """The incident's cadence, ending with its watch period."""
    if incident.cron:
        return crontab_trigger(incident.cron, end_date=incident.ends_at)
    return IntervalTrigger(
        seconds=incident.every_seconds or 1800, end_date=incident.ends_at, timezone="UTC"
    )


@dataclass
class LeakprintScheduler:
    """Owns the APScheduler instance; ``sync()`` makes its jobs follow the incidents."""

    settings: Settings
    db: Database
    alert_interval: int = 30
    sync_interval: int = 15
    workers: int = 2
    scheduler: BackgroundScheduler = field(init=False)
    watch: DatabaseWatch = field(init=False)

    def __post_init__(self) -> None:
        self.watch = DatabaseWatch(log)
        self.scheduler = BackgroundScheduler(
            jobstores={
                "default": OutageTolerantJobStore(self.db, self.watch, tablename=JOBS_TABLE),
                "memory": MemoryJobStore(),
            },
            # Scans get their own threads, so a long crawl never holds up the sync or
            # the alert sender (and the other way round).
            executors={
                "default": ThreadPoolExecutor(self.workers),
                HOUSEKEEPING: ThreadPoolExecutor(2),
            },
            # Missed runs (serve was down, or a scan outlasted its interval) coalesce
            # into one run as soon as possible, however late.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )
        self._sync_lock = threading.Lock()

    def start(self) -> None:
        reap_and_notify(self.db)  # runs a previous serve or scan left open
        self.scheduler.start()
        self.sync()
        self.scheduler.add_job(
            self._sync_job,
            "interval",
            seconds=self.sync_interval,
            id="sync",
            jobstore="memory",
            executor=HOUSEKEEPING,
            replace_existing=True,
        )
        self.scheduler.add_job(
            self.send_alerts,
            "interval",
            seconds=self.alert_interval,
            id="alerts",
            jobstore="memory",
            executor=HOUSEKEEPING,
            replace_existing=True,
            next_run_time=datetime.now(UTC),
        )
        self.scheduler.add_job(
            self.purge, "interval", days=1, id="purge", jobstore="memory",
            executor=HOUSEKEEPING, replace_existing=True, next_run_time=datetime.now(UTC),
        )

    def purge(self) -> None:
        """Delete what is past its retention (SPEC 16), once a day."""
        from leakprint.retention import purge

        try:
            report = self.watch.call("retention purge", lambda: purge(
                self.db, self.settings.retention, logs_dir=self.settings.home / "logs"))
        except Exception:  # a failed purge must not stop the scheduler; tried tomorrow
            log.exception("retention purge failed")
            return
        if report is not None and report.total:
            log.info("retention purge: %s", ", ".join(
                f"{n} {k}" for k, n in report.counts().items() if n))

    def _sync_job(self) -> None:
        try:
            # Runs nobody else will close (their process is gone, or their end could
            # not be written while the database was away), then the incidents.
            self.watch.call("incident sync", lambda: (reap_and_notify(self.db), self.sync()))
        except Exception:  # a bug, not an outage: logged in full, tried again next time
            log.exception("incident sync failed")

    def sync(self, now: datetime | None = None) -> list[str]:
        """Add jobs for open incidents, remove those of closed or expired ones."""
        with self._sync_lock:
            return self._sync(now or datetime.now(UTC))

    def _sync(self, now: datetime) -> list[str]:
        for incident_id in close_expired(self.db, now):
            log.info("incident %s: watch period over, closed", incident_id)
        with self.db.session() as session:
            wanted = {
                job_id(i.id): i
                for i in session.scalars(
                    select(Incident).where(Incident.state == "open").order_by(Incident.id)
                )
            }
        existing = {job.id for job in self.scheduler.get_jobs(jobstore="default")}
        for jid in sorted(existing - wanted.keys()):
            if JOB_ID.match(jid):
                self.scheduler.remove_job(jid, jobstore="default")
                log.info("%s: incident closed, job removed", jid)
        for jid, incident in wanted.items():
            if jid in existing:
                continue  # kept from the job store, with its next run time
            trigger = incident_trigger(incident)
            if incident.last_scan_at is None:
                first: datetime | None = now  # a new incident scans as soon as serve is up
            elif incident.every_seconds:
                first = max(now, incident.last_scan_at + timedelta(seconds=incident.every_seconds))
            else:
                first = trigger.get_next_fire_time(None, now)
            if first is None:
                continue
            self.scheduler.add_job(
                SCAN_JOB,
                trigger,
                args=[str(self.settings.home), incident.id],
                id=jid,
                name=incident.name,
                jobstore="default",
                replace_existing=True,
                next_run_time=first,
            )
            log.info(
                "incident %s: scheduled (%s), first scan %s",
                incident.id,
                jid,
                first.isoformat(timespec="seconds"),
            )
        return sorted(wanted)

    def send_alerts(self) -> None:
        from leakprint.outbox import send_pending

        try:
            report = self.watch.call("alert delivery",
                                     lambda: send_pending(self.settings, self.db))
        except Exception:  # a broken sender must not stop the scheduler
            log.exception("alert delivery failed")
            return
        if report is None:  # the database is away: tried again with backoff
            return
        if report.sent or report.failed or report.retried:
            log.info(
                "alerts: %s sent, %s to retry, %s failed",
                report.sent,
                report.retried,
                report.failed,
            )

    def jobs(self) -> list[dict[str, Any]]:
        return [
            {
                "id": j.id,
                "name": j.name,
                "next_run": j.next_run_time.isoformat() if j.next_run_time else None,
            }
            for j in self.scheduler.get_jobs(jobstore="default")
        ]

    def shutdown(self) -> None:
        """Stop taking new work and wait for running scans to finish."""
        self.scheduler.shutdown(wait=True)


def serve(
    settings: Settings,
    db: Database,
    *,
    alert_interval: int = 30,
    sync_interval: int = 15,
    workers: int = 2,
    stop: threading.Event | None = None,
    on_ready: Callable[[LeakprintScheduler], None] | None = None,
) -> None:
    """Run until SIGINT/SIGTERM (or ``stop`` is set), then stop after the running scans."""
    stop = stop or threading.Event()
    sched = LeakprintScheduler(
        settings, db, alert_interval=alert_interval, sync_interval=sync_interval, workers=workers
    )

    def _stop(signum: int, _frame: Any) -> None:
        if stop.is_set():
            log.info("still stopping: waiting for the running scans")
        else:
            log.info("signal %s: stopping after the running scans", signum)
        stop.set()

    with one_scheduler(db):
        previous: dict[signal.Signals, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(sig, _stop)
        try:
            sched.start()
            try:
                if on_ready:
                    on_ready(sched)
                while not stop.wait(1.0):
                    pass
            finally:
                sched.shutdown()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
