"""``serve``'s job store: APScheduler's SQL job store in the leakprint database,
riding out a database outage — and the one place that reads its table (when each
incident's next scan is due, for ``incident list`` and ``show``)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import inspect, text

from leakprint.db import Database
from leakprint.dbwatch import DatabaseWatch
from leakprint.runs import is_outage, record_missed

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger("leakprint.scheduler")

# `leakprint serve` keeps each open incident's job in APScheduler's SQL job store,
# in the leakprint database, under this table and id.
JOBS_TABLE = "apscheduler_jobs"
JOB_ID = re.compile(r"^incident-(\d+)$")


def job_id(incident_id: int) -> str:
    return f"incident-{incident_id}"


def next_runs(session: Session) -> dict[int, datetime]:
    """When each incident's next scan is due, as ``serve``'s job store has it (empty
    before ``serve`` first ran). Read from the table directly: unpickling the jobs
    would need the scheduler's own objects, and this is a read-only look."""
    if not inspect(session.connection()).has_table(JOBS_TABLE):
        return {}
    out: dict[int, datetime] = {}
    for job, next_run in session.execute(text(f"SELECT id, next_run_time FROM {JOBS_TABLE}")):
        m = JOB_ID.match(str(job))
        if m is not None and next_run is not None:
            out[int(m.group(1))] = datetime.fromtimestamp(float(next_run), UTC)
    return out


class OutageTolerantJobStore(SQLAlchemyJobStore):  # type: ignore[misc]
    """The SQL job store, riding out a database outage.

    APScheduler calls the job store from its main loop, where an error in some calls
    would end the loop: while the database is away, no job is due, the next look is
    a few seconds away and a job's new run time waits (it runs again, coalesced, once
    back). Scans that fell due while the store could not be read are recorded as
    ``missed`` when it can be read again (they then run late, once).
    """

    COMPONENT = "job store"

    def __init__(self, db: Database, watch: DatabaseWatch, **kwargs: Any) -> None:
        super().__init__(engine=db.engine, **kwargs)
        self.db = db
        self.watch = watch
        self._last_read = datetime.now(UTC)

    def get_due_jobs(self, now: datetime) -> list[Any]:
        if not self.watch.ready(self.COMPONENT):
            return []
        try:
            jobs: list[Any] = super().get_due_jobs(now)
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.watch.failed(self.COMPONENT, exc)
            return []
        if self.watch.ok(self.COMPONENT) is not None:
            self._record_missed(jobs, now)
        self._last_read = now
        return jobs

    def shutdown(self) -> None:
        """Leave the engine to its owner, the leakprint database: the SQL job store
        disposes of the engine it was given, under connections still checked out (the
        serve lock's), which then went back to a discarded pool and were garbage
        collected open; and the caller's database had its pool swapped."""

    def _record_missed(self, jobs: list[Any], now: datetime) -> None:
        for job in jobs:
            m = JOB_ID.match(job.id)
            if m is None or job.next_run_time is None or job.next_run_time <= self._last_read:
                continue
            incident_id = int(m.group(1))
            try:
                record_missed(self.db, incident_id, job.next_run_time,
                              "database unreachable when the scan was due")
                from leakprint.notices import note_scan_health

                note_scan_health(self.db, incident_id)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                self.watch.failed(self.COMPONENT, exc)
                return
            log.warning("incident %s: the scan due at %s was missed (database unreachable)",
                        incident_id, job.next_run_time.isoformat(timespec="seconds"))

    def get_next_run_time(self) -> datetime | None:
        if self.watch.is_down(self.COMPONENT):
            return datetime.now(UTC) + timedelta(seconds=FIRST_LOOK)
        try:
            when: datetime | None = super().get_next_run_time()
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.watch.failed(self.COMPONENT, exc)
            return datetime.now(UTC) + timedelta(seconds=FIRST_LOOK)
        return when

    def update_job(self, job: Any) -> None:
        try:
            super().update_job(job)
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.watch.failed(self.COMPONENT, exc)


#: Seconds between looks at the job store while the database is away.
FIRST_LOOK = 2
