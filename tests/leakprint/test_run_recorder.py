"""leakprint.runs as the one recorder of a run's state: counters, progress, the end
of a crawl, a run the caller abandons."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from leakprint.coverage import CoverageItem, record_coverage
from leakprint.db import Database, ScanRunWorker
from leakprint.runs import (
    RunCounters,
    RunStatus,
    abandon_run,
    close_crawl,
    finish_run,
    get_run,
    record_progress,
    record_worker_totals,
    start_run,
)


@dataclass
class _Change:
    status: str


def test_counters_tally_documents_and_findings() -> None:
    c = RunCounters()
    c.tally("new", [_Change("new"), _Change("grown"), _Change("same")])
    c.tally("unchanged")
    c.tally("changed", [_Change("grown")])
    assert (c.docs_new, c.docs_changed, c.docs_unchanged) == (1, 1, 1)
    assert (c.findings_new, c.findings_updated) == (1, 2)
    assert c.documents == 3 and c.findings == 3
    with pytest.raises(ValueError, match="doc_status"):
        c.tally("seen")
    total = c + RunCounters(pages=2, bytes=10, errors=1)
    assert total.columns() == {"pages": 2, "bytes": 10, "errors": 1, "docs_new": 1,
                               "docs_changed": 1, "docs_unchanged": 1, "findings_new": 1,
                               "findings_updated": 2}


def test_statuses_are_the_stored_strings() -> None:
    assert [s.value for s in RunStatus] == ["running", "ok", "partial", "failed", "killed",
                                            "missed"]


def test_finish_refuses_what_is_not_an_end(db: Database) -> None:
    run_id = start_run(db, "file")
    with pytest.raises(ValueError):
        finish_run(db, run_id, status="done")
    with pytest.raises(ValueError, match="status"):
        finish_run(db, run_id, status=RunStatus.RUNNING)
    finish_run(db, run_id, add=RunCounters(pages=1, bytes=5, docs_new=1))
    run = get_run(db, run_id)
    assert run is not None and run.status is RunStatus.OK
    assert (run.counters.pages, run.counters.bytes, run.counters.documents) == (1, 5, 1)


def test_close_crawl_ok_partial_failed(db: Database) -> None:
    ok = start_run(db, "sources")
    record_progress(db, ok, RunCounters(pages=3, bytes=30, docs_new=3))
    assert close_crawl(db, ok) is RunStatus.OK

    partial = start_run(db, "sources")
    record_progress(db, partial, RunCounters(pages=3, docs_new=2, errors=1),
                    error="1 documents could not be matched or stored")
    assert close_crawl(db, partial) is RunStatus.PARTIAL
    run = get_run(db, partial)
    assert run is not None and run.error == "1 documents could not be matched or stored"

    dead = start_run(db, "sources")
    record_progress(db, dead, RunCounters(errors=1))
    assert close_crawl(db, dead) is RunStatus.FAILED
    run = get_run(db, dead)
    assert run is not None and run.error == "no page could be fetched (1 fetch error)"

    refused = start_run(db, "sources")
    record_coverage(db, refused, [CoverageItem("size", "https://x.example/a", "too big"),
                                  CoverageItem("size", "https://x.example/b", "too big")],
                    lambda u: u)
    assert close_crawl(db, refused) is RunStatus.FAILED
    run = get_run(db, refused)
    assert run is not None and run.error == "no page could be fetched (2 coverage errors)"


def test_worker_totals_are_the_sum_of_the_shares(db: Database) -> None:
    run_id = start_run(db, "sources")
    with db.session() as session:
        for name, docs, error in (("w1", 2, None), ("w2", 3, "1 documents could not…")):
            row = ScanRunWorker(scan_run_id=run_id, worker=name)
            RunCounters(pages=docs, bytes=docs * 10, docs_new=docs, findings_new=1).write_to(row)
            row.error = error
            session.add(row)
    assert record_worker_totals(db, run_id) == (2, "1 documents could not…")
    run = get_run(db, run_id)
    assert run is not None
    assert run.counters == RunCounters(pages=5, bytes=50, docs_new=5, findings_new=2)
    assert close_crawl(db, run_id) is RunStatus.PARTIAL


def test_abandon_closes_only_a_run_still_open(db: Database) -> None:
    left = start_run(db, "sources")
    assert abandon_run(db, left, "CrawlError: unknown source")
    run = get_run(db, left)
    assert run is not None and (run.status, run.error) == (RunStatus.FAILED,
                                                          "CrawlError: unknown source")
    closed = start_run(db, "sources")
    finish_run(db, closed, status=RunStatus.KILLED, error="timeout")
    assert not abandon_run(db, closed, "later")
    run = get_run(db, closed)
    assert run is not None and (run.status, run.error) == (RunStatus.KILLED, "timeout")
