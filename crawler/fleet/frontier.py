"""The shared frontier of one scan run: scrapy-redis's scheduler and duplicate
filter, with a reliable hand-off.

scrapy-redis pops a request and forgets it: a worker killed mid-page loses every
request it held. Here a pop is ``LMOVE requests → processing:<worker>`` (atomic:
a request is always in the queue or in one worker's list), and the entry leaves
that list (``LREM``, the *ack*) only when the page has been read, its links queued
and its documents stored (:class:`HandOff`). A worker's heartbeat expires when it
dies; :func:`reap_dead_workers` then moves its list back to the queue, so another
worker fetches those pages again. Documents are identified by URL, so a page
fetched twice that way updates the same finding, never makes a second one.

Duplicates are filtered per run and per source (one dupefilter key per run; the
fingerprint includes the source, as the spider's own filter does); ``max_pages``
holds for the whole fleet (a per-run counter per source).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import redis
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import Base as RedisQueueBase
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler.coverage import SOURCE_META, source_key
from crawler.fleet import serializer
from crawler.fleet.keys import HEARTBEAT_EVERY, HEARTBEAT_TTL_MS, FleetKeys

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

#: meta keys living only inside one worker (removed before a request is queued).
TICKET_META = "leakprint_ticket"
LOCAL_META = (TICKET_META, "leakprint_lease")
_SET_IF_RUNNING = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('SET', KEYS[2], '1') end
return 0
"""
_ADD_IF_RUNNING = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('SADD', KEYS[2], ARGV[1]) end
return 0
"""
#: How often held requests are checked for completion (and idle workers look for work).
CHECK_EVERY = 0.2


def redis_client(settings: BaseSettings) -> redis.Redis:
    """The fleet's Redis (``LEAKPRINT_REDIS_URL`` setting or environment variable)."""
    url = settings.get("LEAKPRINT_REDIS_URL") or os.environ.get("LEAKPRINT_REDIS_URL")
    if not url:
        raise ValueError("LEAKPRINT_REDIS_URL is not set")
    return redis.Redis.from_url(url)


def fleet_keys(settings: BaseSettings) -> FleetKeys:
    return FleetKeys(settings.get("LEAKPRINT_REDIS_PREFIX") or "leakprint",
                     settings.getint("LEAKPRINT_SCAN_ID"))


def worker_id(settings: BaseSettings) -> str:
    return settings.get("LEAKPRINT_WORKER_ID") or \
        f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def reap_dead_workers(server: redis.Redis, keys: FleetKeys) -> int:
    """Move the held requests of workers whose heartbeat expired back to the queue
    (any process may call this; each entry moves once). Returns how many moved."""
    moved = 0
    for raw in server.smembers(keys.workers):
        worker = raw.decode() if isinstance(raw, bytes) else str(raw)
        if server.exists(keys.worker(worker)):
            continue
        held = keys.processing(worker)
        while server.lmove(held, keys.requests, "RIGHT", "RIGHT") is not None:
            moved += 1
        server.srem(keys.workers, worker)
        if moved:
            logger.warning("Worker %s stopped beating: %d held requests back in the queue",
                           worker, moved)
    return moved


class RunQueue(RedisQueueBase):  # type: ignore[misc]
    """A FIFO list whose pops move the entry into this worker's processing list."""

    def __init__(self, server: redis.Redis, spider: Spider, key: str, processing: str,
                 serializer: Any = serializer) -> None:
        super().__init__(server, spider, key, serializer)
        self.processing = processing

    def __len__(self) -> int:
        return int(self.server.llen(self.key))

    def encode(self, request: Request) -> bytes:
        local = {k: request.meta.pop(k) for k in LOCAL_META if k in request.meta}
        try:
            return bytes(self._encode_request(request))
        finally:
            request.meta.update(local)

    def push(self, request: Request) -> None:
        self.server.lpush(self.key, self.encode(request))

    def pop(self, timeout: int = 0) -> Request | None:
        data = self.server.lmove(self.key, self.processing, "RIGHT", "LEFT")
        if data is None:
            return None
        request: Request = self._decode_request(data)
        request.meta[TICKET_META] = data
        return request


