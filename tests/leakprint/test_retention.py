"""Retention (issue 16 point 2, SPEC 16): `purge` deletes exactly what is past its
time, never what an open incident (or one inside its watch period) holds; every
purge is audited; an audit retention cuts the chain at a checkpoint that
`audit verify` accepts, the anchor kept consistent."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from leakprint import audit
from leakprint.audit import GENESIS, AuditAnchor, Head, _entry_hash
from leakprint.config import RetentionSettings, load_settings
from leakprint.db import Database, open_database
from leakprint.db.models import (
    AlertRow,
    AuditEntry,
    CoverageError,
    Document,
    Finding,
    Incident,
    IncidentFinding,
    RecordHitRow,
    ScanRun,
)
from leakprint.retention import purge
from tests.leakprint.helpers import run

NOW = datetime.now(UTC).replace(microsecond=0)
OLD = NOW - timedelta(days=400)
YOUNG = NOW - timedelta(days=10)
RETAIN = RetentionSettings(findings_days=365, scan_runs_days=90, closed_incidents_days=365,
                           alerts_days=90, audit_days=None)


class World:
    """Rows of every kind, old and young, protected and not; ids by name."""

    def __init__(self, db: Database, logs: Path) -> None:
        self.ids: dict[str, int] = {}
        with db.session() as s:
            def incident(name: str, state: str, created: datetime, ends: datetime,
                         closed: datetime | None) -> None:
                row = Incident(name=name, datasets=["crm"], sources=["paste"],
                               every_seconds=1800, threshold="medium", notify=["a@example.jp"],
                               state=state, created_at=created, ends_at=ends, closed_at=closed)
                s.add(row)
                s.flush()
                self.ids[name] = row.id

            incident("open", "open", NOW - timedelta(days=500), NOW + timedelta(days=30), None)
            incident("closed-old", "closed", OLD - timedelta(days=90), OLD, OLD)
            incident("closed-young", "closed", YOUNG - timedelta(days=90), YOUNG, YOUNG)
            # Closed early by hand, its watch period not over: still protected.
            incident("closed-in-period", "closed", OLD, NOW + timedelta(days=5), OLD)

            def document(name: str, seen: datetime) -> None:
                doc = Document(url=f"https://paste.example/{name}", url_key=name,
                               source="paste", content_sha256="0" * 64, size=1,
                               first_seen=seen, last_seen=seen, last_changed=seen)
                s.add(doc)
                s.flush()
                self.ids[f"doc-{name}"] = doc.id

            def finding(name: str, seen: datetime, incident: str | None) -> None:
                document(name, seen)
                row = Finding(document_id=self.ids[f"doc-{name}"], dataset="crm",
                              confidence="high", record_count=2, fields=["phone"],
                              snippet="⟨phone⟩", content_sha256="0" * 64, first_seen=seen,
                              last_seen=seen, updated_at=seen)
                s.add(row)
                s.flush()
                self.ids[name] = row.id
                for ref in ("C1", "C2"):
                    s.add(RecordHitRow(finding_id=row.id, record_ref=ref, confidence="high",
                                       fields=["phone"], first_seen=seen))
                if incident:
                    s.add(IncidentFinding(incident_id=self.ids[incident], finding_id=row.id))

            finding("f-open", OLD, "open")
            finding("f-in-period", OLD, "closed-in-period")
            finding("f-closed-old", OLD, "closed-old")
            finding("f-closed-young", OLD, "closed-young")  # old itself: goes
            finding("f-loose-old", OLD, None)
            finding("f-loose-young", YOUNG, None)
            document("nofinding-old", OLD)
            document("nofinding-young", YOUNG)

            def scan_run(name: str, ended: datetime, incident: str | None,
                         status: str = "ok") -> None:
                row = ScanRun(kind="sources", status=status, started_at=ended,
                              finished_at=None if status == "running" else ended,
                              incident_id=self.ids[incident] if incident else None)
                s.add(row)
                s.flush()
                self.ids[name] = row.id
                s.add(CoverageError(scan_run_id=row.id, kind="size", url="https://x.example/",
                                    created_at=ended))
                (logs / f"scan-{row.id}.log").write_text("log\n", encoding="utf-8")

            scan_run("r-open", OLD, "open")
            scan_run("r-closed-old", OLD, "closed-old")
            scan_run("r-loose-old", OLD, None)
            scan_run("r-running", OLD, None, status="running")
            scan_run("r-young", YOUNG, None)

            def alert(name: str, incident: str, created: datetime, status: str,
                      finding: str | None = None, scan: str | None = None,
                      kind: str = "scan_failed") -> None:
                row = AlertRow(incident_id=self.ids[incident],
                               kind="finding" if finding else kind,
                               finding_id=self.ids[finding] if finding else None,
                               scan_run_id=self.ids[scan] if scan else None, record_count=2,
                               status=status, created_at=created, next_attempt_at=created)
                s.add(row)
                s.flush()
                self.ids[name] = row.id

            alert("a-open", "open", OLD, "sent", finding="f-open")
            alert("a-closed-young-finding", "closed-young", OLD, "sent",
                  finding="f-closed-young")
            alert("a-failed-old", "closed-young", OLD, "failed", scan="r-young")
            alert("a-pending-old", "closed-young", OLD, "pending", scan="r-young",
                  kind="scan_recovered")
            alert("a-sent-young", "closed-young", YOUNG, "sent", finding="f-loose-young")


def _present(db: Database, model: type, ids: list[int]) -> set[int]:
    with db.session() as s:
        # Ignored below: model is any of several ORM classes, each with an id.
        return set(s.scalars(sa.select(model.id).where(model.id.in_(ids))))  # type: ignore[attr-defined]


def test_purge_removes_exactly_what_is_past_retention(db: Database, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    w = World(db, logs)
    i = w.ids
    # A log of a run no longer in the database: old goes, recent stays.
    stray_old, stray_young = logs / "scan-9990.log", logs / "scan-9991.log"
    for path, at in ((stray_old, OLD), (stray_young, YOUNG)):
        path.write_text("log\n", encoding="utf-8")

        os.utime(path, (at.timestamp(), at.timestamp()))

    dry = purge(db, RETAIN, logs_dir=logs, dry_run=True, now=NOW)
    expected = {"incidents": 1, "alerts": 2, "findings": 3, "record_hits": 6, "documents": 4,
                "scan_runs": 2, "coverage_errors": 2, "logs": 3, "audit_entries": 0}
    assert dry.counts() == expected
    assert _present(db, Finding, [i["f-loose-old"]]) == {i["f-loose-old"]}  # dry: nothing gone

    done = purge(db, RETAIN, logs_dir=logs, now=NOW)
    assert done.counts() == expected

    keep_f = {i["f-open"], i["f-in-period"], i["f-loose-young"]}
    all_f = [i[n] for n in ("f-open", "f-in-period", "f-closed-old", "f-closed-young",
                            "f-loose-old", "f-loose-young")]
    assert _present(db, Finding, all_f) == keep_f
    docs = [i[n] for n in i if n.startswith("doc-")]
    assert _present(db, Document, docs) == {i["doc-f-open"], i["doc-f-in-period"],
                                            i["doc-f-loose-young"], i["doc-nofinding-young"]}
    assert _present(db, Incident, [i[n] for n in ("open", "closed-old", "closed-young",
                                                  "closed-in-period")]) == {
        i["open"], i["closed-young"], i["closed-in-period"]}
    # The run of an incident that is not protected goes by its own age.
    runs = [i[n] for n in ("r-open", "r-closed-old", "r-loose-old", "r-running", "r-young")]
    assert _present(db, ScanRun, runs) == {i["r-open"], i["r-running"], i["r-young"]}
    alerts = [i[n] for n in ("a-open", "a-closed-young-finding", "a-failed-old",
                             "a-pending-old", "a-sent-young")]
    assert _present(db, AlertRow, alerts) == {i["a-open"], i["a-pending-old"],
                                              i["a-sent-young"]}
    with db.session() as s:
        hits = s.scalar(sa.select(sa.func.count()).select_from(RecordHitRow))
        errors = set(s.scalars(sa.select(CoverageError.scan_run_id)))
        entries = [(e.action, e.details) for e in s.scalars(sa.select(AuditEntry))]
    assert hits == 6  # two per kept finding
    assert i["r-loose-old"] not in errors and i["r-open"] in errors
    assert sorted(p.name for p in logs.iterdir()) == sorted(
        [f"scan-{i[n]}.log" for n in ("r-open", "r-running", "r-young")]
        + [stray_young.name])
    (_action, details), = [e for e in entries if e[0] == "retention.purge"]
    assert {k: details[k] for k in expected} == expected
    with db.session() as s:
        assert audit.verify(s) is None

    # Again: nothing left to purge, and the empty purge is audited too.
    assert purge(db, RETAIN, logs_dir=logs, now=NOW).total == 0
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).where(
            AuditEntry.action == "retention.purge")) == 2


def test_nothing_of_an_open_incident_however_old(db: Database, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    w = World(db, logs)
    short = RetentionSettings(findings_days=1, scan_runs_days=1, closed_incidents_days=1,
                              alerts_days=1, audit_days=None)
    purge(db, short, logs_dir=logs, now=NOW + timedelta(days=3650))
    i = w.ids
    # Ten years on the open incident is still open (its period never ended by sync).
    assert _present(db, Incident, [i["open"]]) == {i["open"]}
    assert _present(db, Finding, [i["f-open"]]) == {i["f-open"]}
    assert _present(db, ScanRun, [i["r-open"]]) == {i["r-open"]}
    assert _present(db, AlertRow, [i["a-open"]]) == {i["a-open"]}
    assert (logs / f"scan-{i['r-open']}.log").exists()
    # A running scan is never purged (a pending alert goes only with its incident).
    assert _present(db, ScanRun, [i["r-running"]]) == {i["r-running"]}
    assert _present(db, AlertRow, [i["a-pending-old"]]) == set()
    assert _present(db, Finding, [i["f-loose-young"]]) == set()


def _chain(db: Database, stamps: list[datetime]) -> None:
    """Audit entries with chosen times (append stamps the present)."""
    with db.session() as s:
        prev = GENESIS
        for n, at in enumerate(stamps):
            details = {"n": n}
            h = _entry_hash(prev, at, "tester", "test.event", details)
            s.add(AuditEntry(at=at, actor="tester", action="test.event", details=details,
                             prev_hash=prev, hash=h))
            prev = h


def test_audit_retention_cuts_at_a_checkpoint_verify_passes(tmp_path: Path, db_url: str
                                                            ) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {"LEAKPRINT_DATABASE_URL": db_url}
    assert run(home, "init", env=env).exit_code == 0
    settings = load_settings(home, env=env)
    db = open_database(db_url)
    try:
        with db.session() as s:
            s.execute(sa.delete(AuditEntry))  # `init`'s own entries: the test sets the times
        _chain(db, [OLD + timedelta(minutes=m) for m in range(10)]
               + [YOUNG + timedelta(minutes=m) for m in range(5)])
        anchor = AuditAnchor(settings.anchor_path, settings.load_key)
        with db.session() as s:
            head = audit.current_head(s)
            assert head is not None and head.count == 15
            old_hashes = [e.hash for e in s.scalars(sa.select(AuditEntry)
                                                    .order_by(AuditEntry.id).limit(10))]
        anchor.write(head, force=True)
        assert run(home, "audit", "verify", env=env).exit_code == 0
    finally:
        db.close()

    toml = home / "leakprint.toml"
    text = toml.read_text(encoding="utf-8")
    assert "# audit_days = 0 " in text  # kept by default, as `init` writes it
    toml.write_text(text.replace("# audit_days = 0 ", "audit_days = 30 "), encoding="utf-8")
    dry = run(home, "purge", "--dry-run", "--json", env=env)
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["would_delete"]["audit_entries"] == 10
    done = run(home, "purge", env=env)
    assert done.exit_code == 0, done.output
    assert done.output.strip() == "purge deleted: 10 audit entries"
    verified = run(home, "audit", "verify", env=env)
    assert verified.exit_code == 0, verified.output

    db = open_database(db_url)
    try:
        with db.session() as s:
            rows = list(s.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
        # 5 young + the purge's entry + the checkpoint; the checkpoint holds the hash
        # of what it removed.
        assert [r.action for r in rows] == ["test.event"] * 5 + ["retention.purge",
                                                                 audit.CHECKPOINT]
        cp = rows[-1].details
        assert cp["removed"] == 10 and cp["cut_hash"] == old_hashes[-1]
        from hashlib import sha256
        assert cp["removed_digest"] == sha256("".join(old_hashes).encode()).hexdigest()
        anchored = anchor.read()
        assert anchored == Head(rows[-1].id, rows[-1].hash, 7)

        # Deleting one more entry from the start is still caught.
        with db.session() as s:
            s.execute(sa.delete(AuditEntry).where(AuditEntry.id == rows[0].id))
    finally:
        db.close()
    broken = run(home, "audit", "verify", env=env)
    assert broken.exit_code == 1
    assert "is not the chain's start" in broken.output


def test_retention_keys_and_defaults(tmp_path: Path) -> None:
    (tmp_path / "leakprint.toml").write_text(
        "[retention]\nfindings_days = 30\nalerts_days = 0\naudit_days = 400\n",
        encoding="utf-8")
    got = load_settings(tmp_path, env={}).retention
    assert got == RetentionSettings(findings_days=30, scan_runs_days=90,
                                    closed_incidents_days=365, alerts_days=None, audit_days=400)
    assert load_settings(tmp_path, env={}).warnings() == []
    assert RetentionSettings().audit_days is None  # the audit log is kept by default


@pytest.mark.slow  # runs the scheduler
def test_serve_purges_once_a_day(tmp_path: Path, db_url: str) -> None:
    import time

    from leakprint.scheduler import LeakprintScheduler

    home = tmp_path / "home"
    home.mkdir()
    env = {"LEAKPRINT_DATABASE_URL": db_url}
    assert run(home, "init", env=env).exit_code == 0
    logs = home / "logs"
    logs.mkdir()
    db = open_database(db_url)
    try:
        w = World(db, logs)
        sched = LeakprintScheduler(load_settings(home, env=env), db)
        sched.start()
        try:
            job = sched.scheduler.get_job("purge", jobstore="memory")
            assert job is not None and job.trigger.interval == timedelta(days=1)
            # Its first run is at start: wait for its audit entry (bounded by a count
            # of polls, not a time assertion).
            for _ in range(300):
                with db.session() as s:
                    done = s.scalar(sa.select(sa.func.count()).where(
                        AuditEntry.action == "retention.purge"))
                if done:
                    break
                time.sleep(0.1)
        finally:
            sched.shutdown()
        assert done == 1
        # The defaults of `init` (findings 365 days): the loose old finding is gone,
        # the open incident's stays.
        assert _present(db, Finding, [w.ids["f-loose-old"], w.ids["f-open"]]) == {
            w.ids["f-open"]}
    finally:
        db.close()


def test_audit_cut_when_every_entry_is_old(db: Database) -> None:
    _chain(db, [OLD + timedelta(minutes=m) for m in range(6)])
    only_audit = RetentionSettings(findings_days=None, scan_runs_days=None,
                                   closed_incidents_days=None, alerts_days=None, audit_days=30)
    dry = purge(db, only_audit, dry_run=True, now=NOW)
    done = purge(db, only_audit, now=NOW)
    assert dry.counts() == done.counts() == {**dict.fromkeys(dry.counts(), 0),
                                             "audit_entries": 6}
    with db.session() as s:
        assert [e.action for e in s.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))] == [
            "retention.purge", audit.CHECKPOINT]
        assert audit.verify(s) is None
    # Cut again later: the older checkpoint goes too, the new one vouches.
    again = purge(db, only_audit, now=NOW + timedelta(days=400))
    assert again.audit_entries == 2
    with db.session() as s:
        assert audit.verify(s) is None
