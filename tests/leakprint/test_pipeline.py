"""MatchPipeline's backpressure and batch-failure paths, on the reactor's side.

The pipeline is real (its batching, backlog accounting, bookkeeping of known documents
and the progress it writes to the scan run); only the matcher pool is replaced by an
executor whose batches the test finishes by hand — successfully, with an exception (a
worker that died or a database that refused the batch), or with a document-level error.
So the order of events is the test's, never the machine's speed.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from crawler.items import DocumentItem
from leakprint.config import load_settings
from leakprint.db import ScanRun, open_database
from leakprint.matchpool import DocOutcome, DocTask
from leakprint.pipeline import MatchPipeline, PipelineConfig
from leakprint.runs import start_run
from leakprint.urlsafe import UrlGuard
from matchers.stream import thaw_heap

# Planted in URLs: a log line of a failed batch may say how many documents, never which.
SECRET_PATH = "kanbee.planted"


@dataclass
class Submitted:
    """One batch handed to the pool, with the future the test completes."""

    batch: list[DocTask]
    future: Future[list[DocOutcome]]

    def succeed(self) -> None:
        self.future.set_result([DocOutcome(t.url, "new") for t in self.batch])


class HeldPool(Executor):
    """A matcher pool that holds every batch until the test finishes it."""

    def __init__(self) -> None:
        self.submitted: list[Submitted] = []
        self.shut_down = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        batch = args[0]
        assert isinstance(batch, list) and all(isinstance(t, DocTask) for t in batch)
        future: Future[list[DocOutcome]] = Future()
        self.submitted.append(Submitted(batch, future))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.shut_down = True


def item(n: int, size: int = 600) -> DocumentItem:
    body = (f"row {n}," + "x" * size)[:size].encode()
    return DocumentItem(
        source="paste", url=f"http://127.0.0.1:9/{SECRET_PATH}/{n}", body=body,
        content_type="text/plain", encoding_hint=None, etag=None, last_modified=None,
        fetched_at="2026-12-04T00:00:00Z", rendered=False, text=None,
    )


def make_pipeline(home: Path, **settings: object) -> tuple[MatchPipeline, HeldPool, int]:
    """A pipeline of a fresh crawl run on ``home``'s database, its pool held."""
    conf = load_settings(home)
    db = open_database(conf.database_url, migrate_schema=False)
    run_id = start_run(db, "crawl", sources=["paste"])
    # A batch goes out when full, never on the timer: the order is the test's alone.
    crawler = get_crawler(settings_dict={"LEAKPRINT_BATCH_DOCS": 1,
                                         "LEAKPRINT_BATCH_SECONDS": 3600, **settings})
    config = PipelineConfig(home, run_id, [], full=False, incident_id=None, workers=1)
    pipe = MatchPipeline(crawler, config, conf, db, UrlGuard(conf.load_key()))
    pool = HeldPool()
    # No set is registered, so the pipeline started no pool: it gets the held one.
    pipe.pool = pool  # type: ignore[assignment]  # a ProcessPoolExecutor in production
    return pipe, pool, run_id