class SourceDupeFilter(RFPDupeFilter):  # type: ignore[misc]
    """scrapy-redis's filter; the fingerprint includes the request's source, since
    two sources may share a page and each reads it in its own way."""

    def request_fingerprint(self, request: Request) -> str:
        base = super().request_fingerprint(request)
        source = str(request.meta.get(SOURCE_META) or "")
        return hashlib.sha256(f"{source}\n{base}".encode()).hexdigest()


@dataclass
class _Held:
    request: Request
    since: float
    clear: int = 0


@dataclass
class HandOff:
    """Tracks the requests this worker holds and acks each once it is finished.

    A request is finished when it has left both the downloader and the scraper (so
    its callback's links are queued and its documents handed to the pipeline), seen
    on two checks in a row. Finished entries wait in ``ready`` until the pipeline has
    stored what was queued before them (``drain``), then are acked.
    """

    server: redis.Redis
    keys: FleetKeys
    worker: str
    crawler: Crawler
    held: dict[bytes, _Held] = field(default_factory=dict)
    ready: list[bytes] = field(default_factory=list)
    #: Set by a pipeline that stores asynchronously: it acks ``ready`` itself.
    pipeline_acks: bool = False
    _loop: task.LoopingCall | None = None
    _last_beat: float = 0.0
    _over: tuple[bool, float] | None = None

    @property
    def processing(self) -> str:
        return self.keys.processing(self.worker)

    def start(self) -> None:
        self.beat()
        self._loop = task.LoopingCall(self.tick)
        self._loop.start(CHECK_EVERY, now=False)

    def stop(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()

    def beat(self) -> None:
        self._last_beat = time.monotonic()
        pipe = self.server.pipeline(transaction=False)
        pipe.set(self.keys.worker(self.worker), b"1", px=HEARTBEAT_TTL_MS)
        # Again on every beat: a worker stalled past its expiry and reaped, then
        # alive again, must be reapable again.
        # Only while the run lasts: its keys must not outlive it.
        pipe.eval(_ADD_IF_RUNNING, 2, self.keys.spec, self.keys.workers, self.worker)
        pipe.execute()

    def popped(self, ticket: bytes, request: Request) -> None:
        self.held[ticket] = _Held(request, time.monotonic())

    def rescheduled(self, ticket: bytes) -> None:
        """A held request came back as a retry or redirect (queued anew): done here."""
        self.held.pop(ticket, None)

    def run_over(self) -> bool:
        """The coordinator ended the run (or it was never announced). Asked for every
        link found, so the answer is kept for ``CHECK_EVERY`` seconds."""
        now = time.monotonic()
        if self._over is None or now - self._over[1] >= CHECK_EVERY:
            pipe = self.server.pipeline(transaction=False)
            pipe.exists(self.keys.done)
            pipe.sismember(self.keys.runs, str(self.keys.run))
            done, listed = pipe.execute()
            self._over = (bool(done) or not listed, now)
        return self._over[0]

    def tick(self) -> None:
        try:
            if time.monotonic() - self._last_beat >= HEARTBEAT_EVERY:
                self.beat()
            self.check()
            if not self.pipeline_acks:
                self.ack(self.take_ready())
            engine = self.crawler.engine
            slot = getattr(engine, "_slot", None)
            if slot is not None and not self.held:
                # scrapy-redis's queue is polled only on the engine's 5 s heartbeat
                # when idle; look for work other workers queued sooner.
                slot.nextcall.schedule()
        except redis.RedisError as exc:
            logger.error("Redis unreachable (%s); retrying", type(exc).__name__)

    def check(self, *, idle: bool = False) -> None:
        engine = self.crawler.engine
        if engine is None:
            return
        downloading = engine.downloader.active
        scraping = engine.scraper.slot.active if engine.scraper.slot is not None else set()
        now = time.monotonic()
        for ticket, held in list(self.held.items()):
            busy = held.request in downloading or held.request in scraping
            if busy or now - held.since < CHECK_EVERY:
                held.clear = 0
                if not idle:
                    continue
            held.clear += 1
            if held.clear >= 2 or idle:
                del self.held[ticket]
                self.ready.append(ticket)

    def take_ready(self) -> list[bytes]:
        ready, self.ready = self.ready, []
        return ready

    def ack(self, tickets: list[bytes]) -> None:
        if not tickets:
            return
        pipe = self.server.pipeline(transaction=False)
        for ticket in tickets:
            pipe.lrem(self.processing, 1, ticket)  # type: ignore[arg-type]
        pipe.execute()

    def spider_idle(self) -> None:
        """Nothing in flight here: every held request is finished. The worker stays
        until the run is over (others may still queue pages)."""
        self.check(idle=True)
        if not self.pipeline_acks:
            self.ack(self.take_ready())
        # This worker's start requests are all queued once it is idle (said only
        # while the run lasts: its keys must not outlive it).
        self.server.eval(_SET_IF_RUNNING, 2, self.keys.spec, self.keys.seeded)
        if not self.run_over():
            raise DontCloseSpider


def handoff_for(crawler: Crawler) -> HandOff:
    """The crawl's one :class:`HandOff` (created by whichever component asks first)."""
    existing = getattr(crawler, "leakprint_handoff", None)
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    settings = crawler.settings
    handoff = HandOff(redis_client(settings), fleet_keys(settings), worker_id(settings),
                      crawler)
    crawler.leakprint_handoff = handoff  # type: ignore[attr-defined]
    crawler.signals.connect(handoff.spider_idle, signal=signals.spider_idle)
    return handoff


class RunScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis's scheduler on the run's keys, with the reliable hand-off."""

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        handoff = handoff_for(crawler)
        keys = handoff.keys
        dupefilter = SourceDupeFilter(handoff.server, keys.dupefilter,
                                      debug=settings.getbool("DUPEFILTER_DEBUG"))
        scheduler = cls(server=handoff.server, persist=True, queue_key=keys.requests,
                        dupefilter=dupefilter, dupefilter_key=keys.dupefilter,
                        serializer=serializer)
        scheduler.crawler = crawler
        scheduler.stats = crawler.stats
        scheduler.handoff = handoff
        return scheduler

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queue = RunQueue(self.server, spider, self.queue_key, self.handoff.processing)
        self.handoff.start()
        if self.handoff.run_over():
            # Joined too late: nothing to do, close at the first idle.
            logger.info("Scan run %s is over; nothing to crawl", self.handoff.keys.run)

    def close(self, reason: str) -> None:
        handoff = self.handoff
        handoff.stop()
        if not handoff.run_over():
            # Stopped before the run ended: what this worker still holds goes back.
            while self.server.lmove(handoff.processing, self.queue_key,
                                    "RIGHT", "RIGHT") is not None:
                pass
        self.server.srem(handoff.keys.workers, handoff.worker)
        self.server.delete(handoff.keys.worker(handoff.worker))

    def enqueue_request(self, request: Request) -> bool:
        ticket = request.meta.pop(TICKET_META, None)
        if ticket is not None:
            # A retry or redirect of a held request: queued anew, the old entry acked
            # in the same transaction (never both lost, never both kept).
            data = self.queue.encode(request)
            pipe = self.server.pipeline(transaction=True)
            pipe.lpush(self.queue_key, data)
            pipe.lrem(self.handoff.processing, 1, ticket)
            pipe.execute()
            self.handoff.rescheduled(ticket)
            return True
        if self.handoff.run_over():
            return False
        # The spider filters per worker (dont_filter=True); the fleet filters here.
        if self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        source = request.meta.get(SOURCE_META)
        if source and not self._within_budget(str(source)):
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def _within_budget(self, source: str) -> bool:
        sources = getattr(self.spider, "sources", {})
        limit = getattr(sources.get(source), "max_pages", None)
        if limit is None:
            return True
        if int(self.server.hincrby(self.handoff.keys.budget, source, 1)) <= limit:
            return True
        self.stats.inc_value(source_key(source, "budget_exhausted"))
        return False

    def next_request(self) -> Request | None:
        request = self.queue.pop()
        if request is None:
            return None
        self.handoff.popped(request.meta[TICKET_META], request)
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return len(self) > 0
