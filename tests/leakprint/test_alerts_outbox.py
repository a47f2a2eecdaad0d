"""The alert outbox against a real local SMTP server (aiosmtpd): delivery, back-off, leases.

Findings are built directly in the database here (no crawl); `test_serve.py` covers
alerts raised by real scheduled scans.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts import RetryPolicy
from leakprint.db import Database, Document, Finding, RecordHitRow, open_database
from leakprint.findings import FindingChange
from leakprint.incidents import link_changes, open_incident
from leakprint.outbox import ALERT_COLUMNS, APP_RETRY, DbOutbox, list_alerts, send_pending
from tests.alerts.smtp_sink import CertPair, SmtpSink, body_text
from tests.leakprint.helpers import run, use_sink

pytestmark = pytest.mark.slow  # real SMTP servers, retries and the CLI

# A minute ahead of the wall clock, so alerts queued by the tests (at real time) are due.
T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _clock_of_this_test() -> None:
    """T0 is one minute after *this test* starts: alerts are queued on the real clock,
    and a T0 taken at import lay in the past once the suite ran longer than a minute."""
    global T0
    T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
FAST = RetryPolicy(
    max_attempts=4, base_delay=timedelta(seconds=1), factor=2.0, max_delay=timedelta(seconds=4)
)


def make_finding(db: Database, url: str, refs: list[str], confidence: str = "high") -> int:
    with db.session() as session:
        doc = Document(url=url, source="paste", content_sha256="a" * 64, size=1234)
        session.add(doc)
        session.flush()
        finding = Finding(
            document_id=doc.id,
            dataset="crm",
            confidence=confidence,
            bulk=False,
            record_count=len(refs),
            fields=["name", "phone"],
            snippet="⟨name:4⟩,⟨phone⟩",
            content_sha256="a" * 64,
            first_seen=T0 - timedelta(minutes=5),
        )
        finding.records = [
            RecordHitRow(record_ref=r, confidence=confidence, fields=["name", "phone"])
            for r in refs
        ]
        session.add(finding)
        session.flush()
        return finding.id


def queue_alert(
    db: Database,
    refs: list[str] | None = None,
    notify: tuple[str, ...] = ("soc@example.jp",),
    url: str = "http://paste.test/raw/AbCd1234",
) -> tuple[int, int]:
    incident = open_incident(
        db,
        name="docomo-2026-11",
        datasets=["crm"],
        sources=["paste"],
        every="30m",
        cron=None,
        period="90d",
        notify=list(notify),
    ).id
    refs = refs or ["C0000001", "C0000002", "C0000003"]
    finding = make_finding(db, url, refs)
    change = FindingChange(finding, "new", len(refs), 0, "high")
    assert link_changes(db, incident, [change]) == 1
    return incident, finding


def only_alert(db: Database) -> dict[str, object]:
    rows = list_alerts(db)
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize("mode", ["plain", "starttls", "tls"])
def test_pending_alert_is_delivered(
    home: Path,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    smtp_cert: CertPair,
    mode: str,
) -> None:
    incident, finding = queue_alert(db)
    # Ignored below: mode is the parametrized str, one of SmtpSink's literals.
    with SmtpSink(mode, cert=smtp_cert) as sink:  # type: ignore[arg-type]
        settings = use_sink(monkeypatch, sink, home)
        report = send_pending(settings, db)
        assert (report.sent, report.retried, report.failed) == (1, 0, 0)
        assert send_pending(settings, db).sent == 0
        assert len(sink.messages) == 1
        received = sink.messages[0]
    assert received.rcpt_tos == ("soc@example.jp",)
    assert received.authenticated == (mode != "plain")
    email = received.message
    assert email["Subject"] == (
        f"[leakprint] HIGH: 3 customer records at paste.test (incident {incident}: docomo-2026-11)"
    )
    assert email["From"] == "leakprint@soc.example.jp"
    assert email["X-Leakprint-Alert-Id"] == "1"
    text = body_text(email, "plain")
    html = body_text(email, "html")
    for body in (text, html):
        assert f"leakprint findings show {finding}" in body
        assert "C0000001" in body and "C0000003" in body
        assert "http://paste.test/raw/AbCd1234" in body
    assert "Distinct records: 3" in text
    assert "⟨name:4⟩,⟨phone⟩" in text
    row = only_alert(db)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 1, None)


def test_smtp_down_then_back_delivers_exactly_once(
    home: Path,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    smtp_starttls: SmtpSink,
) -> None:
    queue_alert(db)
    settings = use_sink(monkeypatch, smtp_starttls, home)
    smtp_starttls.stop()  # connection refused on its port

    report = send_pending(settings, db, policy=FAST, now=T0)
    assert (report.sent, report.retried) == (0, 1)
    row = only_alert(db)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert f"{smtp_starttls.host}:{smtp_starttls.port}" in str(row["last_error"])
    assert "refused" in str(row["last_error"]).lower()
    assert row["next_attempt_at"] == (T0 + timedelta(seconds=1)).isoformat()

    # Not due yet: nothing is attempted.
    assert send_pending(settings, db, policy=FAST, now=T0).retried == 0
    assert only_alert(db)["attempts"] == 1
    # Due: tried again, backs off twice as long.
    assert send_pending(settings, db, policy=FAST, now=T0 + timedelta(seconds=1)).retried == 1
    row = only_alert(db)
    assert (row["status"], row["attempts"]) == ("pending", 2)
    assert row["next_attempt_at"] == (T0 + timedelta(seconds=3)).isoformat()

    smtp_starttls.start()  # the same port again
    assert send_pending(settings, db, policy=FAST, now=T0 + timedelta(seconds=3)).sent == 1
    assert send_pending(settings, db, policy=FAST, now=T0 + timedelta(hours=1)).sent == 0
    assert len(smtp_starttls.messages) == 1
    row = only_alert(db)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, None)


def test_long_outage_gives_up_then_requeue(
    home: Path,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    smtp_plain: SmtpSink,
) -> None:
    queue_alert(db)
    settings = use_sink(monkeypatch, smtp_plain, home)
    smtp_plain.stop()
    now = T0
    for _ in range(FAST.max_attempts):
        send_pending(settings, db, policy=FAST, now=now)
        now += FAST.max_delay
    row = only_alert(db)
    assert (row["status"], row["attempts"]) == ("failed", FAST.max_attempts)
    assert row["last_error"]

    listed = run(home, "alerts", "list", "--json")
    assert json.loads(listed.output)[0]["status"] == "failed"
    assert tuple(json.loads(listed.output)[0]) == ALERT_COLUMNS  # an empty CSV's header

    smtp_plain.start()
    sent = run(home, "alerts", "send", "--retry-failed")
    assert sent.exit_code == 0, sent.output
    assert "1 failed alerts queued again" in sent.output
    assert "1 sent, 0 to retry later, 0 failed" in sent.output
    assert len(smtp_plain.messages) == 1
    again = run(home, "alerts", "send")
    assert "0 sent" in again.output
    assert len(smtp_plain.messages) == 1


def test_alerts_send_says_what_still_waits(
    home: Path,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    smtp_plain: SmtpSink,
) -> None:
    queue_alert(db)
    use_sink(monkeypatch, smtp_plain, home)
    smtp_plain.stop()
    first = run(home, "alerts", "send")
    assert first.exit_code == 0, first.output
    assert first.output == "0 sent, 1 to retry later, 0 failed\n"
    # Asked again before the back-off is over: nothing is tried, and it says so.
    second = run(home, "alerts", "send")
    (row,) = list_alerts(db)
    assert second.output == (
        "0 sent, 0 to retry later, 0 failed; 1 pending, the next retry at "
        f"{str(row['next_attempt_at'])[:19]} UTC\n"
    )


def test_app_policy_keeps_alerts_for_about_a_day() -> None:
    total = sum((APP_RETRY.next_delay(n) for n in range(1, APP_RETRY.max_attempts)), timedelta())
    assert total > timedelta(hours=24)
    assert APP_RETRY.next_delay(1) == timedelta(seconds=30)


def test_two_senders_never_send_twice(
    home: Path,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    smtp_plain: SmtpSink,
) -> None:
    for n in range(5):
        queue_alert(db, refs=[f"C00000{n:02d}"], url=f"http://paste.test/raw/{n}")
    settings = use_sink(monkeypatch, smtp_plain, home)

    # Another process (its own engine) claims nothing that this one claimed.
    other = open_database(settings.database_url, migrate_schema=False)
    try:
        claimed = DbOutbox(db).due(datetime.now(UTC), 100)
        assert len(claimed) == 5
        assert DbOutbox(other).due(datetime.now(UTC), 100) == []
        # Once the lease is over (the first sender died), the alerts are due again.
        later = datetime.now(UTC) + timedelta(minutes=11)
        assert len(DbOutbox(other).due(later, 100)) == 5
    finally:
        other.close()

    # Two delivery runs at once, as the scan job and the alert job of `serve` may be.
    later = datetime.now(UTC) + timedelta(minutes=30)
    reports = []

    def deliver() -> None:
        reports.append(send_pending(settings, db, now=later))

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.sent for r in reports) == 5
    assert len(smtp_plain.messages) == 5
    ids = sorted(m.message["X-Leakprint-Alert-Id"] for m in smtp_plain.messages)
    assert ids == ["1", "2", "3", "4", "5"]


def test_alerts_test_command(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp_starttls: SmtpSink,
) -> None:
    use_sink(monkeypatch, smtp_starttls, home)
    result = run(home, "alerts", "test", "soc@example.jp")
    assert result.exit_code == 0, result.output
    assert f"test e-mail sent to soc@example.jp via 127.0.0.1:{smtp_starttls.port}" in result.output
    assert len(smtp_starttls.messages) == 1
    assert smtp_starttls.messages[0].message["Subject"] == "[leakprint] test message"
    assert smtp_starttls.messages[0].authenticated

    monkeypatch.setenv("LEAKPRINT_SMTP_PASSWORD", "wrong")
    refused = run(home, "alerts", "test", "soc@example.jp")
    assert refused.exit_code == 2
    assert "test e-mail not delivered" in refused.output and "535" in refused.output
    assert "wrong" not in refused.output

    smtp_starttls.stop()
    down = run(home, "alerts", "test", "soc@example.jp")
    assert down.exit_code == 2
    assert down.output.startswith("error: test e-mail not delivered")
    assert len(down.output.strip().splitlines()) == 1


def test_alerts_list(home: Path, db: Database) -> None:
    incident, finding = queue_alert(db)
    listed = run(home, "alerts", "list", "--json")
    assert listed.exit_code == 0
    (row,) = json.loads(listed.output)
    assert (
        row["incident"],
        row["finding"],
        row["record_count"],
        row["status"],
        row["attempts"],
        row["last_error"],
        row["update"],
    ) == (incident, finding, 3, "pending", 0, None, False)
    table = run(home, "alerts", "list")
    assert table.exit_code == 0 and "pending" in table.output


def test_a_backlog_goes_out_in_batches(
    home: Path,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    smtp_plain: SmtpSink,
) -> None:
    from leakprint.outbox import BATCH

    total = BATCH * 2 + 3
    for n in range(total):
        queue_alert(db, refs=[f"C{n:07d}"], url=f"http://paste.test/raw/{n}")
    settings = use_sink(monkeypatch, smtp_plain, home)
    report = send_pending(settings, db)
    assert (report.sent, report.retried, report.failed) == (total, 0, 0)
    assert len(smtp_plain.messages) == total
    assert {row["status"] for row in list_alerts(db)} == {"sent"}
