"""The scheduler without crawls: persistent jobs, restarts, watch periods, coalescing, failures.

`test_serve.py` runs the same scheduler with real crawls and e-mail.
"""

from __future__ import annotations

import gc
import signal
import threading
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from leakprint.config import load_settings
from leakprint.db import Database, ScanRun, open_database
from leakprint.incidents import close_incident, get_incident
from leakprint.scheduler import (
    JOBS_TABLE,
    SCAN_JOB,
    LeakprintScheduler,
    ServeError,
    run_incident_scan,
    serve,
)
from tests.leakprint.helpers import open_one, run

pytestmark = pytest.mark.slow  # real schedulers: serve, its threads and job store

RUNS: list[str] = []
RAN = threading.Event()


def record_run(tag: str) -> None:
    """A stand-in job function (referenced by text, like the real one)."""
    RUNS.append(tag)
    RAN.set()


def stored_jobs(db_url: str) -> list[tuple[str, float]]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [
                (r[0], float(r[1]))
                for r in conn.execute(
                    sa.text(f"SELECT id, next_run_time FROM {JOBS_TABLE} ORDER BY id")
                )
            ]
    finally:
        engine.dispose()


def paused(home: Path, db: Database) -> LeakprintScheduler:
    """The real scheduler, started paused: jobs are stored and loaded but never run."""
    sched = LeakprintScheduler(load_settings(home), db)
    sched.scheduler.start(paused=True)
    return sched


def test_jobs_persist_across_restarts(home: Path, db: Database, db_url: str) -> None:
    every = open_one(db, "every 30m")
    cron = open_one(db, "nightly", every=None, cron="0 3 * * 0")
    before = datetime.now(UTC)

    first = paused(home, db)
    assert first.sync() == [f"incident-{every}", f"incident-{cron}"]
    jobs = {j.id: j for j in first.scheduler.get_jobs(jobstore="default")}
    assert sorted(jobs) == [f"incident-{every}", f"incident-{cron}"]
    for jid, incident in ((f"incident-{every}", every), (f"incident-{cron}", cron)):
        job = jobs[jid]
        # Stored by text reference with picklable arguments.
        assert job.func_ref == SCAN_JOB
        assert job.args == (str(home), incident)
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time is None
        # A new incident scans as soon as serve is up.
        assert before <= job.next_run_time <= datetime.now(UTC) + timedelta(seconds=1)
    assert isinstance(jobs[f"incident-{every}"].trigger, IntervalTrigger)
    cron_trigger = jobs[f"incident-{cron}"].trigger
    assert isinstance(cron_trigger, CronTrigger)
    assert "day_of_week='sun'" in str(cron_trigger)  # crontab 0 is Sunday
    first.sync()  # again: nothing added twice
    first.shutdown()
    stored = stored_jobs(db_url)
    assert [j[0] for j in stored] == [f"incident-{every}", f"incident-{cron}"]

    # A restart (new engine, new scheduler): the same jobs, the same next run times.
    db2 = open_database(db_url, migrate_schema=False)
    try:
        second = paused(home, db2)
        assert sorted(j.id for j in second.scheduler.get_jobs()) == [j[0] for j in stored]
        second.sync()
        assert stored_jobs(db_url) == stored
        # Closing an incident removes its job at the next sync; nothing else changes.
        close_incident(db2, cron)
        assert second.sync() == [f"incident-{every}"]
        assert stored_jobs(db_url) == stored[:1]
        second.shutdown()
    finally:
        db2.close()
    assert stored_jobs(db_url) == stored[:1]


def test_watch_period_ends_by_itself(home: Path, db: Database, db_url: str) -> None:
    incident = open_one(db, period="2h")
    ends_at = get_incident(db, incident).ends_at
    sched = paused(home, db)
    try:
        sched.sync()
        (job,) = sched.scheduler.get_jobs()
        # The trigger itself stops at the end of the watch period...
        assert job.trigger.end_date == ends_at
        assert (
            job.trigger.get_next_fire_time(
                ends_at - timedelta(minutes=10), ends_at - timedelta(minutes=1)
            )
            is None
        )
        # ...and the sync closes the incident and drops its job.
        assert sched.sync(now=ends_at - timedelta(seconds=1)) == [f"incident-{incident}"]
        assert sched.sync(now=ends_at) == []
        assert get_incident(db, incident).state == "closed"
        assert sched.scheduler.get_jobs() == []
    finally:
        sched.shutdown()
    assert stored_jobs(db_url) == []


