"""Crawl scans: each runs as a child ``scrapy crawl`` process with a timeout.

A crashed or hung crawl cannot take the caller (CLI or scheduler) down; the child
writes documents and findings through the pipeline, and this side reads the scan run
back for progress and the report.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from rich.console import Console

from leakprint.config import Settings
from leakprint.coverage import coverage_errors
from leakprint.datasets import get_dataset, list_datasets
from leakprint.db import Database
from leakprint.inputs import InputError, esc, lit
from leakprint.netpolicy import address_policy
from leakprint.runs import RunStatus, close_crawl, finish_run, get_run, start_run
from leakprint.scanning import ScanOutcome, run_finding_ids
from leakprint.urlsafe import guard_for

POLL_SECONDS = 0.5


class CrawlError(InputError):
    """A one-line, user-facing crawl problem (naming the inputs it is about, if any)."""


def sources_path(settings: Settings) -> Path:
    """``sources.toml`` beside leakprint.toml, else leakprint.toml's own [[source]] tables."""
    if settings.sources_file and settings.sources_file.exists():
        return settings.sources_file
    if "source" in settings.raw:
        return settings.config_path
    raise CrawlError(
        f"no sources declared: write {settings.sources_file or 'sources.toml'} "
        "or [[source]] tables in leakprint.toml (see docs/sources.md)")


def check_sources(settings: Settings, names: Sequence[str], all_sources: bool) -> list[str]:
    """Validate the sources file and the requested names before starting a crawl."""
    from crawler.sources import SourceConfigError, load_sources

    try:
        declared = [s.name for s in load_sources(sources_path(settings))]
    except SourceConfigError as exc:
        raise CrawlError(str(exc)) from None
    if not names and not all_sources:
        raise CrawlError.about("name a source with {sources} NAME or use {all_sources}")
    unknown = [n for n in names if n not in declared]
    if unknown:
        raise CrawlError.about(f"unknown source {lit(unknown[0])} "
                               f"(declared: {esc(', '.join(declared))})")
    return list(names) or declared


