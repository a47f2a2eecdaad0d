"""The Scrapy item pipeline: documents → matcher → findings in the database.

Named in the crawl settings by dotted path (``LEAKPRINT_PIPELINE``), so ``crawler/``
stays a plain Scrapy project. Matching runs in a worker process and database writes in
a thread, so the reactor keeps fetching. Bodies live only in memory: documents are
stored by URL and SHA-256.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from datetime import UTC, datetime
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import select

from crawler.signals import document_unchanged
from leakprint.config import Settings, load_settings
from leakprint.datasets import get_dataset, list_datasets
from leakprint.db import Database, Document, ScanRun, open_database
from leakprint.findings import FindingChange
from leakprint.incidents import link_changes
from leakprint.matchpool import match_document, start_pool
from leakprint.scanning import store_results

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from crawler.items import DocumentItem

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 1.0


@dataclass(frozen=True)
class PipelineConfig:
    """The ``LEAKPRINT_*`` crawl settings the application passes with ``-s``."""

    home: Path
    scan_id: int
    datasets: list[str]
    full: bool
    incident_id: int | None
    workers: int

    @classmethod
    def from_settings(cls, settings: Any) -> PipelineConfig:
        home = settings.get("LEAKPRINT_HOME")
        scan_id = settings.getint("LEAKPRINT_SCAN_ID")
        if not home or not scan_id:
            raise NotConfigured("LEAKPRINT_HOME and LEAKPRINT_SCAN_ID are required")
        incident = settings.getint("LEAKPRINT_INCIDENT_ID") or None
        return cls(Path(home), scan_id, settings.getlist("LEAKPRINT_DATASETS"),
                   settings.getbool("LEAKPRINT_FULL"), incident,
                   max(1, settings.getint("LEAKPRINT_MATCH_WORKERS", 1)))


class DocumentValidators:
    """``LEAKPRINT_VALIDATORS``: the ETag/Last-Modified leakprint last saw for a URL."""

    def __init__(self, db: Database, full: bool) -> None:
        self.db = db
        self.full = full

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = load_settings(Path(crawler.settings.get("LEAKPRINT_HOME", ".")))
        return cls(open_database(settings.database_url, migrate_schema=False),
                   crawler.settings.getbool("LEAKPRINT_FULL"))

    def get(self, url: str) -> tuple[str | None, str | None] | None:
        if self.full:
            return None
        with self.db.session() as session:
            doc = session.scalars(select(Document).where(Document.url == url)).first()
            if doc is None or not (doc.etag or doc.last_modified):
                return None
            return doc.etag, doc.last_modified


class MatchPipeline:
    """Scrapy item pipeline storing findings, not pages."""

    def __init__(self, crawler: Crawler, config: PipelineConfig, settings: Settings,
                 db: Database) -> None:
        self.crawler = crawler
        self.config = config
        self.settings = settings
        self.db = db
        names = config.datasets or [d.name for d in list_datasets(db)]
        self.set_dirs = [Path(get_dataset(db, n).path) for n in names]
        self.pool = start_pool(self.set_dirs, settings.load_key(), config.workers) \
            if self.set_dirs else None
        self.counts = {"docs_new": 0, "docs_changed": 0, "docs_unchanged": 0,
                       "findings_new": 0, "findings_updated": 0}
        self._last_progress = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = PipelineConfig.from_settings(crawler.settings)
        settings = load_settings(config.home)
        db = open_database(settings.database_url, migrate_schema=False)
        pipe = cls(crawler, config, settings, db)
        crawler.signals.connect(pipe.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipe.unchanged, signal=document_unchanged)
        return pipe

    async def process_item(self, item: DocumentItem) -> DocumentItem:
        sha = hashlib.sha256(item.body).hexdigest()
        known = await asyncio.to_thread(self._known_sha, item.url)
        if known == sha and not self.config.full:
            await asyncio.to_thread(self._touch, item, sha)
        elif self.pool is not None:
            loop = asyncio.get_running_loop()
            results = await loop.run_in_executor(
                self.pool, match_document, item.body, item.text, item.url)
            await asyncio.to_thread(self._store, item, sha, results)
        # Bodies stop here: the item goes on without them.
        item.body = b""
        item.text = None
        await asyncio.to_thread(self._maybe_progress)
        return item

    def _known_sha(self, url: str) -> str | None:
        with self.db.session() as session:
            return session.scalars(
                select(Document.content_sha256).where(Document.url == url)).first()

    def _touch(self, item: DocumentItem, sha: str) -> None:
        store_results(self.db, url=item.url, source=item.source, sha256=sha,
                      size=len(item.body), results=[], run_id=self.config.scan_id,
                      etag=item.etag, last_modified=item.last_modified)
        self.counts["docs_unchanged"] += 1

    def _store(self, item: DocumentItem, sha: str, results: list[Any]) -> None:
        status, changes = store_results(
            self.db, url=item.url, source=item.source, sha256=sha, size=len(item.body),
            results=results, run_id=self.config.scan_id, etag=item.etag,
            last_modified=item.last_modified)
        self.counts[f"docs_{status}"] += 1
        self._count_changes(changes)
        if self.config.incident_id is not None and changes:
            link_changes(self.db, self.config.incident_id, changes)

    def _count_changes(self, changes: list[FindingChange]) -> None:
        for change in changes:
            if change.status == "new":
                self.counts["findings_new"] += 1
            elif change.status == "grown":
                self.counts["findings_updated"] += 1

    def unchanged(self, url: str, source: str | None, spider: Any = None) -> None:
        """A 304: the document is still there; refresh its last-seen time."""
        self.counts["docs_unchanged"] += 1
        with self.db.session() as session:
            doc = session.scalars(select(Document).where(Document.url == url)).first()
            if doc is not None:
                doc.last_seen = datetime.now(UTC)
                doc.last_scan_id = self.config.scan_id

    def _maybe_progress(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_EVERY:
            return
        self._last_progress = now
        pages, byte_count, errors = coverage(self.crawler.stats)
        with self.db.session() as session:
            run = session.get(ScanRun, self.config.scan_id)
            if run is None:
                return
            run.pages, run.bytes, run.errors = pages, byte_count, errors
            for name, value in self.counts.items():
                setattr(run, name, value)

    def spider_closed(self, spider: Any, reason: str) -> None:
        self._maybe_progress(force=True)
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.db.close()


def coverage(stats: StatsCollector | None) -> tuple[int, int, int]:
    """Pages, bytes and errors over all sources, from the crawler's coverage stats."""
    if stats is None:
        return 0, 0, 0
    totals = {"pages": 0, "bytes": 0, "errors": 0}
    for key, value in stats.get_stats().items():
        if key.startswith("leakprint/source/"):
            what = key.rsplit("/", 1)[-1]
            if what in totals:
                totals[what] += int(value)
    return totals["pages"], totals["bytes"], totals["errors"]
