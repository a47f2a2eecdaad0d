"""Helpers of the tests that kill scans: slow pages, waiting for logs, rows and processes."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.leakprint.helpers import customer_rows
from tests.leakprint.sites import csv_dump, db_rows

ROWS = customer_rows(300)  # the customers of test_crawl_scan's deployment, without PLANTED


def slow_text(n: int) -> str:
    """Page ``n`` of a slow site: a CSV dump of two customers of ``ROWS``."""
    return csv_dump(ROWS[2 * n : 2 * n + 2], f"slow {n}")


def wait_for_log(home: Path, needles: tuple[str, ...]) -> None:
    """Wait until a scan log of ``home`` holds one of ``needles``."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for log in (home / "logs").glob("scan-*.log"):
            text = log.read_text("utf-8", "replace")
            if any(n in text for n in needles):
                return
        time.sleep(0.1)
    raise AssertionError(f"the crawl never logged any of {needles}")


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (none once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def wait_for_documents(db_url: str, at_least: int, proc: subprocess.Popen[bytes]) -> None:
    """Wait until the still-running scan ``proc`` stored ``at_least`` documents."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the scan ended before it could be killed"
        try:
            if len(db_rows(db_url, ("documents",))["documents"]) >= at_least:
                return
        except Exception:  # the database may be busy for a moment
            pass
        time.sleep(0.2)
    raise AssertionError("the crawl stored no documents")


def wait_gone(pids: list[int]) -> None:
    """Wait until every one of ``pids`` has exited (or is a zombie)."""
    deadline = time.monotonic() + 60
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"process {pid} still running")


def stop_process(proc: subprocess.Popen[Any]) -> None:
    """Kill ``proc`` if it still runs, wait for it, and close its pipes."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