def run_loop(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(asyncio.wait_for(main(), timeout=120))


async def settle() -> None:
    """Let every callback already scheduled run (finished futures, woken waiters)."""
    for _ in range(20):
        await asyncio.sleep(0)


def scan_run(home: Path, run_id: int) -> ScanRun:
    db = open_database(load_settings(home).database_url, migrate_schema=False)
    try:
        with db.session() as session:
            run = session.get(ScanRun, run_id)
            assert run is not None
            session.expunge(run)
            return run
    finally:
        db.close()


def test_a_full_backlog_holds_the_crawl_until_a_batch_is_done(home: Path) -> None:
    """Past ``LEAKPRINT_BACKLOG_BYTES`` of work in flight, ``process_item`` waits: a slow
    matcher slows the crawl instead of filling memory with bodies."""
    pipe, pool, run_id = make_pipeline(home, LEAKPRINT_BACKLOG_BYTES=1000)

    async def main() -> None:
        first = await pipe.process_item(item(1))  # 600 bytes in flight: under the limit
        assert first.body == b"" and first.text is None  # bodies stop at the pipeline
        assert len(pool.submitted) == 1

        second = asyncio.ensure_future(pipe.process_item(item(2)))  # 1,200 in flight
        await settle()
        assert len(pool.submitted) == 2  # its batch went out ...
        assert not second.done()  # ... but the crawl waits for the backlog to drain

        pool.submitted[0].succeed()
        await asyncio.wait_for(second, timeout=30)  # 600 in flight again: it goes on

        pool.submitted[1].succeed()
        await pipe.close_spider()

    run_loop(main)
    assert pool.shut_down
    run = scan_run(home, run_id)
    assert (run.docs_new, run.errors, run.error) == (2, 0, None)


def test_the_backlog_waits_only_while_work_is_in_flight(home: Path) -> None:
    """One document bigger than the whole backlog limit is not a deadlock: nothing else
    is pending, so it goes out and the crawl waits for it alone."""
    pipe, pool, run_id = make_pipeline(home, LEAKPRINT_BACKLOG_BYTES=100)

    async def main() -> None:
        big = asyncio.ensure_future(pipe.process_item(item(1, size=5000)))
        await settle()
        assert len(pool.submitted) == 1 and not big.done()
        pool.submitted[0].succeed()
        await asyncio.wait_for(big, timeout=30)
        await pipe.close_spider()

    run_loop(main)
    assert scan_run(home, run_id).docs_new == 1


def test_a_failed_batch_is_counted_retried_next_time_and_releases_the_crawl(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A batch that raises (a worker died, the database refused the transaction):
    its documents are errors of the run, forgotten as known so the next scan matches
    them again, the log names how many but no URL, and a crawl waiting on the backlog
    goes on."""
    caplog.set_level(logging.ERROR, logger="leakprint.pipeline")
    pipe, pool, run_id = make_pipeline(home, LEAKPRINT_BACKLOG_BYTES=1000,
                                       LEAKPRINT_BATCH_DOCS=2)

    async def main() -> None:
        await pipe.process_item(item(1))  # waits in the batch for a second document
        waiting = asyncio.ensure_future(pipe.process_item(item(2)))
        await settle()
        assert [len(s.batch) for s in pool.submitted] == [2]  # 1,200 bytes in flight
        assert not waiting.done()

        pool.submitted[0].future.set_exception(RuntimeError(f"worker died on {SECRET_PATH}"))
        await asyncio.wait_for(waiting, timeout=30)  # the failure drained the backlog too

        # The same document again, unchanged: matched again, not merely touched.
        await pipe.process_item(item(1))
        closing = asyncio.ensure_future(pipe.close_spider())  # flushes, waits for the pool
        await settle()
        assert [len(s.batch) for s in pool.submitted] == [2, 1]
        pool.submitted[1].succeed()
        await asyncio.wait_for(closing, timeout=30)

    run_loop(main)
    kinds = [(t.kind, t.url.rsplit("/", 1)[1]) for s in pool.submitted for t in s.batch]
    assert kinds == [("match", "1"), ("match", "2"), ("match", "1")]
    run = scan_run(home, run_id)
    assert run.errors == 2
    assert run.error is not None and run.error.startswith("2 documents could not be matched")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Could not match or store 2 documents (RuntimeError)" in logged
    assert SECRET_PATH not in logged


def test_a_document_error_in_a_good_batch_is_retried_alone(home: Path) -> None:
    """A batch that comes back with one document in error: the others are stored and
    stay known (touched next time), the failed one is matched again."""
    pipe, pool, run_id = make_pipeline(home, LEAKPRINT_BATCH_DOCS=2)

    async def main() -> None:
        await pipe.process_item(item(1))
        await pipe.process_item(item(2))
        [batch] = pool.submitted
        batch.future.set_result([
            DocOutcome(batch.batch[0].url, "new"),
            DocOutcome(batch.batch[1].url, "error", error="ValueError",
                       shown=pipe.guard.redact(batch.batch[1].url)),
        ])
        await settle()
        await pipe.process_item(item(1))
        await pipe.process_item(item(2))
        for s in pool.submitted[1:]:
            s.future.set_result([DocOutcome(t.url, "unchanged" if t.kind == "touch"
                                            else "new") for t in s.batch])
        await pipe.close_spider()

    run_loop(main)
    later = [(t.kind, t.url.rsplit("/", 1)[1]) for s in pool.submitted[1:] for t in s.batch]
    assert later == [("touch", "1"), ("match", "2")]
    run = scan_run(home, run_id)
    assert (run.docs_new, run.docs_unchanged, run.errors) == (2, 1, 1)
    assert run.error is not None and run.error.startswith("1 documents could not be matched")


def test_opening_the_crawl_freezes_what_the_pipeline_loaded(home: Path) -> None:
    """``open_spider`` freezes the heap (``matchers.stream.freeze_heap``): what the
    pipeline loaded lives as long as the crawl, and the collector's full collections,
    which Scrapy's requests set off, no longer walk it (docs/design.md, stop 38)."""
    pipe, _pool, run_id = make_pipeline(home)
    pipe.pool = None  # (no matcher processes: only the freeze is looked at)
    before = gc.get_freeze_count()
    try:
        run_loop(pipe.open_spider)
        assert gc.get_freeze_count() > before
        # The frozen objects are in no generation the collector walks.
        walked = gc.get_objects()
        assert not any(o is pipe for o in walked)
        assert not any(o is pipe.guard for o in walked)
        fresh = [object()]  # made after the freeze: walked (and collected) as before
        assert any(o is fresh for o in gc.get_objects())
    finally:
        thaw_heap()
        run_loop(pipe.close_spider)
    assert gc.get_freeze_count() == 0
    assert scan_run(home, run_id).error is None
