"""The Scrapy item pipeline: documents → matcher → findings in the database.

Named in the crawl settings by dotted path (``LEAKPRINT_PIPELINE``), so ``crawler/``
stays a plain Scrapy project. Matching AND storing run in the worker processes of
:mod:`leakprint.matchpool` (each batch of documents and its findings in one
transaction there), so the reactor keeps fetching; only the run's progress (and, with
no fingerprint set at all, the last-seen times of documents) is written from a thread
of this process. Bodies live only in memory: documents are stored by URL and SHA-256.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured
from sqlalchemy import select

from crawler.coverage import per_source, totals
from crawler.signals import coverage_error, document_unchanged
from fingerprints.fpset import FingerprintSet
from fingerprints.keyed import FingerprintKey
from fingerprints.normalizers import NORMALIZER_VERSION
from fingerprints.shred import StaticSecrets
from leakprint.config import Settings, load_settings
from leakprint.coverage import CoverageItem, record_coverage
from leakprint.datasets import get_dataset, list_datasets
from leakprint.db import Database, Document, open_database
from leakprint.logredact import install as install_log_redaction
from leakprint.matchpool import DocOutcome, DocTask, process_batch, ready, start_pool
from leakprint.runs import RunCounters, RunStatus, finish_run, record_progress
from leakprint.scanning import StoreEntry, store_batch
from leakprint.setsecrets import snapshot
from leakprint.urlsafe import UrlGuard
from matchers.companion import matcher_for
from matchers.lifeline import die_with_parent
from matchers.stream import freeze_heap

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from crawler.items import DocumentItem

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 1.0
PARENT_CHECK_SECONDS = 1.0
#: How long an orphaned crawl may take to stop gracefully before it is ended.
ORPHAN_GRACE_SECONDS = 30
#: Niceness of the matcher processes (``LEAKPRINT_MATCH_NICE``): the lowest priority.
MATCH_NICE = 19
#: At most this many matcher processes by default: each holds its own interpreter
#: and value caches (55 MB at start, up to about 150 MB), and one crawl's polite
#: per-host concurrency rarely feeds more.
MAX_MATCH_WORKERS = 8


@dataclass(frozen=True)
class PipelineConfig:
    """The ``LEAKPRINT_*`` crawl settings the application passes with ``-s``."""

    home: Path
    scan_id: int
    datasets: list[str]
    full: bool
    incident_id: int | None
    workers: int
    nice: int = 0

    @classmethod
    def from_settings(cls, settings: Any) -> PipelineConfig:
        home = settings.get("LEAKPRINT_HOME")
        scan_id = settings.getint("LEAKPRINT_SCAN_ID")
        if not home or not scan_id:
            raise NotConfigured("LEAKPRINT_HOME and LEAKPRINT_SCAN_ID are required")
        incident = settings.getint("LEAKPRINT_INCIDENT_ID") or None
        return cls(Path(home), scan_id, settings.getlist("LEAKPRINT_DATASETS"),
                   settings.getbool("LEAKPRINT_FULL"), incident,
                   max(1, settings.getint("LEAKPRINT_MATCH_WORKERS", default_match_workers())),
                   max(0, settings.getint("LEAKPRINT_MATCH_NICE", MATCH_NICE)))


def default_match_workers() -> int:
    """One matcher process per core (at most ``MAX_MATCH_WORKERS``). They run at the
    lowest priority (``MATCH_NICE``), so they take only the CPU time the reactor leaves.

    Measured on 2 cores (docs/benchmarks.md): one normal-priority worker, two niced
    workers: pages fetched 0.61-0.82x against 0.91-1.12x the speed of a crawl
    without the pipeline; every page matched and stored at 112-132 against 165-191
    pages/s.
    """
    return max(1, min(MAX_MATCH_WORKERS, os.cpu_count() or 1))


class DocumentValidators:
    """``LEAKPRINT_VALIDATORS``: the ETag/Last-Modified leakprint last saw for a URL.

    Loaded once when the crawl starts (one query), so the conditional-request
    middleware never waits for the database on the reactor thread.
    """

    def __init__(self, validators: dict[str, tuple[str | None, str | None]],
                 guard: UrlGuard | None = None) -> None:
        self.validators = validators  # by URL key (documents are stored by it)
        self.guard = guard

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if crawler.settings.getbool("LEAKPRINT_FULL"):
            return cls({})
        settings = load_settings(Path(crawler.settings.get("LEAKPRINT_HOME", ".")))
        db = open_database(settings.database_url, migrate_schema=False)
        try:
            with db.session() as session:
                rows = session.execute(
                    select(Document.url_key, Document.etag, Document.last_modified).where(
                        Document.url_key.is_not(None),
                        (Document.etag.is_not(None)) | (Document.last_modified.is_not(None))))
                return cls({k: (etag, lm) for k, etag, lm in rows if k},
                           UrlGuard(settings.load_key()))
        finally:
            db.close()

    def get(self, url: str) -> tuple[str | None, str | None] | None:
        if self.guard is None:
            return None
        return self.validators.get(self.guard.url_key(url))


class MatchPipeline:
    """Scrapy item pipeline storing findings, not pages.

    On the reactor thread it only hashes the body, looks the URL up in a map of
    known URL → SHA-256 loaded at start, and queues the document. Batches (up to
    ``LEAKPRINT_BATCH_DOCS`` documents or ``LEAKPRINT_BATCH_BYTES`` bytes, or
    whatever is queued after ``LEAKPRINT_BATCH_SECONDS``) go to the worker
    processes of :mod:`leakprint.matchpool`, which match and store them. When the
    work queued exceeds ``LEAKPRINT_BACKLOG_BYTES``, ``process_item`` waits, so a
    slow matcher slows the crawl instead of filling memory with bodies.
    """

    def __init__(self, crawler: Crawler, config: PipelineConfig, settings: Settings,
                 db: Database, guard: UrlGuard | None = None) -> None:
        self.crawler = crawler
        self.config = config
        self.settings = settings
        self.db = db
        names = config.datasets or [d.name for d in list_datasets(db)]
        self.set_dirs = [set_dir(settings, db, n) for n in names]
        key = settings.load_key()
        secrets = snapshot(db, key)  # the sets' per-set secrets (SPEC 16)
        self.pool = start_pool(self.set_dirs, key, config.workers, settings.database_url,
                               config.nice, secrets) if self.set_dirs else None
        # Forked workers start now, while Scrapy is still starting, not with the
        # first page (a thread waits for the fork server; the reactor never does).
        self._starting = self.pool.start_in_background() if self.pool is not None else None
        # Keys, seals and redacts URLs here (the crawl log, documents stored without
        # a set); the workers hold their own for what they store.
        self.guard = guard if guard is not None else url_guard(key, self.set_dirs, secrets)
        # Known documents: URL key → content SHA-256.
        self.known: dict[str, str] = {} if config.full else self._load_known()
        # What a worker runs per batch (a picklable module-level function).
        self.batch_fn: Callable[[list[DocTask], int, int | None], list[DocOutcome]] = \
            process_batch
        # What this crawl stored so far (pages, bytes and errors come from the stats).
        self.counters = RunCounters()
        self.match_errors = 0
        s = crawler.settings
        self.batch_docs = max(1, s.getint("LEAKPRINT_BATCH_DOCS", 32))
        self.batch_bytes = max(1, s.getint("LEAKPRINT_BATCH_BYTES", 1 << 20))
        self.batch_seconds = s.getfloat("LEAKPRINT_BATCH_SECONDS", 0.25)
        self.backlog_limit = max(1, s.getint("LEAKPRINT_BACKLOG_BYTES", 64 << 20))
        self._batch: list[DocTask] = []
        self._batch_size = 0
        self._timer: asyncio.TimerHandle | None = None
        self._pending: set[asyncio.Future[None]] = set()
        self._backlog = 0
        self._drained: asyncio.Event | None = None
        self._last_progress = 0.0
        self._progress_task: asyncio.Future[None] | None = None
        self._watch: asyncio.Future[None] | None = None
        self._warm: asyncio.Future[Any] | None = None
        # Coverage errors reported by the crawler, stored with the next progress write.
        self._coverage: deque[CoverageItem] = deque()
        # Set when the process that started the crawl died: nobody else is left to
        # close the scan run, so this crawl does it on the way out.
        self._orphaned = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = PipelineConfig.from_settings(crawler.settings)
        settings = load_settings(config.home)
        db = open_database(settings.database_url, migrate_schema=False)
        pipe = cls(crawler, config, settings, db)
        # URLs in the crawl's log are redacted too (SPEC 10.2).
        install_log_redaction(pipe.guard.redact)
        crawler.signals.connect(pipe.unchanged, signal=document_unchanged)
        crawler.signals.connect(pipe.coverage_error, signal=coverage_error)
        parent = crawler.settings.getint("LEAKPRINT_PARENT_PID")
        if parent:
            arm_lifeline(parent, pipe.orphaned)
        return pipe

    async def open_spider(self) -> None:
        if self._starting is not None:
            self._warm = asyncio.wrap_future(self._starting)
        elif self.pool is not None:
            # Spawned workers (no fork server here) start with one no-op task each,
            # from the reactor thread: a thread that lives as long as they do
            # (matchers.lifeline), while the first requests go out.
            loop = asyncio.get_running_loop()
            self._warm = asyncio.gather(
                *(loop.run_in_executor(self.pool, ready) for _ in range(self.config.workers))
            )
        parent = self.crawler.settings.getint("LEAKPRINT_PARENT_PID")
        if parent:
            self._watch = asyncio.ensure_future(self._watch_parent(parent))
        # What this pipeline loaded (the guard's matchers, the ORM, numpy) lives as
        # long as the crawl: the cyclic collector's full walks, set off by Scrapy's
        # requests, need not walk it again and again.
        freeze_heap()

    async def _watch_parent(self, parent: int) -> None:
        """Stop the crawl (gracefully: queued documents are still stored) when the
        process that started it is gone, so a killed CLI leaves no orphan crawl."""
        while True:
            await asyncio.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent:
                if self._orphaned:
                    return  # already stopping (SIGHUP came first)
                logger.warning("The process that started this crawl is gone; stopping")
                self._orphaned = True
                os.kill(os.getpid(), signal.SIGTERM)
                return

    def orphaned(self) -> None:
        """The process that started the crawl is gone: this crawl closes its run."""
        self._orphaned = True

    def _load_known(self) -> dict[str, str]:
        with self.db.session() as session:
            rows = session.execute(select(Document.url_key, Document.content_sha256)
                                   .where(Document.url_key.is_not(None)))
            return {key: sha for key, sha in rows if key}

    async def process_item(self, item: DocumentItem) -> DocumentItem:
        sha = hashlib.sha256(item.body).hexdigest()
        size = len(item.body)
        url_key = self.guard.url_key(item.url)
        if self.known.get(url_key) == sha:
            self._queue(DocTask("touch", item.url, item.source, sha, size, item.etag,
                                item.last_modified))
        elif self.pool is not None:
            self.known[url_key] = sha
            self._queue(DocTask("match", item.url, item.source, sha, size, item.etag,
                                item.last_modified, body=b"" if item.text is not None
                                else item.body, text=item.text))
        # Bodies stop here: the item goes on without them.
        item.body = b""
        item.text = None
        self._maybe_progress()
        while self._backlog > self.backlog_limit and self._pending:
            self._drained = self._drained or asyncio.Event()
            await self._drained.wait()
        return item

    def unchanged(self, url: str, source: str | None, spider: Any = None) -> None:
        """A 304: the document is still there; refresh its last-seen time."""
        self._queue(DocTask("seen", url, source))

    def coverage_error(self, kind: str, url: str, source: str | None, detail: str,
                       spider: Any = None) -> None:
        """A document the crawl could not read in full: kept for the run's coverage."""
        self._coverage.append(CoverageItem(kind, url, detail, source))
        self._maybe_progress()

    # ----------------------------------------------------------------- batching

    def _queue(self, task: DocTask) -> None:
        self._batch.append(task)
        self._batch_size += len(task.body) + len(task.text or "") * 3
        if len(self._batch) >= self.batch_docs or self._batch_size >= self.batch_bytes:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.batch_seconds, self._flush)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, size = self._batch, self._batch_size
        self._batch, self._batch_size = [], 0
        if not batch:
            return
        if self.pool is None:
            # No fingerprint set to match against: still record what was seen.
            batch = [t for t in batch if t.kind != "match"]
            if not batch:
                return
        loop = asyncio.get_running_loop()
        if self.pool is None:
            fut = loop.run_in_executor(None, self._store_here, batch)
        else:
            fut = loop.run_in_executor(self.pool, self.batch_fn, batch,
                                       self.config.scan_id, self.config.incident_id)
        self._backlog += size
        done: asyncio.Future[None] = asyncio.ensure_future(self._collect(fut, batch, size))
        self._pending.add(done)
        done.add_done_callback(self._pending.discard)

    def _store_here(self, batch: list[DocTask]) -> list[DocOutcome]:
        entries = [StoreEntry(t.kind, t.url, t.source, t.sha256, t.size, [], t.etag,
                              t.last_modified) for t in batch]
        stored = store_batch(self.db, entries, self.config.scan_id, self.guard)
        return [DocOutcome(e.url, status, changes) for e, (status, changes)
                in zip(entries, stored, strict=True)]

    async def _collect(self, fut: asyncio.Future[list[DocOutcome]], batch: list[DocTask],
                       size: int) -> None:
        try:
            outcomes = await fut
        except Exception as exc:
            logger.error("Could not match or store %d documents (%s); the next scan "
                         "will retry them", len(batch), type(exc).__name__)
            for task in batch:
                self.known.pop(self.guard.url_key(task.url), None)
            self.match_errors += len(batch)
            outcomes = []
        finally:
            self._backlog -= size
            if self._drained is not None and self._backlog <= self.backlog_limit:
                self._drained.set()
                self._drained = None
        for outcome in outcomes:
            if outcome.status == "error":
                logger.error("Could not match %s (%s); the next scan will retry it",
                             outcome.shown or self.guard.redact(outcome.url), outcome.error)
                self.known.pop(self.guard.url_key(outcome.url), None)
                self.match_errors += 1
                continue
            self.counters.tally(outcome.status, outcome.changes)

    # ----------------------------------------------------------------- progress

    def _maybe_progress(self) -> None:
        now = time.monotonic()
        if now - self._last_progress < PROGRESS_EVERY:
            return
        if self._progress_task is not None and not self._progress_task.done():
            return
        self._last_progress = now
        self._progress_task = asyncio.ensure_future(asyncio.to_thread(self._write_progress))

    def _write_progress(self) -> None:
        pending = []  # popped one by one: the reactor thread may append meanwhile
        while self._coverage:
            pending.append(self._coverage.popleft())
        record_coverage(self.db, self.config.scan_id, pending, self.guard.redact)
        pages, byte_count, errors = coverage(self.crawler.stats)
        record_progress(self.db, self.config.scan_id, self.snapshot(pages, byte_count, errors),
                        error=self.match_problem("the scan log"))

    def snapshot(self, pages: int, byte_count: int, errors: int) -> RunCounters:
        """The counters so far, with the crawl's pages, bytes and fetch errors (documents
        that could not be matched or stored count as errors too)."""
        return replace(self.counters, pages=pages, bytes=byte_count,
                       errors=errors + self.match_errors)

    def match_problem(self, log: str) -> str | None:
        """The run's error when documents could not be matched or stored, else None."""
        if not self.match_errors:
            return None
        return (f"{self.match_errors} documents could not be matched or stored "
                f"(see {log}); the next scan retries them")

    async def close_spider(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
        if self._warm is not None:
            with contextlib.suppress(Exception):
                await self._warm
        self._flush()
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
        if self._progress_task is not None:
            await self._progress_task
        await asyncio.to_thread(self._write_progress)
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        parent = self.crawler.settings.getint("LEAKPRINT_PARENT_PID")
        if self._orphaned or (parent and os.getppid() != parent):
            self.close_orphaned_run()
        self.db.close()

    def close_orphaned_run(self) -> None:
        """Nobody else is left to close this crawl's run: close it as ``killed``."""
        finish_run(self.db, self.config.scan_id, status=RunStatus.KILLED,
                   error="interrupted: the process that started the scan was killed")


def set_dir(settings: Settings, db: Database, name: str) -> Path:
    """Where set ``name`` lives here: as registered, else (a crawl worker on another
    machine, with the sets copied, SPEC 15) under this deployment's ``sets_dir``."""
    registered = Path(get_dataset(db, name).path)
    if registered.exists():
        return registered
    local = settings.sets_dir / registered.name
    return local if local.exists() else registered


def url_guard(key: FingerprintKey, set_dirs: list[Path],
              secrets: StaticSecrets | None = None) -> UrlGuard:
    """A guard whose redaction knows the values of the sets in ``set_dirs``."""
    return UrlGuard(key, [
        matcher_for(FingerprintSet.open(d, key, normalizer_version=NORMALIZER_VERSION,
                                        secrets=secrets), key)
        for d in set_dirs])
def arm_lifeline(parent: int, on_orphaned: Callable[[], None]) -> None:
    """The crawl runs in its own session, so a signal to the command that started it
    (SIGKILL included) never reaches it: ask the kernel for SIGHUP when that process
    dies, and stop on it like on SIGTERM (queued documents are still stored, the run
    is closed as ``killed``). The polling watch in ``open_spider`` stays as a second
    line; a graceful stop that cannot finish (a reactor stuck in a callback) is cut
    short by SIGALRM after ``ORPHAN_GRACE_SECONDS``, and the next scan closes the run."""

    def parent_died(signum: int, frame: object) -> None:
        # The kernel signals again each time the crawl is handed to another thread of
        # the dying process, and once when only the thread that started it ended.
        if os.getppid() == parent:
            return
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        on_orphaned()
        logger.warning("SIGHUP: the process that started this crawl is gone; stopping")
        signal.signal(signal.SIGALRM, signal.SIG_DFL)  # SIGALRM's default action ends us
        signal.alarm(ORPHAN_GRACE_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGHUP, parent_died)
    die_with_parent(parent, signal.SIGHUP)


def coverage(stats: StatsCollector | None) -> tuple[int, int, int]:
    """Pages, bytes and errors over all sources, from the crawler's coverage stats."""
    return totals(per_source(stats))
