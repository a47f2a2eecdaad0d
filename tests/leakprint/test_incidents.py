"""Incidents: cadence and period validation, open/list/show/close, linking findings, alerts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from leakprint.cadence import check_cron, crontab_trigger, parse_duration
from leakprint.db import AlertRow, Database, Document, Finding, IncidentFinding
from leakprint.findings import FindingChange
from leakprint.incidents import (
    IncidentError,
    close_expired,
    close_incident,
    get_incident,
    link_changes,
    list_incidents,
    open_incident,
)
from tests.leakprint.helpers import run

NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("45s", 45),
        ("1m", 60),
        ("30m", 1800),
        ("6h", 21600),
        ("90d", 90 * 86400),
        ("2w", 14 * 86400),
        (" 30 m ", 1800),
    ],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text, "every") == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("30", "use a number and s, m, h, d or w"),
        ("m", "use a number"),
        ("1.5h", "use a number"),
        ("-5m", "use a number"),
        ("3y", "use a number"),
        ("0d", "longer than zero"),
        ("99999999999w", "at most 10 years"),
        ("", "use a number"),
    ],
)
def test_bad_durations(text: str, message: str) -> None:
    with pytest.raises(IncidentError, match=message):
        parse_duration(text, "period")


def _at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        # Standard crontab: 0 and 7 are Sunday (APScheduler 3 alone would read 0 as Monday).
        # 2026-11-28 is a Saturday.
        ("0 12 * * 0", _at(28), _at(29, 12)),
        ("0 12 * * 7", _at(28), _at(29, 12)),
        ("30 9 * * 1-5", _at(28), _at(30, 9, 30)),
        ("0 0 * * sat", _at(27, 1), _at(28)),
        ("*/30 * * * *", _at(28, 6, 10), _at(28, 6, 30)),
        ("0 */2 * * *", _at(28, 5, 1), _at(28, 6)),
    ],
)
def test_cron_fires_like_crontab(expr: str, after: datetime, expected: datetime) -> None:
    assert check_cron(expr) == expr
    assert crontab_trigger(expr).get_next_fire_time(None, after) == expected


@pytest.mark.parametrize(
    "expr",
    [
        "* * * *",
        "* * * * * *",
        "61 * * * *",
        "* 25 * * *",
        "* * * * 8",
        "* * * * 5-1",
        "every day",
        "* * * * */0",
    ],
)
def test_bad_cron(expr: str) -> None:
    with pytest.raises(IncidentError, match=r"^cron ") as caught:
        check_cron(expr)
    assert caught.value.fields == ["cron"]


def _open(db: Database, **overrides: object) -> int:
    values: dict[str, object] = {
        "name": "docomo-2026-11",
        "datasets": ["crm"],
        "sources": ["paste"],
        "every": "30m",
        "cron": None,
        "period": "90d",
        "notify": ["soc@example.jp"],
        "threshold": "medium",
        "now": NOW,
    }
    values.update(overrides)
    # Ignored below: the values are typed loosely so that a test may override any of them.
    return open_incident(db, **values).id  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        # The library names its parameters; the CLI shows them as flags.
        ({"every": None}, "exactly one of every or cron"),
        ({"cron": "0 * * * *"}, "exactly one of every or cron"),
        ({"every": "30s"}, "every must be at least 1m"),
        ({"every": "soon"}, "^every 'soon'"),
        ({"period": "0d"}, "^period '0d'"),
        ({"notify": ["not-an-address"]}, "not an e-mail address"),
        ({"notify": ["mailto:not-an-address"]}, "not an e-mail address"),
        ({"notify": ["mailto:soc@example.jp?subject=x"]}, "parameters"),
        ({"notify": ["ftp://example.jp/drop"]}, "no notifier for ftp: recipients"),
        ({"notify": []}, "at least one notify"),
        ({"datasets": []}, "at least one datasets"),
        ({"sources": []}, "at least one sources"),
        ({"threshold": "urgent"}, "^threshold 'urgent'"),
        ({"name": "  "}, "needs a name"),
    ],
)
def test_open_refuses_bad_input(db: Database, overrides: dict[str, object], message: str) -> None:
    with pytest.raises(IncidentError, match=message):
        _open(db, **overrides)
    assert list_incidents(db) == []


def test_notify_takes_mailto_and_stores_the_bare_address(db: Database) -> None:
    """A ``mailto:`` recipient is stored as the bare address, as recipients stored
    before schemes existed are, so both are read and delivered alike."""
    incident = _open(db, notify=["MAILTO:a@example.jp", "b@example.jp", "mailto:a@example.jp"])
    assert get_incident(db, incident).notify == ["a@example.jp", "b@example.jp"]


def test_open_list_show_close(db: Database) -> None:
    first = _open(db)
    second = _open(
        db,
        name="forum watch",
        every=None,
        cron="0 */2 * * *",
        period="2w",
        threshold="high",
        notify=["a@example.jp", "b@example.jp"],
    )
    infos = list_incidents(db)
    assert [i.id for i in infos] == [first, second]
    one, two = infos
    assert (one.cadence, one.every_seconds, one.cron) == ("every 30m", 1800, None)
    assert one.ends_at == NOW + timedelta(days=90)
    assert (two.cadence, two.threshold, two.notify) == (
        "cron 0 */2 * * *",
        "high",
        ["a@example.jp", "b@example.jp"],
    )
    assert two.ends_at == NOW + timedelta(days=14)
    assert all(i.state == "open" and i.last_scan_at is None for i in infos)

    closed = close_incident(db, first, now=NOW + timedelta(hours=1))
    assert closed.state == "closed" and closed.closed_at == NOW + timedelta(hours=1)
    assert close_incident(db, first).closed_at == NOW + timedelta(hours=1)  # idempotent
    assert [i.id for i in list_incidents(db, state="open")] == [second]
    assert [i.id for i in list_incidents(db, state="closed")] == [first]
    with pytest.raises(IncidentError, match="no incident 99"):
        get_incident(db, 99)
    with pytest.raises(IncidentError, match="no incident 99"):
        close_incident(db, 99)


def test_watch_period_ends(db: Database) -> None:
    short = _open(db, period="1h")
    long = _open(db, period="90d")
    assert close_expired(db, NOW + timedelta(minutes=59)) == []
    assert close_expired(db, NOW + timedelta(hours=1)) == [short]
    assert get_incident(db, short).state == "closed"
    assert get_incident(db, long).state == "open"
    assert close_expired(db, NOW + timedelta(hours=2)) == []


def _finding(db: Database, url: str, record_count: int, confidence: str = "high") -> int:
    with db.session() as session:
        doc = Document(url=url, source="paste", content_sha256="0" * 64, size=100)
        session.add(doc)
        session.flush()
        finding = Finding(
            document_id=doc.id,
            dataset="crm",
            confidence=confidence,
            record_count=record_count,
            fields=["phone"],
            snippet="⟨phone⟩",
            content_sha256="0" * 64,
        )
        session.add(finding)
        session.flush()
        return finding.id


def _change(
    finding_id: int, count: int, confidence: str = "high", previous: int = 0, status: str = "new"
) -> FindingChange:
    # Ignored below: status and confidence are plain str here, literals there.
    return FindingChange(finding_id, status, count, previous, confidence)  # type: ignore[arg-type]


def _alerts(db: Database) -> list[tuple[int, int | None, int, int | None, bool, str]]:
    with db.session() as session:
        return [
            (
                a.incident_id,
                a.finding_id,
                a.record_count,
                a.previous_record_count,
                a.is_update,
                a.status,
            )
            for a in session.scalars(select(AlertRow).order_by(AlertRow.id))
        ]


def _links(db: Database) -> set[tuple[int, int]]:
    with db.session() as session:
        return {(r.incident_id, r.finding_id) for r in session.scalars(select(IncidentFinding))}


def test_link_changes_alerts_once_per_record_count(db: Database) -> None:
    incident = _open(db)
    f1 = _finding(db, "http://paste.test/1", 3)

    assert link_changes(db, incident, [_change(f1, 3)]) == 1
    assert _alerts(db) == [(incident, f1, 3, None, False, "pending")]
    assert _links(db) == {(incident, f1)}

    # A re-scan of the same content: linked already, nothing new to say.
    assert link_changes(db, incident, [_change(f1, 3, previous=3, status="unchanged")]) == 0
    assert len(_alerts(db)) == 1

    # The finding grew: one update alert that knows the previous count.
    assert link_changes(db, incident, [_change(f1, 4, previous=3, status="grown")]) == 1
    assert _alerts(db)[-1] == (incident, f1, 4, 3, True, "pending")
    assert link_changes(db, incident, [_change(f1, 4, previous=4, status="unchanged")]) == 0
    assert len(_alerts(db)) == 2
    assert get_incident(db, incident).findings == 1


def test_link_changes_threshold(db: Database) -> None:
    medium = _open(db, threshold="medium")
    high = _open(db, name="strict", threshold="high")
    low_finding = _finding(db, "http://paste.test/low", 1, "low")
    medium_finding = _finding(db, "http://paste.test/medium", 2, "medium")
    changes = [_change(low_finding, 1, "low"), _change(medium_finding, 2, "medium")]

    assert link_changes(db, medium, changes) == 1
    assert link_changes(db, high, changes) == 0
    # Below-threshold findings are linked (they show in `incident show`), not alerted.
    assert _links(db) == {
        (medium, low_finding),
        (medium, medium_finding),
        (high, low_finding),
        (high, medium_finding),
    }
    assert [(a[0], a[1]) for a in _alerts(db)] == [(medium, medium_finding)]

    # The same finding later reaches the strict incident's threshold: its first alert.
    assert link_changes(db, high, [_change(medium_finding, 2, "high", 2, "unchanged")]) == 1
    assert _alerts(db)[-1] == (high, medium_finding, 2, None, False, "pending")


def test_link_changes_deduplicates_within_a_batch(db: Database) -> None:
    incident = _open(db)
    f1 = _finding(db, "http://paste.test/a", 5)
    assert link_changes(db, incident, [_change(f1, 4), _change(f1, 5), _change(f1, 5)]) == 1
    assert _alerts(db) == [(incident, f1, 5, None, False, "pending")]
    assert link_changes(db, 999, [_change(f1, 6)]) == 0  # no such incident


# --- the command line -------------------------------------------------------------------


def test_cli_open_list_show_close(crm_home: Path) -> None:
    opened = run(
        crm_home,
        "incident",
        "open",
        "docomo-2026-11",
        "--dataset",
        "crm",
        "--source",
        "paste",
        "--every",
        "30m",
        "--for",
        "90d",
        "--notify",
        "soc@example.jp",
        "--threshold",
        "high",
    )
    assert opened.exit_code == 0, opened.output
    assert "incident 1 opened: docomo-2026-11, every 30m until" in opened.output
    assert "alerts at high or above to soc@example.jp" in opened.output
    assert "leakprint serve" in opened.output

    cron = run(
        crm_home,
        "incident",
        "open",
        "nightly",
        "--dataset",
        "crm",
        "--source",
        "paste",
        "--cron",
        "0 3 * * *",
        "--notify",
        "soc@example.jp",
        "--json",
    )
    assert cron.exit_code == 0, cron.output
    data = json.loads(cron.output)
    assert (data["id"], data["cron"], data["threshold"], data["state"]) == (
        2,
        "0 3 * * *",
        "medium",
        "open",
    )

    listed = json.loads(run(crm_home, "incident", "list", "--json").output)
    assert [(i["id"], i["name"], i["every_seconds"]) for i in listed] == [
        (1, "docomo-2026-11", 1800),
        (2, "nightly", None),
    ]
    table = run(crm_home, "incident", "list")
    assert table.exit_code == 0 and "docomo-2026-11" in table.output and "never" in table.output

    shown = run(crm_home, "incident", "show", "1")
    assert shown.exit_code == 0, shown.output
    assert "incident 1" in shown.output and "no findings" in shown.output
    assert json.loads(run(crm_home, "incident", "show", "1", "--json").output)["findings"] == []

    closed = run(crm_home, "incident", "close", "1")
    assert closed.exit_code == 0 and "incident 1 closed" in closed.output
    assert [
        i["id"]
        for i in json.loads(run(crm_home, "incident", "list", "--state", "open", "--json").output)
    ] == [2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--every", "30m", "--cron", "0 * * * *"], "exactly one of --every or --cron"),
        (["--every", "10s"], "--every must be at least 1m"),
        (["--every", "30m", "--for", "forever"], "--for 'forever'"),
        (["--every", "30m", "--notify", "a@b.jp,c@d.jp"],
         "--notify 'a@b.jp,c@d.jp' holds several addresses: give one per --notify"),
        (["--cron", "0 0 * *"], "--cron"),
        (["--every", "30m", "--source", "nowhere"], "unknown source 'nowhere'"),
        (["--every", "30m", "--dataset", "missing"], "missing"),
    ],
)
def test_cli_open_errors_are_one_line(crm_home: Path, args: list[str], message: str) -> None:
    base = ["incident", "open", "x", "--notify", "soc@example.jp"]
    if "--dataset" not in args:
        base += ["--dataset", "crm"]
    if "--source" not in args:
        base += ["--source", "paste"]
    result = run(crm_home, *base, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert json.loads(run(crm_home, "incident", "list", "--json").output) == []


def test_cli_unknown_incident(crm_home: Path) -> None:
    for command in ("show", "close"):
        result = run(crm_home, "incident", command, "7")
        assert result.exit_code == 2
        assert "no incident 7" in result.output
