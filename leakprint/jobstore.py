"""``serve``'s job store: APScheduler's SQL job store, riding out a database outage."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

from leakprint.db import Database
from leakprint.dbwatch import DatabaseWatch
from leakprint.incidents import JOB_ID
from leakprint.runs import is_outage, record_missed

log = logging.getLogger("leakprint.scheduler")


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
