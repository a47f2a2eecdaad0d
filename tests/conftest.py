"""Suite-wide fixtures and the markers (docs/testing.md).

Database URLs (SQLite always, PostgreSQL when configured), SMTP servers, Debian's
Chromium and the served deployment of `leakprint serve` tests. The application's plain
deployments are in ``tests/leakprint/conftest.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.alerts.smtp_sink import CertPair, SmtpSink, free_port, make_cert
from tests.databases import PG_URL, pg_schema_url

if TYPE_CHECKING:
    from tests.leakprint.serving import Deployment, PasteSite

CHROMIUM = Path("/usr/bin/chromium")

# Markers (pyproject.toml) are applied here by the fixtures a test uses, and by a
# module-level ``pytestmark`` in the modules of end-to-end tests: ``make unit`` runs
# ``-m "not slow and not browser"``, ``make test`` runs everything.
#: A test using one of these is an end-to-end test, slow: real crawls (``scrapy crawl``
#: against the mock sites, or a module's ``crawl``), `leakprint serve` (``deployment``),
#: or a deployment with a fingerprint set imported through the CLI (``crm_home``; the
#: modules' ``deployed``, ``scanned``, ``leaked``, ``sqlite_home``, which also scan).
SLOW_FIXTURES = frozenset({
    "mock_sites", "crawl", "deployment", "paste",
    "crm_home", "deployed", "scanned", "leaked", "sqlite_home", "small_disk",
})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``browser`` (and ``slow``) for tests needing Chromium, ``slow`` for those using
    the fixtures of real crawls, ``postgres`` for the PostgreSQL case of ``db_url``."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if "chromium" in names:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
        if names & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium (Playwright renders with it; no browser is ever downloaded).

    A test that uses it, directly or through its fixtures, is marked ``browser`` and
    skipped when Chromium is not installed.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"Debian chromium is not installed at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """A fresh database URL: a SQLite file, and a private PostgreSQL schema when available."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/leakprint-test.db"
        return
    if not PG_URL:
        pytest.skip("LEAKPRINT_TEST_DATABASE_URL is not set")
    yield from pg_schema_url(PG_URL)


# --- SMTP servers: real aiosmtpd servers on 127.0.0.1, each on its own free port, so one
# test may use several (alerts, application and scale-out tests all use them).


@pytest.fixture(scope="session")
def smtp_cert(tmp_path_factory: pytest.TempPathFactory) -> CertPair:
    """A self-signed cert for localhost / 127.0.0.1 (generated once per session)."""
    return make_cert(tmp_path_factory.mktemp("smtp-cert"))


@pytest.fixture
def smtp_port() -> int:
    """A free port for a test that builds its own `SmtpSink`."""
    return free_port()


@pytest.fixture
def smtp_plain() -> Iterator[SmtpSink]:
    """Plain SMTP, no TLS, no AUTH."""
    with SmtpSink("plain") as sink:
        yield sink


@pytest.fixture
def smtp_starttls(smtp_cert: CertPair) -> Iterator[SmtpSink]:
    """STARTTLS required, then AUTH (user "alerts", password "s3cret") required."""
    with SmtpSink("starttls", cert=smtp_cert) as sink:
        yield sink


@pytest.fixture
def smtp_tls(smtp_cert: CertPair) -> Iterator[SmtpSink]:
    """Implicit TLS from the first byte, then AUTH required."""
    with SmtpSink("tls", cert=smtp_cert) as sink:
        yield sink


# --- a served deployment: `leakprint serve` tests of the application and of the scale-out
# (imported lazily: most tests never start a scheduler).


@pytest.fixture
def paste() -> Iterator[PasteSite]:
    """A paste host on 127.0.0.1 whose one document the test may change between scans."""
    from tests.leakprint.serving import paste_site

    with paste_site() as site:
        yield site


@pytest.fixture
def deployment(
    tmp_path: Path,
    db_url: str,
    paste: PasteSite,
    smtp_starttls: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> Deployment:
    """A deployment (``tmp_path / "deploy"``) with the CRM set, the paste sources and SMTP."""
    from tests.leakprint.serving import make_served_deployment

    return make_served_deployment(tmp_path, db_url, paste, smtp_starttls, monkeypatch)
