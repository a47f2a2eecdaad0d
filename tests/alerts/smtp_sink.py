"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, capturing what it receives.

Reusable outside tests/alerts:

    with SmtpSink("starttls", cert=make_cert(tmp_path)) as sink:
        SmtpNotifier(sink.config()).send(message)
        assert len(sink.messages) == 1
        sink.stop()   # port closed: the next send fails
        sink.start()  # same port again

Pitfalls handled here (see shared notes/stack.md §3): the authenticator must return
`AuthResult(..., handled=False)` or a refused login gets no reply at all, and the
implicit-TLS server needs `auth_require_tls=False` because aiosmtpd does not count
a TLS-wrapped listener as TLS.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from alerts import SmtpConfig

SinkMode = Literal["plain", "starttls", "tls"]
HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A TCP port that was free a moment ago (bind to 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class CertPair:
    cert_file: Path
    key_file: Path


def make_cert(directory: Path) -> CertPair:
    """Write a self-signed cert for `localhost` / 127.0.0.1 into `directory`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pair = CertPair(directory / "smtp-cert.pem", directory / "smtp-key.pem")
    pair.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pair


@dataclass(frozen=True)
class Received:
    """One message as the server got it: envelope, raw bytes, parsed form."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    authenticated: bool

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        # Enforced here rather than with aiosmtpd's auth_required, which warns on
        # every connection when combined with implicit TLS (auth_require_tls=False).
        if self.sink.mode != "plain" and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.sink.reject_recipients:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode()
        received = Received(
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(envelope.rcpt_tos),
            content=content,
            authenticated=bool(session.authenticated),
        )
        with self.sink.lock:
            self.sink.messages.append(received)
        return "250 Message accepted for delivery"


class SmtpSink:
    """aiosmtpd on 127.0.0.1 in one of three modes, with a fixed port across stop/start.

    - "plain": no TLS, no AUTH.
    - "starttls": STARTTLS required before anything else, then AUTH required before MAIL
      (AUTH is not offered before STARTTLS).
    - "tls": implicit TLS from the first byte, then AUTH required before MAIL.

    `reject_recipients` are refused at RCPT with 550.
    """

    def __init__(
        self,
        mode: SinkMode = "plain",
        *,
        cert: CertPair | None = None,
        port: int | None = None,
        username: str = "alerts",
        password: str = "s3cret",
        reject_recipients: frozenset[str] = frozenset(),
    ) -> None:
        if mode != "plain" and cert is None:
            raise ValueError(f"mode {mode!r} needs a cert (make_cert(tmp_path))")
        self.mode = mode
        self.cert = cert
        self.host = HOST
        self.port = port if port is not None else free_port()
        self.username = username
        self.password = password
        self.reject_recipients = reject_recipients
        self.messages: list[Received] = []
        self.lock = threading.Lock()
        self._handler = _Handler(self)
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.username.encode()
            and auth_data.password == self.password.encode()
        )
        # handled=False makes aiosmtpd send the 235/535 reply itself.
        return AuthResult(success=ok, handled=False)

    def _server_tls(self) -> ssl.SSLContext:
        assert self.cert is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert.cert_file, self.cert.key_file)
        return context

    def _controller_for_mode(self) -> Controller:
        common: dict[str, Any] = {"hostname": self.host, "port": self.port}
        auth: dict[str, Any] = {
            "authenticator": self._authenticate,
            "server_hostname": "localhost",
        }
        if self.mode == "plain":
            return Controller(self._handler, **common)
        if self.mode == "starttls":
            return Controller(
                self._handler,
                **common,
                **auth,
                tls_context=self._server_tls(),
                require_starttls=True,
                auth_require_tls=True,
            )
        return Controller(
            self._handler, **common, **auth, ssl_context=self._server_tls(), auth_require_tls=False
        )

    def start(self) -> None:
        """Listen on `self.port` (the same port on every start)."""
        if self._controller is not None:
            return
        # A stopped Controller has closed its event loop, so each start needs a new one.
        controller = self._controller_for_mode()
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Close the listener; clients now get "connection refused" on this port."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def config(self, **overrides: Any) -> SmtpConfig:
        """An `SmtpConfig` that reaches this sink with valid credentials and trust."""
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "tls": "none" if self.mode == "plain" else self.mode,
            "timeout": 10.0,
        }
        if self.mode != "plain":
            assert self.cert is not None
            values |= {
                "username": self.username,
                "password": self.password,
                "ca_file": str(self.cert.cert_file),
            }
        values |= overrides
        return SmtpConfig(**values)

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


def body_text(message: EmailMessage, subtype: str) -> str:
    """The text of ``message``'s ``text/<subtype>`` body part; fails when it has none."""
    part = message.get_body((subtype,))
    assert part is not None, f"no text/{subtype} part"
    content = part.get_content()
    assert isinstance(content, str)
    return content
