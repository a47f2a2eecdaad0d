from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from leakprint import audit
from leakprint.db import AuditEntry, open_database


def test_migrations_create_tables_and_are_idempotent(db_url: str) -> None:
    db = open_database(db_url)
    assert {"datasets", "audit_log", "alembic_version"} <= set(db.table_names())
    db.close()
    db = open_database(db_url)  # second open: nothing to do, no error
    assert "datasets" in db.table_names()
    db.close()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path}/x.db")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    db.close()


def test_audit_chain_detects_tampering(db_url: str) -> None:
    db = open_database(db_url)
    with db.session() as s:
        for i in range(5):
            audit.append(s, "search", {"digest": f"{i:032x}"}, actor="responder")
    with db.session() as s:
        assert audit.verify(s) is None
    with db.session() as s:
        third = s.get(AuditEntry, 3)
        assert third is not None
        third.details = {"digest": "edited"}
    with db.session() as s:
        assert audit.verify(s) == 3
    db.close()


def test_models_match_migrations(db_url: str) -> None:
    """The ORM models and the Alembic history describe the same schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from leakprint.db import Base

    db = open_database(db_url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.close()
    assert diff == []
