"""Application fixtures: a database, an initialised deployment, one with a CRM set.

Application tests crawl local sites on 127.0.0.1: they allow that address only. The SMTP
servers and the served deployment of ``leakprint serve`` are in ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leakprint.db import Database, open_database
from tests.leakprint.helpers import HEADER, MAP, customer_rows, run


@pytest.fixture(autouse=True)
def _allow_test_sites(monkeypatch: pytest.MonkeyPatch) -> None:
    # Inherited by the crawl processes the CLI starts; 127.0.0.2 and the rest of the
    # non-public ranges stay refused (SPEC 10.1).
    monkeypatch.setenv("LEAKPRINT_ALLOWED_NETWORKS", "127.0.0.1/32")


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """The migrated database at ``db_url`` (SQLite, and PostgreSQL when configured)."""
    database = open_database(db_url)
    yield database
    database.close()


@pytest.fixture
def home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised deployment folder (``tmp_path / "home"``) on ``db_url``.

    Raw files a test writes beside it in ``tmp_path`` stay outside the deployment.
    ``LEAKPRINT_DATABASE_URL`` is set for the CLI and its child processes, and rich
    tables print at full width (``COLUMNS=200``).
    """
    monkeypatch.setenv("LEAKPRINT_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    h = tmp_path / "home"
    h.mkdir()
    result = run(h, "init")
    assert result.exit_code == 0, result.output
    return h


@pytest.fixture
def crm_home(home: Path) -> Path:
    """``home`` with a dataset "crm" of five customers and a source "paste" (never crawled)."""
    src = home / "c.csv"
    src.write_text(
        ",".join(HEADER) + "\n" + "\n".join(",".join(r) for r in customer_rows(5)), encoding="utf-8"
    )
    result = run(
        home, "fingerprint", "import", str(src), "--dataset", "crm", "--id-column", "顧客ID", *MAP
    )
    assert result.exit_code == 0, result.output
    (home / "sources.toml").write_text(
        '[[source]]\nname = "paste"\nkind = "page"\nstart_urls = ["http://127.0.0.1:9/x"]\n',
        encoding="utf-8",
    )
    return home
