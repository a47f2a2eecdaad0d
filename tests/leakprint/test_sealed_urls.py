"""SPEC 10.2: customer values in URLs and file paths are never stored or shown.

A file whose path names a planted customer (``…/u/<e-mail>/dump-<phone>.txt``) is
scanned with the real CLI; the database, every output and the audit log hold the
redacted path only, the document is identified by a keyed digest of the full path,
and ``findings show ID --full-url`` unseals it on an audited request.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from fingerprints.keyed import FingerprintKey
from leakprint.config import load_settings
from leakprint.db import Document, Finding, open_database
from leakprint.incidents import link_changes, open_incident
from leakprint.outbox import send_pending
from leakprint.scanning import StoreEntry, scan_paths, start_run, store_batch
from leakprint.urlsafe import SealError, UrlGuard
from tests.alerts.smtp_sink import SmtpSink, body_text
from tests.leakprint.helpers import PLANTED, all_file_bytes, assert_no_planted, customer_rows, run
from tests.leakprint.sites import db_rows, make_deployment

CUSTOMERS = PLANTED + customer_rows(60)
KEY = FingerprintKey(bytes(range(32)))
OTHER = FingerprintKey(bytes(range(1, 33)))


def dump(rows: list[list[str]]) -> str:
    return "name,tel,mail\n" + "".join(f"{r[1]},{r[3]},{r[4]}\n" for r in rows)


def test_guard_keys_seals_and_unseals() -> None:
    guard = UrlGuard(KEY)
    url = "https://paste.example/u/kanbee.planted@example.ne.jp/dump.txt"
    sealed = guard.seal(url)
    assert "kanbee" not in sealed and sealed != guard.seal(url)  # a fresh nonce each time
    assert guard.unseal(sealed) == url
    with pytest.raises(SealError):
        UrlGuard(OTHER).unseal(sealed)
    with pytest.raises(SealError):
        guard.unseal(sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB"))
    assert guard.url_key(url) == UrlGuard(KEY).url_key(url)
    assert guard.url_key(url) != UrlGuard(OTHER).url_key(url)
    assert guard.url_key(url) != guard.url_key(url + "?")
    # Without matchers nothing is redacted (no set: nothing to compare with).
    assert guard.redact(url) == url


@pytest.mark.slow  # import and scan through the CLI
def test_value_in_a_file_path_is_redacted_everywhere(tmp_path: Path, db_url: str) -> None:
    home = tmp_path / "home"
    env = make_deployment(home, db_url, CUSTOMERS)
    kanbee, sakitaro = PLANTED[0], PLANTED[1]
    drops = tmp_path / "drops"
    paths = []
    for who in (kanbee, sakitaro):
        folder = drops / "u" / who[4]
        folder.mkdir(parents=True)
        path = folder / f"dump-{who[3].replace('-', '')}.txt"
        path.write_text(dump([who, *CUSTOMERS[5:10]]), encoding="utf-8")
        paths.append(path)

    scanned = run(home, "scan", "--file", str(paths[0]), "--json", env=env)
    assert scanned.exit_code == 0, scanned.output
    [finding] = json.loads(scanned.stdout)
    assert finding["url"].endswith("/drops/u/[email]/dump-[phone].txt"), finding["url"]
    # Another customer's file redacts alike but is another document; a re-scan of
    # the first is the same document (identified by the keyed digest of its path).
    for path in (paths[1], paths[0]):
        again = run(home, "scan", "--file", str(path), "--json", env=env)
        assert again.exit_code == 0, again.output
    documents = db_rows(db_url, ("documents",))["documents"]
    assert len(documents) == 2
    assert len({d[1] for d in documents}) == 1  # the same redacted form

    table = run(home, "findings", env={**env, "COLUMNS": "400"})
    assert "/u/[email]/dump-[phone].txt" in table.output  # not eaten as rich markup
    shown = run(home, "findings", "show", str(finding["id"]), env=env)
    assert "[email]" in shown.output and "full URL" not in shown.output
    listing = run(home, "findings", "--json", env=env)
    assert listing.exit_code == 0

    outputs = [scanned.stdout, table.output, shown.output, listing.stdout]
    for text in outputs:
        assert_no_planted(text.encode(), "CLI output")
    for table_name, rows in db_rows(db_url).items():
        assert_no_planted(repr(rows).encode(), f"table {table_name}")
    for file, data in all_file_bytes(home).items():
        assert_no_planted(data, str(file))

    # The full path, on an explicit request that the audit log records.
    full = run(home, "findings", "show", str(finding["id"]), "--full-url", "--json", env=env)
    assert full.exit_code == 0, full.output
    assert json.loads(full.stdout)["full_url"] == paths[0].as_uri()
    plain = run(home, "findings", "show", str(finding["id"]), "--full-url", env=env)
    assert f"full URL:   {paths[0].as_uri()}" in plain.output
    actions = [r[3] for r in db_rows(db_url, ("audit_log",))["audit_log"]]
    assert actions.count("finding.full_url") == 2
    assert "findings.list" in actions and "finding.view" in actions


def test_migration_keeps_documents_and_the_next_scan_keys_them(tmp_path: Path) -> None:
    """0006 rebuilds ``documents`` on SQLite: findings must survive (foreign keys are off
    while migrating), and a pre-0006 row is found by its full URL, then redacted."""
    full = "https://paste.example/u/kanbee.planted@example.ne.jp/dump.txt"
    url = pre_0006_database(tmp_path, full)
    db = open_database(url)
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM findings")).scalar() == 1
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    guard = UrlGuard(KEY)
    run_id = start_run(db, "file", sources=["dump.txt"])
    status = store_batch(db, [StoreEntry("match", full, None, "aa", 1)], run_id, guard)[0][0]
    with db.session() as session:
        doc = session.scalars(sa.select(Document).where(
            Document.url_key == guard.url_key(full))).one()
        assert (doc.id, status) == (1, "unchanged")
        assert doc.url_key == guard.url_key(full) and doc.url_sealed
        assert guard.unseal(doc.url_sealed) == full
    db.close()


def test_a_batch_finds_a_pre_0006_document_by_its_full_url(tmp_path: Path) -> None:
    """The crawl stores batches (``store_batch``), which look every new URL's
    pre-0006 document up at once: the old row is kept and keyed, not duplicated, and
    the other documents of the batch are new; a URL twice in a batch is one document."""
    full = "https://paste.example/u/kanbee.planted@example.ne.jp/dump.txt"
    db = open_database(pre_0006_database(tmp_path, full))
    guard = UrlGuard(KEY)
    entries = [StoreEntry("touch", full, "paste", "aa", 1),
               StoreEntry("touch", "https://paste.example/raw/1", "paste", "bb", 2),
               StoreEntry("touch", "https://paste.example/raw/1", "paste", "bb", 2),
               StoreEntry("seen", "https://paste.example/raw/2", "paste", "", 0)]
    run_id = start_run(db, "sources", sources=["paste"])
    statuses = [status for status, _ in store_batch(db, entries, run_id, guard)]
    assert statuses == ["unchanged", "new", "unchanged", "unchanged"]
    with db.session() as session:
        docs = {d.id: d for d in session.scalars(sa.select(Document))}
        assert sorted(docs) == [1, 2]
        assert docs[1].url_key == guard.url_key(full)
        assert guard.unseal(docs[1].url_sealed or "") == full
        assert docs[1].last_scan_id == docs[2].last_scan_id == run_id
        assert docs[2].url_key == guard.url_key("https://paste.example/raw/1")
        assert session.scalar(sa.select(sa.func.count()).select_from(Finding)) == 1
    db.close()


def pre_0006_database(tmp_path: Path, full: str) -> str:
    """A SQLite database at revision 0003 with one document stored under its full URL
    ``full`` (id 1) and a finding in it (id 1); returns its URL."""
    from alembic import command

    from leakprint.db.engine import alembic_config, make_engine

    url = f"sqlite:///{tmp_path}/old.db"
    engine = make_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
    engine.dispose()
    con = sqlite3.connect(tmp_path / "old.db")
    con.execute("INSERT INTO documents (id, url, content_sha256, size, lossy, first_seen, "
                "last_seen, last_changed) VALUES (1, ?, 'aa', 1, 0, '2026-01-01', "
                "'2026-01-01', '2026-01-01')", (full,))
    con.execute("INSERT INTO findings (id, document_id, dataset, confidence, bulk, "
                "record_count, fields, snippet, content_sha256, first_seen, last_seen, "
                "updated_at) VALUES (1, 1, 'crm', 'high', 0, 1, '[]', '', 'aa', "
                "'2026-01-01', '2026-01-01', '2026-01-01')")
    con.commit()
    con.close()
    return url


@pytest.mark.slow  # import, scan and e-mail through the CLI
def test_alert_email_names_the_redacted_path(
    tmp_path: Path, db_url: str, smtp_plain: SmtpSink
) -> None:
    """The alert e-mail for a finding in ``…/u/<e-mail>/dump.txt`` carries the
    redacted path, checked on the bytes the SMTP server received."""
    home = tmp_path / "home"
    env = make_deployment(home, db_url, CUSTOMERS)
    who = PLANTED[2]
    folder = tmp_path / "u" / who[4]
    folder.mkdir(parents=True)
    path = folder / f"{who[3]}.csv"
    path.write_text(dump([who, *CUSTOMERS[20:30]]), encoding="utf-8")
    settings = load_settings(home, env={**os.environ, **env, **sink_env(smtp_plain)})
    db = open_database(settings.database_url)
    try:
        outcome = scan_paths(settings, db, [str(path)])
        incident = open_incident(db, name="leak-2026", datasets=["crm"], sources=["paste"],
                                 every="30m", cron=None, period="90d",
                                 notify=["soc@example.jp"]).id
        assert link_changes(db, incident, outcome.changes) == 1
        assert send_pending(settings, db).sent == 1
    finally:
        db.close()
    [received] = smtp_plain.messages
    raw = received.content.decode("utf-8", "replace")
    text = body_text(received.message, "plain")
    assert "/u/[email]/[phone].csv" in text
    for boundary in [str(p.get_boundary()) for p in received.message.walk()
                     if p.is_multipart()] + [str(received.message["Message-ID"])]:
        raw = raw.replace(boundary, "")
    assert_no_planted(raw.encode(), "alert e-mail")
    assert_no_planted(text.encode(), "alert e-mail text")


def sink_env(sink: SmtpSink) -> dict[str, str]:
    return {"LEAKPRINT_SMTP_HOST": sink.host, "LEAKPRINT_SMTP_PORT": str(sink.port),
            "LEAKPRINT_SMTP_TLS": "none", "LEAKPRINT_SMTP_FROM": "leakprint@soc.example.jp"}
