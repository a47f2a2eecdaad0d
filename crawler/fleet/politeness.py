"""Per-host concurrency and delay for the whole fleet, not per worker.

Before a request goes out, the worker takes a *lease* for its host (``host:port``)
from Redis: a sorted set of leases with expiry times, at most
``LEAKPRINT_DOMAIN_CONCURRENCY`` at once, and starts at least
``LEAKPRINT_DOMAIN_DELAY`` seconds apart. One Lua script decides atomically, on
Redis's clock. The lease is given back when the response (or the failure) comes;
a worker killed while holding one loses it when it expires (the download timeout
plus a margin), so a dead worker never blocks a host for good.

Scrapy's own per-domain limits still apply inside each worker; waiting for a lease
counts against the worker's ``CONCURRENT_REQUESTS``, so a worker that cannot get
one stops taking pages from the queue.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crawler.fleet.frontier import fleet_keys, redis_client

if TYPE_CHECKING:
    from typing import Self

    import redis
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from crawler.fleet.keys import FleetKeys

LEASE_META = "leakprint_lease"
WAIT_STEP = 0.02

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
local delay = tonumber(ARGV[4])
if delay > 0 then
  local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
  if now < nxt then return 0 end
  redis.call('SET', KEYS[2], now + delay, 'PX', delay + 1000)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""


def host_of(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{(parts.hostname or '').lower()}:{port}"


class FleetPolitenessMiddleware:
    """Downloader middleware (closest to the downloader): one lease per request."""

    def __init__(self, server: redis.Redis, keys: FleetKeys, concurrency: int,
                 delay_ms: int, lease_ms: int) -> None:
        self.server = server
        self.keys = keys
        self.concurrency = max(1, concurrency)
        self.delay_ms = max(0, delay_ms)
        self.lease_ms = lease_ms
        self.acquire = server.register_script(_ACQUIRE)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        timeout = s.getfloat("DOWNLOAD_TIMEOUT", 30)
        return cls(redis_client(s), fleet_keys(s), s.getint("LEAKPRINT_DOMAIN_CONCURRENCY", 4),
                   int(s.getfloat("LEAKPRINT_DOMAIN_DELAY", 0.0) * 1000),
                   int((timeout + 15) * 1000))

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if LEASE_META in request.meta:
            return
        host = host_of(request.url)
        leases, nxt = self.keys.domain(host)
        lease = f"{host} {uuid.uuid4().hex}"
        while not self.acquire(keys=[leases, nxt],
                               args=[self.concurrency, lease, self.lease_ms, self.delay_ms]):
            await asyncio.sleep(WAIT_STEP)
        request.meta[LEASE_META] = lease

    def _release(self, request: Request) -> None:
        lease = request.meta.pop(LEASE_META, None)
        if lease:
            leases, _ = self.keys.domain(lease.split(" ", 1)[0])
            self.server.zrem(leases, lease)

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: BaseException,
                          spider: Spider | None = None) -> Any:
        self._release(request)
        return None
