"""The match pipeline of a worker's crawl: :class:`~leakprint.pipeline.MatchPipeline`
writing this worker's share of the run, and acking held requests only once what
they produced is stored (the reliable hand-off, :mod:`crawler.fleet.frontier`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from crawler.coverage import per_source, totals
from crawler.fleet.frontier import HandOff, handoff_for
from leakprint.coverage import record_coverage
from leakprint.db import ScanRunWorker
from leakprint.pipeline import MatchPipeline

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
ACK_EVERY = 0.3


class WorkerPipeline(MatchPipeline):
    """``LEAKPRINT_PIPELINE`` of a fleet crawl (``LEAKPRINT_FLEET=1``)."""

    handoff: HandOff
    _progress_lock: threading.Lock
    _acker: asyncio.Future[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipe = super().from_crawler(crawler)
        pipe.handoff = handoff_for(crawler)
        pipe.handoff.pipeline_acks = True
        pipe._progress_lock = threading.Lock()
        return pipe

    async def open_spider(self) -> None:
        await super().open_spider()
        self._acker = asyncio.ensure_future(self._ack_loop())

    async def _ack_loop(self) -> None:
        while True:
            await asyncio.sleep(ACK_EVERY)
            tickets = self.handoff.take_ready()
            if not tickets:
                continue
            try:
                await self._drain()
                self.handoff.ack(tickets)
            except Exception as exc:  # database or Redis away: kept, tried again
                logger.error("Could not store or ack %d pages yet (%s)", len(tickets),
                             type(exc).__name__)
                self.handoff.ready[:0] = tickets

    async def _drain(self) -> None:
        """Everything queued so far is stored, and this worker's counters written."""
        self._flush()
        pending = list(self._pending)
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.to_thread(self._write_progress)

    def _write_progress(self) -> None:
        with self._progress_lock:
            pending = []
            while self._coverage:
                pending.append(self._coverage.popleft())
            record_coverage(self.db, self.config.scan_id, pending, self.guard.redact)
            # One reading of the stats for both: the reactor thread goes on counting
            # pages while this runs, and the totals must be the sum of the sources.
            sources = per_source(self.crawler.stats)
            counters = self.snapshot(*totals(sources))
            problem = self.match_problem("the worker's scan log")
            # This worker's share only (its own row); the run's counters are their sum,
            # written by the coordinator (leakprint.runs.record_worker_totals).
            with self.db.session() as session:
                key = (self.config.scan_id, self.handoff.worker)
                row = session.get(ScanRunWorker, key)
                if row is None:
                    row = ScanRunWorker(scan_run_id=key[0], worker=key[1])
                    session.add(row)
                counters.write_to(row)
                row.per_source = sources
                row.updated_at = datetime.now(UTC)
                if problem:
                    row.error = problem

    async def close_spider(self) -> None:
        if self._acker is not None:
            self._acker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._acker
        # Only what was finished before the close; what the close cut short goes
        # back to the queue (RunScheduler.close).
        tickets = self.handoff.take_ready()
        await super().close_spider()
        self.handoff.ack(tickets)

    def close_orphaned_run(self) -> None:
        """The run belongs to its coordinator, and other workers may go on with it."""
