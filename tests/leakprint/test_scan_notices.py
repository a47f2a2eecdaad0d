"""Scan notices: one e-mail when an incident's scans start failing, one when they work
again — so a watch gone blind is not mistaken for a quiet one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from alerts import RecordingNotifier
from leakprint.config import load_settings
from leakprint.db import AlertRow, Database, open_database
from leakprint.db.engine import alembic_config, make_engine
from leakprint.notices import note_scan_health
from leakprint.outbox import list_alerts, send_pending
from leakprint.scanning import finish_run, start_run
from leakprint.scheduler import run_incident_scan
from tests.alerts.smtp_sink import SmtpSink, body_text
from tests.leakprint.helpers import open_one, run, use_sink

FAILURE = "scan run {n}: crawl exited with status 1: ValueError (log: logs/scan-{n}.log)"


def scan(db: Database, incident: int, status: str) -> int:
    run_id = start_run(db, "sources", sources=["paste"], incident_id=incident)
    error = FAILURE.format(n=run_id) if status in ("failed", "killed") else None
    finish_run(db, run_id, status=status, error=error)
    return run_id


def notices(db: Database) -> list[tuple[str, int | None]]:
    return [(r["kind"], r["scan_run"]) for r in list_alerts(db) if r["kind"] != "finding"]


def test_one_notice_per_failure_streak_and_one_when_scans_work_again(db: Database) -> None:
    incident = open_one(db)
    steps = [
        ("ok", None),
        ("failed", "scan_failed"),
        ("failed", None),  # the same streak: no second notice
        ("killed", None),
        ("partial", "scan_recovered"),  # a partial scan still watches
        ("ok", None),
        ("failed", "scan_failed"),  # a new streak
    ]
    runs = []
    for status, expected in steps:
        runs.append(scan(db, incident, status))
        assert note_scan_health(db, incident) == expected, status
        assert note_scan_health(db, incident) is None  # looking twice queues nothing
    assert notices(db) == [
        ("scan_failed", runs[1]),
        ("scan_recovered", runs[4]),
        ("scan_failed", runs[6]),
    ]
    other = open_one(db, "other")  # another incident's streak is its own
    scan(db, other, "ok")
    assert note_scan_health(db, other) is None


def test_a_streak_begun_unseen_is_noticed_at_its_next_failure(
    home: Path,
    db: Database,
) -> None:
    incident = open_one(db)
    assert note_scan_health(db, incident) is None  # no scan yet
    scan(db, incident, "ok")
    # A crawl whose parent was SIGKILLed closes its own run as killed; nobody looked.
    scan(db, incident, "killed")
    ok = scan(db, incident, "ok")
    assert note_scan_health(db, incident) is None  # no failure notice: no "back" notice
    scan(db, incident, "killed")
    failed = scan(db, incident, "failed")
    assert note_scan_health(db, incident) == "scan_failed"
    back = scan(db, incident, "ok")
    assert note_scan_health(db, incident) == "scan_recovered"
    assert notices(db) == [("scan_failed", failed), ("scan_recovered", back)]
    assert ok < failed

    sent = RecordingNotifier()
    report = send_pending(load_settings(home), db, notifier=sent)
    assert (report.sent, report.failed) == (2, 0)
    failed_mail, back_mail = sent.messages
    assert failed_mail.subject == (
        f"[leakprint] SCAN FAILED: incident {incident}: watch is not being watched"
        f" (scan run {failed})"
    )
    assert FAILURE.format(n=failed) in failed_mail.text
    assert FAILURE.format(n=failed) in failed_mail.html
    assert f"leakprint incident show {incident}" in failed_mail.text
    assert back_mail.subject == (
        f"[leakprint] SCANS WORK AGAIN: incident {incident}: watch (scan run {back})"
    )
    assert "Failed scans: 2" in back_mail.text  # the killed run and the failed one
    assert failed_mail.recipients == ("soc@example.jp",)
    assert failed_mail.headers["X-Leakprint-Scan-Run-Id"] == str(failed)
    assert send_pending(load_settings(home), db, notifier=sent).sent == 0
    assert len(sent.messages) == 2


@pytest.mark.slow  # runs the scheduler and SMTP
def test_a_failing_scheduled_scan_mails_one_notice_over_smtp(
    home: Path,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    smtp_plain: SmtpSink,
) -> None:
    incident = open_one(db, "blind-watch")
    use_sink(monkeypatch, smtp_plain, home)
    monkeypatch.setenv("COLUMNS", "200")
    # No fingerprint set and no sources file: every scan fails.
    run_incident_scan(str(home), incident)
    run_incident_scan(str(home), incident)
    assert len(smtp_plain.messages) == 1
    email = smtp_plain.messages[0].message
    assert email["Subject"].startswith(
        f"[leakprint] SCAN FAILED: incident {incident}: blind-watch is not being watched"
    )
    text = body_text(email, "plain")
    assert "fingerprint" in text  # the stored reason: no set to match against
    assert "Log:" not in text  # the crawl never started: there is no log to name
    rows = list_alerts(db)
    assert [(r["kind"], r["status"], r["finding"]) for r in rows] == [("scan_failed", "sent", None)]

    shown = run(home, "alerts", "list")
    assert shown.exit_code == 0, shown.output
    assert "scan_failed (scan run 1)" in shown.output
    listed = json.loads(run(home, "alerts", "list", "--json").output)
    assert listed[0]["kind"] == "scan_failed" and listed[0]["scan_run"] == 1


def test_upgrade_keeps_queued_finding_alerts(db_url: str) -> None:
    """A database made before scan notices (revision 0002) upgrades with its outbox."""
    engine = make_engine(db_url)
    t = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
    with engine.begin() as connection:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0002")
        old = sa.MetaData()
        old.reflect(connection, only=["incidents", "documents", "findings", "alerts"])
        assert "kind" not in old.tables["alerts"].c
        connection.execute(
            old.tables["incidents"]
            .insert()
            .values(
                id=1,
                name="old",
                datasets=["crm"],
                sources=["paste"],
                threshold="medium",
                notify=["soc@example.jp"],
                state="open",
                created_at=t,
                ends_at=t,
            )
        )
        connection.execute(
            old.tables["documents"]
            .insert()
            .values(
                id=1,
                url="http://paste.test/raw/1",
                content_sha256="a" * 64,
                size=1,
                lossy=False,
                first_seen=t,
                last_seen=t,
                last_changed=t,
            )
        )
        connection.execute(
            old.tables["findings"]
            .insert()
            .values(
                id=1,
                document_id=1,
                dataset="crm",
                confidence="high",
                bulk=False,
                record_count=3,
                fields=["phone"],
                snippet="⟨phone⟩",
                content_sha256="a" * 64,
                first_seen=t,
                last_seen=t,
                updated_at=t,
            )
        )
        connection.execute(
            old.tables["alerts"]
            .insert()
            .values(
                id=1,
                incident_id=1,
                finding_id=1,
                record_count=3,
                is_update=False,
                status="pending",
                attempts=0,
                next_attempt_at=t,
                created_at=t,
            )
        )
    engine.dispose()

    database = open_database(db_url)  # upgrades to the newest revision
    try:
        (row,) = list_alerts(database)
        assert (row["kind"], row["finding"], row["scan_run"], row["status"]) == (
            "finding",
            1,
            None,
            "pending",
        )
        # The old uniqueness still holds for finding alerts.
        with pytest.raises(sa.exc.IntegrityError), database.session() as session:
            session.add(AlertRow(incident_id=1, finding_id=1, record_count=3))
        # And a notice can be queued next to it.
        run_id = scan(database, 1, "failed")
        assert note_scan_health(database, 1) == "scan_failed"
        assert notices(database) == [("scan_failed", run_id)]
    finally:
        database.close()
