"""Plain HTTP fetches outside Scrapy (``sources check``) under the address policy.

The same promise as the crawl (SPEC 10.1): every destination address is checked
after resolution, the connection goes to the address that was checked (no second
lookup for a rebinding name to exploit), and every redirect hop is checked again —
against the address policy and, through ``allow``, the caller's host rules.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from crawler.addressguard import AddressPolicy, parse_ip

MAX_REDIRECTS = 5


class FetchRefused(Exception):
    """The destination (or a redirect hop) is refused; the message says why, in one line."""


class FetchFailed(Exception):
    """The fetch did not work (DNS, connection, TLS, timeout); one line."""


@dataclass
class Fetched:
    """A response: final URL, status, charset and (at most ``max_bytes`` of) body."""

    url: str
    status: int
    charset: str | None
    body: bytes


def checked_address(policy: AddressPolicy, host: str, port: int) -> str:
    """The first address of ``host`` the policy allows; :class:`FetchRefused` when the
    name resolves only (or partly) to refused addresses."""
    ip = parse_ip(host)
    if ip is not None:
        reason = policy.refusal(ip)
        if reason:
            raise FetchRefused(f"destination refused: {reason}")
        return str(ip)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchFailed(f"DNS lookup failed for {host}: {exc.strerror or exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        # One refused address is enough: a name must not mix public and internal ones.
        reason = policy.refusal(address.split("%", 1)[0])
        if reason:
            raise FetchRefused(f"destination refused: {host}: {reason}")
    if not addresses:
        raise FetchFailed(f"DNS lookup failed for {host}")
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float,
                 context: ssl.SSLContext | None = None) -> None:
        super().__init__(host, port, timeout=timeout,
                         context=context or ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def fetch(url: str, policy: AddressPolicy, *, timeout: float = 15.0,
          max_bytes: int = 4 * 1024 * 1024, headers: dict[str, str] | None = None,
          allow: Callable[[str], bool] | None = None) -> Fetched:
    """GET ``url``, following up to ``MAX_REDIRECTS`` redirects, each hop checked
    (address policy, and ``allow(url)`` for its host). Any status is returned."""
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchRefused(f"not an http(s) URL: {url}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = checked_address(policy, parts.hostname, port)
        cls = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        conn = cls(parts.hostname, port, address, timeout)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request("GET", path, headers=headers or {})
            resp = conn.getresponse()
            location = resp.getheader("Location")
            if resp.status in (301, 302, 303, 307, 308) and location:
                target = urljoin(url, location)
                if allow is not None and not allow(target):
                    raise FetchRefused(f"redirect to {target} refused: the source does not "
                                       "allow that host (allow_offsite)")
                url = target
                continue
            body = resp.read(max_bytes)
            return Fetched(url, resp.status, resp.msg.get_content_charset(), body)
        except (OSError, http.client.HTTPException) as exc:
            raise FetchFailed(f"cannot fetch: {type(exc).__name__}: {exc}") from None
        finally:
            conn.close()
    raise FetchRefused(f"redirect loop: more than {MAX_REDIRECTS} redirects")


def post(url: str, policy: AddressPolicy, body: bytes, *, headers: dict[str, str],
         timeout: float = 15.0, context: ssl.SSLContext | None = None) -> int:
    """POST ``body`` to an ``https`` ``url`` whose address the policy allows; the status.

    Redirects are not followed (a webhook that moves is a configuration to fix, and a
    redirect must not carry the body to a host nobody checked). ``context`` verifies
    the server (default: the system's CAs). Errors name the host only: a webhook's
    path may hold its secret.
    """
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise FetchRefused("not an https URL")
    port = parts.port or 443
    address = checked_address(policy, parts.hostname, port)
    conn = _PinnedHTTPS(parts.hostname, port, address, timeout, context)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read(64 * 1024)
        return resp.status
    except (OSError, http.client.HTTPException) as exc:
        raise FetchFailed(f"cannot post to {parts.hostname}: {type(exc).__name__}") from None
    finally:
        conn.close()
