"""Suite-wide fixtures: database URLs for SQLite always and PostgreSQL when configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

PG_URL = os.environ.get("LEAKPRINT_TEST_DATABASE_URL")


def _pg_schema_url(base: str) -> Iterator[str]:
    import sqlalchemy as sa

    schema = f"lp_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """A fresh database URL: a SQLite file, and a private PostgreSQL schema when available."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/leakprint-test.db"
        return
    if not PG_URL:
        pytest.skip("LEAKPRINT_TEST_DATABASE_URL is not set")
    yield from _pg_schema_url(PG_URL)
