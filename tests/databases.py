"""The test PostgreSQL server (``LEAKPRINT_TEST_DATABASE_URL``) and private schemas on it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

PG_URL = os.environ.get("LEAKPRINT_TEST_DATABASE_URL")


def pg_schema_url(base: str) -> Iterator[str]:
    """A URL of a fresh private schema on the PostgreSQL server at ``base``, dropped after."""
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
