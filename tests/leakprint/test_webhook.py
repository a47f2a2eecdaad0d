"""``https://`` webhook recipients against a real HTTPS server on 127.0.0.1.

The server's self-signed certificate is trusted through ``LEAKPRINT_WEBHOOK_CA_FILE``;
127.0.0.1 is reachable only because the tests' address policy allows it
(``LEAKPRINT_ALLOWED_NETWORKS``, tests/leakprint/conftest.py).
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from alerts import DeliveryError, render_alert
from alerts.recipients import RecipientError
from alerts.webhook import check_webhook
from leakprint.channels import check_recipient, notifier_for
from leakprint.config import load_settings
from leakprint.db import open_database
from leakprint.incidents import IncidentError, get_incident, open_incident
from tests.alerts.factories import make_context
from tests.alerts.smtp_sink import CertPair, free_port, make_cert
from tests.leakprint.helpers import run

SECRET = "T0AB/B1CD/s3cr3tT0k3n"


class Hook:
    """An HTTPS server that records each POST and answers ``status``."""

    def __init__(self, cert: CertPair) -> None:
        self.posts: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                hook.posts.append((self.path, dict(self.headers), self.rfile.read(length)))
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert.cert_file, cert.key_file)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}/{SECRET}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hook]:
    cert = make_cert(tmp_path)
    monkeypatch.setenv("LEAKPRINT_WEBHOOK_CA_FILE", str(cert.cert_file))
    server = Hook(cert)
    yield server
    server.close()


@pytest.fixture
def home(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    home = tmp_path / "home"
    home.mkdir()
    env = {"LEAKPRINT_DATABASE_URL": f"sqlite:///{tmp_path}/lp.db"}
    assert run(home, "init", env=env).exit_code == 0
    return home, env


@pytest.mark.parametrize(
    ("recipient", "message"),
    [
        ("https://user:pw@hooks.example.jp/x", "no user name or password"),
        ("https:///path-only", "an https:// URL with a host"),
        ("https://hooks.example.jp/a https://hooks.example.jp/b", "several URLs"),
        ("https://hooks.example.jp:99999/x", "not a valid URL"),
    ],
)
def test_bad_webhook_urls_are_refused_in_one_line(recipient: str, message: str) -> None:
    with pytest.raises(RecipientError, match=message) as raised:
        check_webhook(recipient)
    assert "\n" not in str(raised.value) and "pw" not in str(raised.value)


def test_only_https_has_a_notifier() -> None:
    assert check_recipient(" https://hooks.example.jp/x ") == "https://hooks.example.jp/x"
    with pytest.raises(RecipientError, match=r"no notifier for http: .*known: https:, mailto:"):
        check_recipient("http://hooks.example.jp/x")


def test_an_alert_is_posted_as_json_through_the_guard(
        hook: Hook, home: tuple[Path, dict[str, str]]) -> None:
    # SMTP on a port nothing listens on.
    smtp_port = free_port()
    settings = load_settings(home[0], env={"LEAKPRINT_SMTP_PORT": str(smtp_port)})
    message = render_alert(make_context(), ["soc@example.jp", hook.url])
    message.headers["X-Leakprint-Alert-Id"] = "7"
    notifier = notifier_for(settings)
    # The e-mail share goes to the SMTP channel (nothing listens: transient), the
    # webhook share is posted.
    with pytest.raises(DeliveryError) as raised:
        notifier.send(message)
    assert not raised.value.permanent and f":{smtp_port}: " in raised.value.reason
    [(path, headers, body)] = hook.posts
    assert path == f"/{SECRET}"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(body)
    assert data == {"subject": message.subject, "text": message.text, "alert_id": "7"}


def test_statuses_and_refusals(hook: Hook, home: tuple[Path, dict[str, str]],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(home[0], env={})
    message = render_alert(make_context(), [hook.url])
    hook.status = 503
    with pytest.raises(DeliveryError) as raised:
        notifier_for(settings).send(message)
    assert not raised.value.permanent and "answered HTTP 503" in raised.value.reason
    hook.status = 404
    with pytest.raises(DeliveryError) as raised:
        notifier_for(settings).send(message)
    assert raised.value.permanent
    # Errors name the host, never the path that holds the hook's secret.
    assert SECRET.split("/")[-1] not in raised.value.reason
    assert len(hook.posts) == 2

    # Without the tests' allowance, 127.0.0.1 is refused before any connection.
    monkeypatch.delenv("LEAKPRINT_ALLOWED_NETWORKS")
    with pytest.raises(DeliveryError) as raised:
        notifier_for(load_settings(home[0], env={})).send(message)
    assert raised.value.permanent and "destination refused" in raised.value.reason
    assert len(hook.posts) == 2


def test_an_untrusted_certificate_is_not_posted_to(
        hook: Hook, home: tuple[Path, dict[str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEAKPRINT_WEBHOOK_CA_FILE")
    with pytest.raises(DeliveryError) as raised:
        notifier_for(load_settings(home[0], env={})).send(
            render_alert(make_context(), [hook.url]))
    assert not raised.value.permanent and "SSL" in raised.value.reason
    assert hook.posts == []


def test_incidents_take_webhooks_and_alerts_test_posts(
        hook: Hook, home: tuple[Path, dict[str, str]]) -> None:
    path, env = home
    db = open_database(env["LEAKPRINT_DATABASE_URL"])
    try:
        info = open_incident(db, name="hooked", datasets=["crm"], sources=["paste"],
                             every="1h", cron=None, period="7d",
                             notify=["soc@example.jp", hook.url])
        assert get_incident(db, info.id).notify == ["soc@example.jp", hook.url]
        with pytest.raises(IncidentError, match=r"^notify: a webhook is an https"):
            open_incident(db, name="bad", datasets=["crm"], sources=["paste"], every="1h",
                          cron=None, period="7d", notify=["https://"])
    finally:
        db.close()
    result = run(path, "alerts", "test", hook.url, env=env)
    assert result.exit_code == 0, result.output
    # The hook's path (its secret) is not printed: scheme and host only.
    assert result.output == "test message sent to https://127.0.0.1/…\n"
    for args in (["incident", "show", str(info.id)], ["incident", "show", str(info.id), "--json"],
                 ["incident", "list", "--json"], ["incident", "list", "--format", "csv"]):
        shown = run(path, *args, env=env)
        assert shown.exit_code == 0, shown.output
        assert SECRET not in shown.output and "https://127.0.0.1/…" in shown.output, args
    [(_, _, body)] = hook.posts
    assert json.loads(body)["subject"] == "[leakprint] test message"