def test_missed_runs_coalesce_into_one(home: Path, db: Database) -> None:
    RUNS.clear()
    RAN.clear()
    sched = LeakprintScheduler(load_settings(home), db)
    # Serve was down for three hours of a one-minute cadence: 180 missed runs.
    sched.scheduler.add_job(
        "tests.leakprint.test_scheduler:record_run",
        "interval",
        minutes=1,
        args=["late"],
        id="late-job",
        jobstore="default",
        next_run_time=datetime.now(UTC) - timedelta(hours=3),
    )
    sched.scheduler.start()
    try:
        assert RAN.wait(30), "the missed job never ran"
        (job,) = sched.scheduler.get_jobs(jobstore="default")
        assert job.next_run_time > datetime.now(UTC)
    finally:
        sched.shutdown()
    assert RUNS == ["late"]


def test_failed_scan_is_recorded_and_does_not_raise(home: Path, db: Database) -> None:
    incident = open_one(db)
    # No fingerprint set and no sources file: the crawl cannot even start.
    run_incident_scan(str(home), incident)
    with db.session() as session:
        runs = session.scalars(sa.select(ScanRun)).all()
        assert [(r.incident_id, r.status) for r in runs] == [(incident, "failed")]
        assert runs[0].error and "fingerprint" in runs[0].error
    assert get_incident(db, incident).last_scan_at is not None

    # A closed incident's job (removed at the next sync) does nothing if it still fires.
    close_incident(db, incident)
    run_incident_scan(str(home), incident)
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ScanRun)) == 1


def test_serve_stops_and_restores_signal_handlers(home: Path, db: Database) -> None:
    before = signal.getsignal(signal.SIGTERM)
    stop = threading.Event()
    seen: list[list[dict[str, object]]] = []

    def ready(sched: LeakprintScheduler) -> None:
        seen.append(sched.jobs())
        stop.set()

    serve(load_settings(home), db, stop=stop, on_ready=ready)
    assert seen == [[]]
    assert signal.getsignal(signal.SIGTERM) is before


def test_serve_command_help_and_missing_key(home: Path) -> None:
    helped = run(home, "serve", "--help")
    assert helped.exit_code == 0 and "Example:" in helped.output
    (home / "leakprint.key").unlink()
    refused = run(home, "serve")
    assert refused.exit_code == 2
    assert "key file" in refused.output


def test_a_second_serve_on_the_same_database_is_refused(
    home: Path, db: Database, db_url: str
) -> None:
    stop = threading.Event()
    ready = threading.Event()
    first = threading.Thread(
        target=serve,
        args=(load_settings(home), db),
        kwargs={"stop": stop, "on_ready": lambda _s: ready.set()},
    )
    first.start()
    try:
        assert ready.wait(30), "the first serve did not start"
        other = open_database(db_url, migrate_schema=False)
        try:
            with pytest.raises(ServeError, match="another `leakprint serve` is running"):
                serve(load_settings(home), other, stop=threading.Event())
            refused = run(home, "serve")
            assert refused.exit_code == 2
            assert "another `leakprint serve` is running" in refused.output
        finally:
            other.close()
    finally:
        stop.set()
        first.join(60)
    # Once the first has stopped, the next one may start.
    again = threading.Event()
    serve(load_settings(home), db, stop=again, on_ready=lambda _s: again.set())


def test_serve_leaves_the_database_to_its_owner(home: Path, db: Database) -> None:
    """Stopping serve leaves the caller's database engine as it was: APScheduler's SQL
    job store disposed of the engine it was given, under the serve lock's connection
    (checked out across the shutdown on PostgreSQL), which then went back to a
    discarded pool and was garbage collected open (a ResourceWarning)."""
    pool = db.engine.pool
    stop = threading.Event()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        serve(load_settings(home), db, stop=stop, on_ready=lambda _s: stop.set())
        gc.collect()
    assert [str(w.message)[:60] for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert db.engine.pool is pool
    with db.session() as session:  # still usable by its owner
        assert session.scalar(sa.text("SELECT 1")) == 1
