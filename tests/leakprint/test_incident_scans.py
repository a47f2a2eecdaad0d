"""An incident says how its latest scan ended: a watch whose scans fail finds nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from leakprint.config import load_settings
from leakprint.db import Database, Incident, open_database
from leakprint.incidents import get_incident, list_incidents, open_incident
from leakprint.scanning import finish_run, start_run
from tests.leakprint.helpers import run

WHEN = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
FAILURE = "crawl exited with status 1: ValueError"


def _incident(db: Database, name: str) -> int:
    return open_incident(
        db, name=name, datasets=["crm"], sources=["paste"], every="30m", cron=None,
        period="90d", notify=["soc@example.jp"], threshold="medium", now=WHEN,
    ).id


def _scan(db: Database, incident_id: int | None, status: str, error: str | None = None) -> None:
    run_id = start_run(db, "sources", sources=["paste"], incident_id=incident_id)
    finish_run(db, run_id, status=status, error=error)
    if incident_id is not None:
        with db.session() as session:
            row = session.get(Incident, incident_id)
            assert row is not None
            row.last_scan_at = WHEN


def test_latest_scan_outcome_per_incident(db: Database) -> None:
    recovered, failing, quiet = (_incident(db, n) for n in ("recovered", "failing", "quiet"))
    _scan(db, recovered, "failed", FAILURE)
    _scan(db, failing, "ok")
    _scan(db, recovered, "ok")
    _scan(db, None, "failed", "not an incident's scan")
    _scan(db, failing, "failed", FAILURE)

    by_id = {i.id: i for i in list_incidents(db)}
    assert (by_id[recovered].last_scan_status, by_id[recovered].last_scan_error) == ("ok", None)
    assert (by_id[failing].last_scan_status, by_id[failing].last_scan_error) == (
        "failed", FAILURE,
    )
    assert by_id[quiet].last_scan_status is None and by_id[quiet].last_scan == "never"
    assert by_id[recovered].last_scan == "2026-11-28 06:00"
    assert by_id[failing].last_scan == "2026-11-28 06:00 failed"
    assert get_incident(db, failing) == by_id[failing]
    assert by_id[failing].as_json()["last_scan_status"] == "failed"
    assert by_id[failing].as_json()["last_scan_error"] == FAILURE
    assert by_id[failing].last_scan_run == 5  # the fifth run of the database


def test_cli_shows_a_failing_watch(crm_home: Path) -> None:
    opened = run(crm_home, "incident", "open", "watch", "--dataset", "crm", "--source", "paste",
                 "--every", "30m", "--notify", "soc@example.jp")
    assert opened.exit_code == 0, opened.output
    db = open_database(load_settings(crm_home).database_url)
    try:
        _scan(db, 1, "failed", FAILURE)
    finally:
        db.close()
    listed = run(crm_home, "incident", "list")
    assert "2026-11-28 06:00 failed" in listed.output
    shown = run(crm_home, "incident", "show", "1")
    assert (f"last scan: 2026-11-28 06:00 failed (scan run 1, log logs/scan-1.log: {FAILURE})"
            in shown.output)
    as_json = json.loads(run(crm_home, "incident", "show", "1", "--json").output)
    assert (as_json["last_scan_status"], as_json["last_scan_error"]) == ("failed", FAILURE)


def test_next_scan_comes_from_the_schedulers_job_store(crm_home: Path) -> None:
    from leakprint.scheduler import LeakprintScheduler

    opened = run(crm_home, "incident", "open", "watch", "--dataset", "crm", "--source", "paste",
                 "--every", "30m", "--notify", "soc@example.jp")
    assert opened.exit_code == 0, opened.output
    # Before `serve` ever ran there is no job store: the scan waits for serve.
    assert "next scan: when `leakprint serve` runs" in run(crm_home, "incident", "show", "1").output
    shown = json.loads(run(crm_home, "incident", "show", "1", "--json").output)
    assert shown["next_scan_at"] is None

    settings = load_settings(crm_home)
    db = open_database(settings.database_url)
    try:
        sched = LeakprintScheduler(settings, db)
        sched.scheduler.start(paused=True)  # jobs stored, never run
        sched.sync()
        (job,) = sched.scheduler.get_jobs()
        due = job.next_run_time
        sched.scheduler.modify_job(job.id, next_run_time=due + timedelta(hours=2))
        sched.shutdown()
        expected = (due + timedelta(hours=2)).astimezone(UTC)
        info = get_incident(db, 1)
        assert info.next_scan_at == expected
        assert info.next_scan(now=expected - timedelta(minutes=1)) == f"{expected:%Y-%m-%d %H:%M}"
        # Just due: a running serve starts it within seconds, so not "overdue" yet.
        assert info.next_scan(now=expected + timedelta(minutes=1)) == f"{expected:%Y-%m-%d %H:%M}"
        # A due time long past: serve is not running.
        assert info.next_scan(now=expected + timedelta(hours=1)).endswith(
            "overdue: is `leakprint serve` running?"
        )
        listed = json.loads(run(crm_home, "incident", "list", "--json").output)
        assert datetime.fromisoformat(listed[0]["next_scan_at"]) == expected
        shown = run(crm_home, "incident", "show", "1").output
        assert f"next scan: {expected:%Y-%m-%d %H:%M}" in shown
        assert f"{expected:%Y-%m-%d %H:%M}" in run(crm_home, "incident", "list").output
        assert run(crm_home, "incident", "close", "1").exit_code == 0
        assert "next scan: none (closed)" in run(crm_home, "incident", "show", "1").output
        assert get_incident(db, 1).next_scan_at is None
    finally:
        db.close()