def check_urls(urls: Sequence[str]) -> None:
    """Only http(s) URLs with a host can be crawled; said before a run starts."""
    # The URL itself is not quoted: it may name a customer (SPEC 10.2), and no set is
    # open yet to redact it with; its position and scheme say which one is meant.
    for n, url in enumerate(urls, 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            scheme = f"{parts.scheme}:" if parts.scheme else "no scheme"
            raise CrawlError.about(f"{{urls}} number {n} ({esc(scheme)}): only http:// and "
                                   "https:// URLs with a host can be scanned")
        if "," in url:
            # The crawl gets its URLs as one comma-separated argument.
            raise CrawlError.about(f"{{urls}} number {n}: a URL with a comma cannot be "
                                   "scanned (encode it as %2C)")


def crawl_command(
    settings: Settings, run_id: int, *, urls: Sequence[str] = (), sources: Sequence[str] = (),
    render: bool = False, depth: int = 0, full: bool = False,
    datasets: Sequence[str] = (), incident_id: int | None = None, wait_for: str | None = None,
) -> list[str]:
    """The ``scrapy crawl`` command line of one scan run."""
    log_dir = settings.home / "logs"
    cmd = [
        # -P: the deployment folder (the child's cwd) must not shadow our packages; its
        # default fingerprint-set folder is called ``fingerprints``, like the package.
        sys.executable, "-P", "-m", "scrapy", "crawl", "sources",
        "-s", "LEAKPRINT_PIPELINE=leakprint.pipeline.MatchPipeline",
        "-s", "LEAKPRINT_VALIDATORS=leakprint.pipeline.DocumentValidators",
        "-s", f"LEAKPRINT_HOME={settings.home}",
        "-s", f"LEAKPRINT_SCAN_ID={run_id}",
        # The crawl stops itself when this process dies (no orphan crawls).
        "-s", f"LEAKPRINT_PARENT_PID={os.getpid()}",
        "-s", f"LOG_FILE={log_dir / f'scan-{run_id}.log'}",
    ]
    # The address policy travels as settings (SPEC 10.1), not through the environment.
    for name, value in address_policy(settings).as_settings().items():
        cmd += ["-s", f"{name}={value}"]
    # An on-demand scan of a few links needs one matcher, not one per core (each
    # costs a second or so of start-up); crawls of declared sources get the default.
    workers = settings.match_workers or (1 if urls else None)
    if workers is not None:
        cmd += ["-s", f"LEAKPRINT_MATCH_WORKERS={workers}"]
    if settings.match_nice is not None:
        cmd += ["-s", f"LEAKPRINT_MATCH_NICE={settings.match_nice}"]
    if datasets:
        cmd += ["-s", f"LEAKPRINT_DATASETS={','.join(datasets)}"]
    if full:
        cmd += ["-s", "LEAKPRINT_FULL=1"]
    if incident_id is not None:
        cmd += ["-s", f"LEAKPRINT_INCIDENT_ID={incident_id}"]
    if urls:
        cmd += ["-a", f"urls={','.join(urls)}", "-a", f"depth={depth}"]
        if render:
            cmd += ["-a", "render=1"]
            if wait_for:
                cmd += ["-a", f"wait_for={wait_for}"]
    else:
        cmd += ["-a", f"sources_file={sources_path(settings)}"]
        if sources:
            cmd += ["-a", f"source={','.join(sources)}"]
    return cmd


def crawl_env() -> dict[str, str]:
    env = dict(os.environ)
    # Works from any folder, not only beside scrapy.cfg.
    env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    return env


def run_crawl(
    settings: Settings, db: Database, run_id: int, cmd: list[str], *,
    timeout: float | None = None, console: Console | None = None,
) -> int:
    """Run the child crawl, show live progress, enforce the timeout; returns its exit code."""
    (settings.home / "logs").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile() as errfile:
        return _run_crawl(settings, db, run_id, cmd, errfile, timeout, console)


def _raise_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _run_crawl(
    settings: Settings, db: Database, run_id: int, cmd: list[str], errfile: IO[bytes],
    timeout: float | None, console: Console | None,
) -> int:
    # stderr goes to an unnamed temporary file: a pipe nobody reads would fill up
    # and stall a chatty crawl.
    proc = subprocess.Popen(cmd, env=crawl_env(), cwd=settings.home,
                            stdout=subprocess.DEVNULL, stderr=errfile,
                            start_new_session=True)
    previous = None
    if threading.current_thread() is threading.main_thread():
        # SIGTERM to the CLI stops the crawl too (and marks the run), like Ctrl-C.
        previous = signal.signal(signal.SIGTERM, _raise_on_sigterm)
    deadline = time.monotonic() + timeout if timeout else None
    status = None
    if console is not None and console.is_terminal:
        status = console.status("crawling…")
        status.start()
    try:
        while proc.poll() is None:
            if deadline and time.monotonic() > deadline:
                _kill(proc)
                finish_run(db, run_id, status=RunStatus.KILLED,
                           error=f"crawl exceeded its {timeout:.0f} s timeout and was stopped")
                return -9
            if status is not None:
                status.update(_progress_line(db, run_id))
            time.sleep(POLL_SECONDS)
    except BaseException:
        _kill(proc)
        finish_run(db, run_id, status=RunStatus.KILLED, error="interrupted")
        raise
    finally:
        if status is not None:
            status.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    errfile.seek(0)
    stderr = errfile.read()[-65536:].decode("utf-8", "replace")
    if proc.returncode != 0:
        reason = _failure_reason(stderr, settings.home / "logs" / f"scan-{run_id}.log")
        finish_run(db, run_id, status=RunStatus.FAILED,
                   error=f"crawl exited with status {proc.returncode}: {reason}")
        return proc.returncode
    close_crawl(db, run_id)  # ok, partial, or failed when no page could be fetched
    return proc.returncode


_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt))\b")


def _failure_reason(stderr: str, log_file: Path) -> str:
    """The last exception *type* in the child's stderr or log (messages may quote text)."""
    text = stderr
    with contextlib.suppress(OSError), log_file.open("rb") as fh:
        fh.seek(max(0, log_file.stat().st_size - 65536))
        text += "\n" + fh.read().decode("utf-8", "replace")
    for line in reversed(text.splitlines()):
        m = _EXC_LINE.match(line.strip())
        if m:
            return m.group(1)
    return "no reason given"


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _progress_line(db: Database, run_id: int) -> str:
    run = get_run(db, run_id)
    if run is None:
        return "crawling…"
    c = run.counters
    return f"crawling: {c.pages} pages, {c.documents} documents, {c.findings} findings so far"


