"""SMTP fixtures: real aiosmtpd servers on 127.0.0.1, one per test, each on its own port.

Other test packages can reuse them with
`pytest_plugins = ["tests.alerts.conftest"]` in their conftest, or use
`tests.alerts.smtp_sink.SmtpSink` directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.alerts.smtp_sink import CertPair, SmtpSink, free_port, make_cert


@pytest.fixture(scope="session")
def smtp_cert(tmp_path_factory: pytest.TempPathFactory) -> CertPair:
    """A self-signed cert for localhost / 127.0.0.1 (generated once per session)."""
    return make_cert(tmp_path_factory.mktemp("smtp-cert"))


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp_plain(smtp_port: int) -> Iterator[SmtpSink]:
    """Plain SMTP, no TLS, no AUTH."""
    with SmtpSink("plain", port=smtp_port) as sink:
        yield sink


@pytest.fixture
def smtp_starttls(smtp_port: int, smtp_cert: CertPair) -> Iterator[SmtpSink]:
    """STARTTLS required, then AUTH (user "alerts", password "s3cret") required."""
    with SmtpSink("starttls", port=smtp_port, cert=smtp_cert) as sink:
        yield sink


@pytest.fixture
def smtp_tls(smtp_port: int, smtp_cert: CertPair) -> Iterator[SmtpSink]:
    """Implicit TLS from the first byte, then AUTH required."""
    with SmtpSink("tls", port=smtp_port, cert=smtp_cert) as sink:
        yield sink


@pytest.fixture
def cert_dir(smtp_cert: CertPair) -> Path:
    return smtp_cert.cert_file.parent
