"""SMTP fixtures: real aiosmtpd servers on 127.0.0.1, one per test, each on its own port.

Other test packages reuse them by importing the fixtures into their own conftest,
`from tests.alerts.conftest import smtp_cert, smtp_plain  # noqa: F401`, or use
`tests.alerts.smtp_sink.SmtpSink` directly.
Each server fixture has its own free port, so one test may use several.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.smtp_sink import CertPair, SmtpSink, free_port, make_cert


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