def run_findings(
    db: Database, run_id: int, datasets: Sequence[str] = ()
) -> tuple[list[int], int, int]:
    """Finding ids, documents and bytes of one scan run: the findings it created,
    updated or saw again (``scan_run_findings``, so two scans of the same URL at once
    both report them), only those of ``datasets`` when given; documents as the run
    counted them (new, changed and unchanged, 304s included)."""
    ids = run_finding_ids(db, run_id, datasets)
    run = get_run(db, run_id)
    if run is None:
        return ids, 0, 0
    return ids, run.counters.documents, run.counters.bytes


def crawl_scan(
    settings: Settings, db: Database, *, urls: Sequence[str] = (), sources: Sequence[str] = (),
    all_sources: bool = False, render: bool = False, depth: int = 0, full: bool = False,
    wait_for: str | None = None, datasets: Sequence[str] | None = None,
    incident_id: int | None = None,
    console: Console | None = None, timeout: float | None = None, distributed: bool = False,
    run_id: int | None = None,
) -> ScanOutcome:
    """Crawl URLs or declared sources and match what they serve (``distributed``:
    sources through ``leakprint worker``s, SPEC 15).

    ``run_id``: a run the caller has started for this scan (``serve`` does, so it
    knows its run whatever happens; a failure before the crawl leaves it running
    for the caller to close). Otherwise the run is started here, once the inputs
    are checked (a typo is then a one-line error, not a failed run)."""
    if not list_datasets(db):
        raise CrawlError("no fingerprint sets yet: run `leakprint fingerprint import` first")
    names = list(datasets or [])
    for name in names:  # before any crawl: a typo is a one-line error, not a failed run
        get_dataset(db, name)
    if urls:
        check_urls(urls)
    else:
        check_sources(settings, sources, all_sources)
    address_policy(settings)  # a malformed [crawl] is a one-line error before the run
    # The run records the URLs redacted (SPEC 10.2); the crawl gets them in full.
    shown = [guard_for(settings, db, names).redact(u) for u in urls] if urls else []
    if run_id is None:
        run_id = start_run(db, "url" if urls else "sources", datasets=names,
                           sources=shown if urls else (list(sources) or ["all"]),
                           incident_id=incident_id)
    if distributed and not urls:
        code = _run_distributed(settings, db, run_id, [] if all_sources else list(sources),
                                names, full, incident_id, timeout or settings.scan_timeout,
                                console)
    else:
        cmd = crawl_command(settings, run_id, urls=urls,
                            sources=[] if all_sources else sources, render=render, depth=depth,
                            full=full, datasets=names, wait_for=wait_for,
                            incident_id=incident_id)
        code = run_crawl(settings, db, run_id, cmd, timeout=timeout or settings.scan_timeout,
                         console=console)
    if code != 0:
        run = get_run(db, run_id)
        reason = run.error if run and run.error else f"crawl failed ({code})"
        raise CrawlError(f"scan run {run_id}: {reason} (log: logs/scan-{run_id}.log)")
    ids, docs, size = run_findings(db, run_id, names)
    run = get_run(db, run_id)
    problem = run.error if run is not None and run.status in (
        RunStatus.PARTIAL, RunStatus.FAILED) else None
    errors = run.counters.errors if run is not None else 0
    return ScanOutcome(run_id, finding_ids=ids, documents=docs, bytes=size, errors=errors,
                       error=f"scan run {run_id}: {problem} (log: logs/scan-{run_id}.log)"
                       if problem else None, coverage=coverage_errors(db, [run_id]))


def _run_distributed(
    settings: Settings, db: Database, run_id: int, sources: list[str], datasets: list[str],
    full: bool, incident_id: int | None, timeout: float, console: Console | None,
) -> int:
    from leakprint.scaleout.coordinator import FleetError, RunSpec, run_distributed

    spec = RunSpec(sources, datasets, full, incident_id)
    try:
        return run_distributed(settings, db, run_id, spec, timeout=timeout, console=console)
    except FleetError as exc:
        finish_run(db, run_id, status=RunStatus.FAILED, error=str(exc))
        raise CrawlError(str(exc)) from None
