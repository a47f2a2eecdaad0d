"""Engine and session factory; Alembic migrations run the first time a database is opened."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    # Alembic (with Mako and Pygments) costs ~0.15 s of CPU to import: only processes
    # that migrate load it, not the crawl's matcher workers or the crawl itself.
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class DatabaseError(Exception):
    """A one-line, user-facing database problem."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_ms: int = 30000) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the crawler pipeline write while a responder reads; busy_timeout rides
    # over short locks instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with leakprint's connection settings."""
    if url.startswith("sqlite"):
        # ``?timeout=SECONDS`` in the URL: how long to wait for a lock (default 30 s).
        parsed = make_url(url)
        try:
            timeout = float(parsed.query.get("timeout", 30))  # type: ignore[arg-type]
        except ValueError:
            raise DatabaseError("database_url: timeout must be a number of seconds") from None
        engine = create_engine(parsed.difference_update_query(["timeout"]),
                               connect_args={"timeout": timeout})
        event.listen(engine, "connect",
                     functools.partial(_sqlite_pragmas, busy_ms=int(timeout * 1000)))
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent).

    On SQLite, foreign keys are off while migrating: a batch migration rebuilds a
    table (copy, drop, rename), and with them on, dropping the old table would
    cascade its ``ON DELETE`` rules to the rows that refer to it (findings of the
    documents, say). The pragma cannot change inside a transaction, so it is set
    before the migration's transaction starts and restored after.
    """
    from alembic import command

    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                cfg = alembic_config(engine)
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


@dataclass
class Database:
    """An opened, migrated database. Pass it around; there is no global engine."""

    engine: Engine
    sessions: sessionmaker[Session]
    #: Where audited actions anchor the chain's head (``leakprint.audit.AuditAnchor``);
    #: ``None``: not anchored (workers that audit nothing, tests of the chain alone).
    audit_anchor: Any = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self.sessions.begin() as session:
            if self.audit_anchor is not None:
                session.info["audit_anchor"] = self.audit_anchor
            yield session

    def table_names(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    def close(self) -> None:
        self.engine.dispose()


def _create_private(engine: Engine) -> None:
    """Create a new SQLite database file readable by its owner only (0600): it holds
    keyed fingerprints of who leaked and where. SQLite gives its -wal and -shm files
    the same mode."""
    url = engine.url
    name = url.database
    if url.get_backend_name() != "sqlite" or not name or name == ":memory:" \
            or name.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def open_database(url: str, *, migrate_schema: bool = True) -> Database:
    """Open (and on first use create) the database at ``url``."""
    engine = make_engine(url)
    _create_private(engine)
    try:
        if migrate_schema:
            migrate(engine)
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        raise DatabaseError(f"cannot open database {engine.url!r}: {reason}") from None
    return Database(engine, sessionmaker(engine, expire_on_commit=False))
