"""The audit log shows tampering (issue 19 point 14, SPEC 10).

Editing, deleting from the middle, cutting the tail, recomputing the whole chain and
forging the anchor are each detected by `leakprint audit verify` (exit 1, one line
naming the first break); the actor is the OS user, whatever LOGNAME says; views
that show record references are audited.
"""

from __future__ import annotations

import json
import os
import pwd
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from leakprint import audit
from leakprint.audit import GENESIS, AuditAnchor, Head, _entry_hash
from leakprint.config import load_settings
from leakprint.db import AuditEntry, open_database
from tests.leakprint.helpers import PLANTED, run
from tests.leakprint.sites import make_deployment


@pytest.fixture
def deployed(tmp_path: Path, db_url: str) -> tuple[Path, dict[str, str], str]:
    home = tmp_path / "home"
    env = make_deployment(home, db_url, PLANTED)
    return home, env, db_url


def searches(home: Path, env: dict[str, str], n: int) -> None:
    for _ in range(n):
        result = run(home, "search", "--record", PLANTED[0][0], env=env)
        assert result.exit_code == 0, result.output


def verify(home: Path, env: dict[str, str]) -> tuple[int, str]:
    result = run(home, "audit", "verify", env=env)
    return result.exit_code, result.output.strip()


def execute(db_url: str, sql: str, **params: object) -> None:
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(sql), params)
    finally:
        engine.dispose()


def test_actor_is_the_os_user_not_logname(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    monkeypatch.setenv("LOGNAME", "mallory")
    monkeypatch.setenv("USER", "mallory")
    db = open_database(f"sqlite:///{tmp_path}/a.db")
    with db.session() as s:
        entry = audit.append(s, "search", {"digest": "00"})
        assert entry.actor == pwd.getpwuid(os.getuid()).pw_name != "mallory"
    db.close()


def test_verify_and_anchor_catch_every_kind_of_tampering(
    deployed: tuple[Path, dict[str, str], str]
) -> None:
    home, env, db_url = deployed
    searches(home, env, 4)
    anchor_file = load_settings(home, env={**os.environ, **env}).anchor_path
    assert anchor_file.exists()
    code, out = verify(home, env)
    assert code == 0 and out.startswith("audit log intact:"), out
    entries = json.loads(run(home, "audit", "verify", "--json", env=env).stdout)
    assert entries["ok"] and entries["anchored"]["last_id"] == entries["head"]["last_id"]
    last = entries["head"]["last_id"]
    snapshot = anchor_file.read_bytes()

    # 1. The tail cut: the anchored head is gone.
    execute(db_url, "DELETE FROM audit_log WHERE id = :i", i=last)
    code, out = verify(home, env)
    assert code == 1 and len(out.splitlines()) == 1
    assert f"entry {last}, the anchored head, is gone" in out

    # 2. ... and re-appended by hand with a valid hash: the chain checks, the anchor
    # does not (another hash for the anchored entry).
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        prev = conn.execute(sa.text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
                            ).scalar_one()
        at = datetime(2026, 1, 1, tzinfo=UTC)
        h = _entry_hash(prev, at, "root", "search", {"forged": 1})
        conn.execute(sa.insert(AuditEntry).values(
            id=last, at=at, actor="root", action="search", details={"forged": 1},
            prev_hash=prev, hash=h))
    engine.dispose()
    code, out = verify(home, env)
    assert code == 1 and "the chain was rewritten and its hashes recomputed" in out, out

    # 3. An edit in the middle.
    execute(db_url, "UPDATE audit_log SET actor = 'someone' WHERE id = 2")
    code, out = verify(home, env)
    assert code == 1 and "entry 2 does not match its hash (edited)" in out, out

    # 4. The whole chain recomputed after the edit: only the anchor can tell.
    db = open_database(db_url, migrate_schema=False)
    with db.session() as s:
        prev = GENESIS
        for e in s.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)):
            e.prev_hash = prev
            e.hash = prev = _entry_hash(prev, e.at, e.actor, e.action, e.details)
        assert audit.verify(s) is None  # the chain alone looks intact
    code, out = verify(home, env)
    assert code == 1 and "recomputed" in out, out

    # 5. The anchor forged to match (without the key): its MAC does not match.
    data = json.loads(snapshot)
    with db.engine.connect() as conn:
        data["hash"] = conn.execute(sa.text("SELECT hash FROM audit_log WHERE id = :i"),
                                    {"i": last}).scalar_one()
    db.close()
    anchor_file.write_text(json.dumps(data))
    code, out = verify(home, env)
    assert code == 1 and "MAC does not match" in out, out

    # 6. The anchor deleted.
    anchor_file.unlink()
    code, out = verify(home, env)
    assert code == 1 and "no anchor file" in out, out

    # A deliberate re-anchor is refused without --reset, and audited with it.
    refused = run(home, "audit", "anchor", env=env)
    assert refused.exit_code == 2
    done = run(home, "audit", "anchor", "--reset", env=env)
    assert done.exit_code == 0, done.output
    code, out = verify(home, env)
    assert code == 0, out
    db = open_database(db_url, migrate_schema=False)
    with db.session() as s:
        actions = [e.action for e in s.scalars(sa.select(AuditEntry))]
    db.close()
    assert actions[-1] == "audit.anchor"


def test_anchor_never_moves_back(tmp_path: Path) -> None:
    from fingerprints.keyed import FingerprintKey

    key = FingerprintKey(bytes(range(32)))
    anchor = AuditAnchor(tmp_path / "anchor", lambda: key)
    assert anchor.write(Head(5, "a" * 64, 5))
    assert not anchor.write(Head(4, "b" * 64, 4))  # a slower writer finishing late
    assert anchor.read() == Head(5, "a" * 64, 5)
    assert oct(anchor.path.stat().st_mode & 0o777) == "0o600"
    other = AuditAnchor(tmp_path / "anchor", lambda: FingerprintKey(bytes(range(1, 33))))
    with pytest.raises(audit.AnchorError):
        other.read()


@pytest.mark.slow  # writer processes racing
def test_concurrent_writers_do_not_fork_the_chain(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the advisory lock is PostgreSQL's (SQLite serializes writers itself)")
    db = open_database(db_url)

    def writer(n: int) -> None:
        for i in range(25):
            with db.session() as s:
                audit.append(s, "search", {"writer": n, "i": i})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.session() as s:
        assert audit.verify(s) is None
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 100
    db.close()
