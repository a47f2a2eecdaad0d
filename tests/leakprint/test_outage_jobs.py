"""`serve`'s parts while the database is away (issue 18, point 6): a scheduled scan
that cannot start is recorded `missed` once the database is back, and so is one that
fell due while the job store could not be read; each gets the streak's one
`scan_failed` notice; the log has one line per outage, no traceback."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from leakprint.db import open_database
from leakprint.dbwatch import DatabaseWatch
from leakprint.incidents import JOBS_TABLE, job_id, open_incident
from leakprint.runs import blind_runs, reap_and_notify
from leakprint.scheduler import SCAN_JOB, OutageTolerantJobStore, run_incident_scan
from tests.leakprint.helpers import customer_rows, run
from tests.leakprint.sites import make_deployment, scan_runs

pytestmark = pytest.mark.slow  # scans while the database is down


@pytest.fixture
def sqlite_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                ) -> tuple[Path, str, int]:
    home = tmp_path / "home"
    db_url = f"sqlite:///{tmp_path}/lp.db"
    env = make_deployment(home, db_url, customer_rows(10))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    db = open_database(db_url, migrate_schema=False)
    try:
        info = open_incident(db, name="watch", datasets=["crm"], sources=["forum"],
                             every="30m", cron=None, period="90d", notify=["soc@example.jp"])
    finally:
        db.close()
    return home, db_url, info.id


class Away:
    """The SQLite file moved away and a folder in its place: nothing can open it."""

    def __init__(self, db_url: str) -> None:
        self.path = Path(db_url.removeprefix("sqlite:///"))
        self.hidden = self.path.with_name("away.db")

    def __enter__(self) -> Away:
        self.path.rename(self.hidden)
        self.path.mkdir()
        return self

    def __exit__(self, *exc: object) -> None:
        self.path.rmdir()
        self.hidden.rename(self.path)


def _notices(db_url: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(
                "SELECT kind, scan_run_id FROM alerts ORDER BY id"))]
    finally:
        engine.dispose()


def test_a_scan_that_cannot_start_is_recorded_missed_once_the_db_is_back(
    sqlite_home: tuple[Path, str, int], caplog: pytest.LogCaptureFixture
) -> None:
    home, db_url, incident = sqlite_home
    caplog.set_level(logging.INFO)
    with Away(db_url):
        run_incident_scan(str(home), incident)  # must not raise
        run_incident_scan(str(home), incident)
    assert scan_runs(db_url) == []
    db = open_database(db_url, migrate_schema=False)
    try:
        reaped = reap_and_notify(db)
        assert len(reaped.missed) == 2 and reaped.incidents == {incident}
        assert reap_and_notify(db).missed == []  # written once
        blind = blind_runs(db, incident)
    finally:
        db.close()
    runs = scan_runs(db_url)
    assert [(r["status"], r["incident_id"], json.loads(r["sources"])) for r in runs] == [
        ("missed", incident, ["forum"])] * 2
    assert runs[0]["error"].startswith("database unreachable: ")
    assert [b["status"] for b in blind] == ["missed", "missed"]
    # One failure notice for the streak.
    assert _notices(db_url) == [("scan_failed", runs[-1]["id"])]
    assert not any(r.exc_info for r in caplog.records), "a traceback in the log"
    gone = [r.getMessage() for r in caplog.records if "database unreachable (" in r.getMessage()]
    assert gone == [f"incident {incident} scan: database unreachable (unable to open database "
                    "file); retrying with backoff"]
    shown = run(home, "incident", "show", str(incident))
    assert shown.output.count(" missed (scan run ") == 2, shown.output


def test_scans_due_while_the_job_store_was_unreadable_are_recorded_missed(
    sqlite_home: tuple[Path, str, int], caplog: pytest.LogCaptureFixture
) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    home, db_url, incident = sqlite_home
    caplog.set_level(logging.INFO)
    db = open_database(db_url, migrate_schema=False)
    watch = DatabaseWatch(logging.getLogger("test"), first_retry=0)
    store = OutageTolerantJobStore(db, watch, tablename=JOBS_TABLE)
    sched = BackgroundScheduler(jobstores={"default": store}, timezone="UTC")
    sched.start(paused=True)
    try:
        store._last_read = datetime.now(UTC) - timedelta(minutes=10)
        due = datetime.now(UTC) - timedelta(minutes=5)
        sched.add_job(SCAN_JOB, "interval", minutes=30, args=[str(home), incident],
                      id=job_id(incident), next_run_time=due)
        with Away(db_url):
            db.engine.dispose()
            assert store.get_due_jobs(datetime.now(UTC)) == []
            assert store.get_next_run_time() is not None  # look again soon
            assert store.get_due_jobs(datetime.now(UTC)) == []
        jobs = store.get_due_jobs(datetime.now(UTC))
        assert [j.id for j in jobs] == [job_id(incident)]  # it runs now, late
    finally:
        # (A stopping scheduler looks at its due jobs once more: none left to look at.)
        sched.remove_all_jobs()
        sched.shutdown(wait=False)
        db.close()
    [missed] = scan_runs(db_url)
    assert missed["status"] == "missed" and missed["incident_id"] == incident
    assert missed["error"] == "database unreachable when the scan was due"
    assert _notices(db_url) == [("scan_failed", missed["id"])]
    lines = [r.getMessage() for r in caplog.records]
    assert sum("job store: database unreachable" in m for m in lines) == 1
    assert sum("job store: database back after" in m for m in lines) == 1
    assert not any(r.exc_info for r in caplog.records)
