"""Refuse requests to addresses the crawl may not reach (SPEC 10.1).

Three places see a destination, and each asks :mod:`crawler.addressguard`:

* :class:`AddressGuardMiddleware` (downloader middleware, first in the chain):
  literal IP hosts (Twisted never resolves those) and the addresses of host names
  (looked up once per host and crawl), so a refusal is named on its own line;
* :class:`GuardedResolver` (``TWISTED_DNS_RESOLVER``): every address a host name
  resolves to, for the connections Scrapy makes itself — the check sits where the
  address is used, so a name that answers differently the second time (DNS
  rebinding) still cannot connect;
* :mod:`crawler.browserguard`: every request a rendered page makes.

Redirects are new requests, so every hop goes through all three again.
The policy comes from the ``LEAKPRINT_ALLOW_PRIVATE_NETWORKS`` and
``LEAKPRINT_ALLOWED_NETWORKS`` settings, else the environment variables of the
same names; without either, only public addresses are reached.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

from crawler.addressguard import AddressPolicy, parse_ip
from crawler.coverage import count

if TYPE_CHECKING:
    from collections.abc import Coroutine, Sequence
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from twisted.internet.base import ReactorBase

logger = logging.getLogger(__name__)

ALLOW_SETTING = "LEAKPRINT_ALLOW_PRIVATE_NETWORKS"
NETWORKS_SETTING = "LEAKPRINT_ALLOWED_NETWORKS"


class AddressRefused(IgnoreRequest):
    """A request whose destination address the policy refuses (a coverage error)."""


class ResolvedAddressRefused(DNSLookupError):
    """The resolver's refusal: a lookup error to Twisted (which then logs no traceback)."""


def policy_from_settings(settings: Any) -> AddressPolicy:
    """The address policy of a crawl: its settings, else the environment."""
    allow = settings.get(ALLOW_SETTING)
    if allow is None:
        allow = os.environ.get(ALLOW_SETTING, "0")
    networks = settings.get(NETWORKS_SETTING)
    if networks is None:
        networks = os.environ.get(NETWORKS_SETTING, "")
    return AddressPolicy.from_values(allow, networks)


async def resolve(host: str, port: int) -> list[str]:
    """Every address of ``host`` (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def check_url(policy: AddressPolicy, url: str, *, lookup: bool) -> str | None:
    """Why ``url``'s destination is refused, or None. Names are looked up only with
    ``lookup`` (an unresolvable name is left to the fetch to report)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    ip = parse_ip(host)
    if ip is not None:
        return policy.refusal(ip)
    if not lookup or policy.allow_private:
        return None
    try:
        addresses = await resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    except OSError:
        return None
    for address in addresses:
        reason = policy.refusal(address.split("%", 1)[0])
        if reason:
            return f"{host}: {reason}"
    return None


class AddressGuardMiddleware:
    """Downloader middleware: a request to a refused address never leaves."""

    MAX_CACHED_HOSTS = 10_000

    def __init__(self, crawler: Crawler, policy: AddressPolicy) -> None:
        self.crawler = crawler
        self.policy = policy
        self._verdicts: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, policy_from_settings(crawler.settings))

    def process_request(self, request: Request) -> Coroutine[Any, Any, None] | None:
        """Known hosts are judged at once; a new host is looked up (a coroutine), once
        per crawl, so the per-request cost stays a dictionary lookup."""
        parts = urlsplit(request.url)
        key = f"{parts.scheme}://{parts.netloc}"
        if key not in self._verdicts:
            return self._judge(request, key)
        reason = self._verdicts[key]
        if reason:
            refuse(self.crawler, request, reason)
        return None

    async def _judge(self, request: Request, key: str) -> None:
        reason = await check_url(self.policy, request.url, lookup=True)
        if len(self._verdicts) >= self.MAX_CACHED_HOSTS:
            self._verdicts.clear()
        self._verdicts[key] = reason
        if reason:
            refuse(self.crawler, request, reason)


def refuse(crawler: Crawler, request: Request | None, reason: str) -> None:
    """Count, log and raise :class:`AddressRefused` for ``request``."""
    if crawler.stats is not None:
        crawler.stats.inc_value("leakprint/refused_address")
    count(crawler.stats, request, "refused")
    raise AddressRefused(f"destination refused: {reason}")


class GuardedResolver(CachingThreadedResolver):
    """``TWISTED_DNS_RESOLVER``: a host name whose address is refused does not resolve
    (the connection fails with :class:`AddressRefused`)."""

    def __init__(self, reactor: ReactorBase, cache_size: int, timeout: float,
                 policy: AddressPolicy) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> Self:
        cache = crawler.settings.getint("DNSCACHE_SIZE") \
            if crawler.settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, cache, crawler.settings.getfloat("DNS_TIMEOUT"),
                   policy_from_settings(crawler.settings))

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    def _check(self, address: str, name: str) -> str:
        reason = self.policy.refusal(address)
        if reason:
            logger.warning("Refused %s: %s", name, reason)
            raise ResolvedAddressRefused(f"destination refused: {name}: {reason}")
        return address
