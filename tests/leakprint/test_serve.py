"""`leakprint serve` end to end: scheduled crawls of a local paste site, alert e-mails caught
by a real SMTP server (aiosmtpd, STARTTLS + AUTH), restarts, outages and failures.

Every scan is a child `scrapy crawl` (a few seconds each), so each test runs as few
scans as it can.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from leakprint.config import load_settings
from leakprint.outbox import list_alerts, send_pending
from leakprint.scheduler import JOBS_TABLE, SCAN_JOB, run_incident_scan
from tests.alerts.smtp_sink import body_text, free_port
from tests.leakprint.helpers import PLANTED, assert_no_planted, run
from tests.leakprint.serving import (  # the fixtures too
    CUSTOMERS,
    FAST,
    PLANTED_REFS,
    Deployment,
    InProcessServe,
    Serve,
    assert_clean_email,
    check_alert_email,
    drop_source,
    finding_alerts,
    finding_mails,
    leak_rows,
    notice_subjects,
    open_incident_cli,
    wait_for,
)


def test_scheduled_scan_alerts_once_survives_restart_and_updates(
    deployment: Deployment,
) -> None:
    d = deployment
    incident = open_incident_cli(d)
    failing = open_incident_cli(d, name="old paste", source="old-paste")
    drop_source(d, "old-paste")  # this incident's scans now fail; the other goes on

    with InProcessServe(d) as s:
        # The first scans run as soon as serve is up.
        wait_for(lambda: len(d.sink.messages) >= 2, "the alert e-mail and the scan notice")
        wait_for(lambda: len(d.scan_runs()) >= 2, "both first scans")
        s.cycles(2)
        first_jobs = d.jobs()
    assert len(finding_mails(d)) == 1
    # The incident whose scans fail is told so, once.
    assert notice_subjects(d) == [
        f"[leakprint] SCAN FAILED: incident {failing}: old paste is not being watched"
        f" (scan run {next(r[3] for r in d.scan_runs() if r[0] == failing)})"
    ]
    runs = d.scan_runs()
    assert sorted((r[0], r[1]) for r in runs) == [(incident, "ok"), (failing, "failed")]
    assert "unknown source 'old-paste'" in str(next(r[2] for r in runs if r[0] == failing))

    # One persistent job per open incident, by text reference, next run a cadence away.
    assert [j[0] for j in first_jobs] == [f"incident-{incident}", f"incident-{failing}"]
    for _, next_run in first_jobs:
        # Ignored below: the job store's column comes back as object.
        assert float(next_run) > time.time() + 25 * 60  # type: ignore[arg-type]

    refs = sorted([*PLANTED_REFS, *[c[0] for c in CUSTOMERS[:2]]])
    findings = json.loads(run(d.home, "findings", "--incident", str(incident), "--json").output)
    assert len(findings) == 1
    finding = findings[0]["id"]
    assert sorted(r["ref"] for r in findings[0]["records"]) == refs
    check_alert_email(finding_mails(d)[0], d, incident, finding, refs)
    for received in d.sink.messages:
        assert_clean_email(received, d.paste.site.base)
    (alert,) = finding_alerts(d)
    assert (alert["status"], alert["attempts"], alert["record_count"]) == ("sent", 1, len(refs))

    # (f) restart: the same jobs with the same next run times, no scan, no e-mail.
    with InProcessServe(d) as s:
        s.cycles(3)
        assert s.sched is not None
        assert sorted(j["id"] for j in s.sched.jobs()) == [j[0] for j in first_jobs]
        assert d.jobs() == first_jobs
    assert d.jobs() == first_jobs
    assert len(d.scan_runs()) == 2
    assert len(d.sink.messages) == 2
    db = d.open_db()
    try:
        with db.engine.connect() as conn:
            job_state = conn.execute(
                sa.text(f"SELECT job_state FROM {JOBS_TABLE}")).scalars().all()
    finally:
        db.close()
    assert all(SCAN_JOB.encode() in bytes(state) for state in job_state)

    # (c) the next scheduled scan of the same content: linked again, no alert.
    run_incident_scan(str(d.home), incident)
    assert sorted(str(r[1]) for r in d.scan_runs() if r[0] == incident) == ["ok", "ok"]
    assert len(d.sink.messages) == 2
    assert len(finding_alerts(d)) == 1

    # (d) a record is appended to the paste: one update e-mail, +1 record.
    d.paste.text = leak_rows([*PLANTED, *CUSTOMERS[:3]])
    run_incident_scan(str(d.home), incident)
    assert len(finding_mails(d)) == 2 and len(d.sink.messages) == 3
    refs_now = sorted([*refs, CUSTOMERS[2][0]])
    check_alert_email(finding_mails(d)[1], d, incident, finding, refs_now, update_from=len(refs))
    alerts = finding_alerts(d)
    assert [(a["record_count"], a["update"], a["status"]) for a in alerts] == [
        (len(refs), False, "sent"),
        (len(refs_now), True, "sent"),
    ]

    shown = run(d.home, "incident", "show", str(incident), "--json")
    assert json.loads(shown.output)["findings"][0]["record_count"] == len(refs_now)
    for output in (
        shown.output,
        run(d.home, "alerts", "list", "--json").output,
        run(d.home, "incident", "list", "--json").output,
    ):
        assert_no_planted(output.encode(), "JSON output")


def test_smtp_down_during_scheduled_scan(deployment: Deployment) -> None:
    """(b)/(g): alerts wait with attempts and last_error, then go out exactly once."""
    d = deployment
    incident = open_incident_cli(d)
    d.sink.stop()
    run_incident_scan(str(d.home), incident)  # the job itself: scan, then try to deliver
    (alert,) = json.loads(run(d.home, "alerts", "list", "--json").output)
    assert (alert["status"], alert["attempts"]) == ("pending", 1)
    assert "refused" in alert["last_error"].lower()

    settings = load_settings(d.home)
    db = d.open_db()
    try:
        now = datetime.now(UTC) + timedelta(minutes=1)
        for attempts in (2, 3):
            report = send_pending(settings, db, policy=FAST, now=now)
            assert (report.sent, report.retried) == (0, 1)
            (row,) = list_alerts(db)
            assert (row["status"], row["attempts"]) == ("pending", attempts)
            now += FAST.max_delay
        d.sink.start()  # back on the same port
        assert send_pending(settings, db, policy=FAST, now=now).sent == 1
        assert send_pending(settings, db, policy=FAST, now=now + timedelta(hours=1)).sent == 0
        (row,) = list_alerts(db)
        assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 4, None)
    finally:
        db.close()
    assert len(d.sink.messages) == 1
    assert_clean_email(d.sink.messages[0], d.paste.site.base)
    # A second scan of the same content after the outage: still one e-mail.
    run_incident_scan(str(d.home), incident)
    assert len(d.sink.messages) == 1


def test_hung_crawl_is_killed_then_the_next_scan_links_what_was_seen_before(
    deployment: Deployment,
) -> None:
    d = deployment
    # An on-demand scan saw the paste before the incident existed.
    scanned = run(d.home, "scan", "--source", "paste", "--json")
    assert scanned.exit_code == 0, scanned.output
    assert len(json.loads(scanned.stdout)) == 1

    config = d.home / "leakprint.toml"
    original = config.read_text(encoding="utf-8")
    config.write_text(original.replace("scan_timeout = 3600", "scan_timeout = 1"), encoding="utf-8")
    incident = open_incident_cli(d)
    run_incident_scan(str(d.home), incident)  # returns; the failure is recorded
    incident_runs = [r for r in d.scan_runs() if r[0] == incident]
    assert [r[1] for r in incident_runs] == ["killed"]
    assert "timeout" in str(incident_runs[0][2])
    assert d.scalar("SELECT last_scan_at FROM incidents WHERE id = :i", i=incident) is not None
    killed, name = incident_runs[0][3], "docomo-2026-11"
    assert notice_subjects(d) == [
        f"[leakprint] SCAN FAILED: incident {incident}: {name} is not being watched"
        f" (scan run {killed})"
    ]
    assert finding_mails(d) == []

    # The next scan completes: the unchanged paste is matched again (no scan of this
    # incident had completed), linked to the incident and alerted once; and the
    # recipients hear that the scans work again.
    config.write_text(original, encoding="utf-8")
    run_incident_scan(str(d.home), incident)
    assert [r[1] for r in d.scan_runs() if r[0] == incident] == ["killed", "ok"]
    assert len(finding_mails(d)) == 1
    ok = [r[3] for r in d.scan_runs() if r[0] == incident][1]
    assert notice_subjects(d)[1:] == [
        f"[leakprint] SCANS WORK AGAIN: incident {incident}: {name} (scan run {ok})"
    ]
    for received in d.sink.messages:
        assert_clean_email(received, d.paste.site.base)
    findings = json.loads(run(d.home, "findings", "--incident", str(incident), "--json").output)
    assert [f["id"] for f in findings] == [json.loads(scanned.stdout)[0]["id"]]


def test_serve_process_sigterm_waits_for_scan_and_restart_keeps_schedule(
    deployment: Deployment,
) -> None:
    d = deployment
    incident = open_incident_cli(d)
    first = Serve(d)
    try:
        wait_for(lambda: first.saw("serving: 1 incident scans scheduled"), "serve to start")
        # SIGTERM while the first scan is still crawling: serve stops after it.
        wait_for(lambda: d.scan_runs() and d.scan_runs()[0][1] == "running", "the scan")
        assert first.terminate() == 0, "\n".join(first.lines)
    finally:
        first.kill()
    # "stopped" is serve's last own line (interpreter warnings may follow it at exit).
    assert first.saw("stopping after the running scans") and "stopped" in first.lines
    assert [(r[0], r[1]) for r in d.scan_runs()] == [(incident, "ok")]
    assert len(d.sink.messages) == 1  # the job delivered its alert before serve stopped
    assert_clean_email(d.sink.messages[0], d.paste.site.base)
    assert_no_planted("\n".join(first.lines).encode(), "serve's log")
    jobs = d.jobs()
    assert [j[0] for j in jobs] == [f"incident-{incident}"]

    second = Serve(d)
    try:
        wait_for(lambda: second.saw("serving: 1 incident scans scheduled"), "serve to restart")
        # Ignored below: the job store's column comes back as object.
        stored = datetime.fromtimestamp(float(jobs[0][1]), UTC)  # type: ignore[arg-type]
        wait_for(lambda: second.saw(f"incident-{incident}"), "the job listing")
        assert second.saw(f"next scan {stored.isoformat()}"), "\n".join(second.lines)
        assert second.terminate() == 0
    finally:
        second.kill()
    assert d.jobs() == jobs
    assert len(d.scan_runs()) == 1
    assert len(d.sink.messages) == 1


def test_a_source_that_serves_nothing_is_a_failed_scan_with_a_notice(
    deployment: Deployment,
) -> None:
    """A watched page that is gone (404) or a site that refuses connections: the crawl
    runs, but sees nothing. That is a failed scan, not a quiet one."""
    d = deployment
    incident = open_incident_cli(d, name="gone", source="old-paste")
    run_incident_scan(str(d.home), incident)
    (run_row,) = d.scan_runs()
    assert run_row[:3] == (incident, "failed", "no page could be fetched (1 fetch error)")
    assert notice_subjects(d) == [
        f"[leakprint] SCAN FAILED: incident {incident}: gone is not being watched"
        f" (scan run {run_row[3]})"
    ]
    shown = run(d.home, "incident", "show", str(incident))
    assert "failed (scan run 1, log logs/scan-1.log: no page could be fetched" in shown.output
    (mail,) = d.sink.messages
    text = body_text(mail.message, "plain")
    assert "Log:          logs/scan-1.log (in the leakprint folder)" in text
    assert (d.home / "logs" / "scan-1.log").is_file()
    assert_clean_email(mail, d.paste.site.base)

    # A refused connection, on the command line: a one-line error, exit status 2.
    path = d.home / "sources.toml"
    dead = f"http://127.0.0.1:{free_port()}/x"  # nothing listens there
    path.write_text(path.read_text(encoding="utf-8").replace(d.paste.url, dead), "utf-8")
    scanned = run(d.home, "scan", "--source", "paste")
    assert scanned.exit_code == 2, scanned.output
    assert "no page could be fetched (1 fetch error)" in scanned.output
    assert [r[1] for r in d.scan_runs()] == ["failed", "failed"]
