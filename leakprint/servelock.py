"""One ``leakprint serve`` per database (APScheduler 3 would run every job twice)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from leakprint.db import Database
from leakprint.runs import is_outage


class ServeError(Exception):
    """A one-line reason why ``serve`` cannot run."""


@contextmanager
def one_scheduler(db: Database) -> Iterator[None]:
    """Refuse a second ``serve`` on the same database (APScheduler 3 would run every job
    twice): a lock file beside a SQLite database, an advisory lock per schema on
    PostgreSQL. Both are released by the operating system or server if serve dies."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            yield
            return
        lock_path = Path(url.database).with_name(Path(url.database).name + ".serve-lock")
        with lock_path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ServeError(
                    f"another `leakprint serve` is running on {url.database}"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    if url.get_backend_name() == "postgresql":
        with db.engine.connect() as conn:
            key = conn.execute(
                text("SELECT hashtext('leakprint serve ' || current_schema())")
            ).scalar_one()
            locked = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            conn.commit()  # the lock is held by the session, not the transaction
            if not locked:
                raise ServeError("another `leakprint serve` is running on this database")
            try:
                yield
            finally:
                try:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
                except Exception as exc:
                    # The server restarted since: the lock went with the session.
                    if not is_outage(exc):
                        raise
        return
    yield
