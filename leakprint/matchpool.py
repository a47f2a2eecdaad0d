"""Matching and storing off the reactor: worker processes holding the fingerprint sets.

The crawl's item pipeline hands documents to these workers in batches. A worker
matches every document of a batch against each memory-mapped fingerprint set and
stores the documents and findings of the batch in ONE transaction, so the reactor
process does no matching and no per-document database work, and a crawl killed
half-way leaves either a whole batch or nothing (the next scan redoes the rest;
findings are unique per document and dataset, so nothing is duplicated).

The key, the sets' per-set secrets and the database URL reach the workers through
their start-up arguments (a pipe), never a file or the command line. Bodies are
dropped as soon as they are matched; errors are reported by exception type only (a
message could quote text).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import traceback
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import forkserver
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy.exc import IntegrityError, OperationalError

from fingerprints.fpset import FingerprintSet
from fingerprints.keyed import FingerprintKey
from fingerprints.normalizers import NORMALIZER_VERSION
from fingerprints.shred import StaticSecrets
from leakprint.db import Database, open_database
from leakprint.findings import FindingChange
from leakprint.urlsafe import UrlGuard
from matchers.companion import matcher_for
from matchers.lifeline import die_with_parent
from matchers.scan import Matcher, MatchResult
from matchers.spawning import worker_start
from matchers.stream import keep_freed_memory

if TYPE_CHECKING:
    from leakprint.scanning import StoreEntry

logger = logging.getLogger(__name__)

TaskKind = Literal["match", "touch", "seen"]


@dataclass
class DocTask:
    """One document for a worker.

    ``match``: match ``text`` (or ``body`` when there is no extracted text) and store;
    ``touch``: content unchanged (same SHA-256), only refresh last-seen;
    ``seen``: the server answered 304, refresh last-seen of the known document.
    """

    kind: TaskKind
    url: str
    source: str | None
    sha256: str = ""
    size: int = 0
    etag: str | None = None
    last_modified: str | None = None
    body: bytes = field(default=b"", repr=False)
    text: str | None = field(default=None, repr=False)


@dataclass
class DocOutcome:
    url: str  # the full URL: for bookkeeping in memory, never printed
    status: str  # new | changed | unchanged (a 304 too) | error
    changes: list[FindingChange] = field(default_factory=list)
    error: str | None = None
    shown: str = ""  # the redacted URL (SPEC 10.2): what a log line may name


@dataclass
class _Worker:
    matchers: list[Matcher]
    db: Database | None
    guard: UrlGuard


_state: _Worker | None = None


def _init(set_dirs: list[str], key_hex: str, database_url: str | None,
          priority: int | None = None, parent: int | None = None,
          secrets: StaticSecrets | None = None) -> None:
    global _state
    # A worker ends with its parent, whatever killed it (it would otherwise wait on
    # its task queue for ever). Forked by the fork server, its parent is that server,
    # which ends when the crawl does — once no worker holds the server's "alive" pipe
    # any more: a worker starts no process of its own, so it lets go of it first.
    _release_fork_server()
    die_with_parent(parent)
    keep_freed_memory()  # (the worker scans page after page)
    if priority is not None:
        lower_priority(0, priority)
    key = FingerprintKey.from_hex(key_hex)
    matchers = [
        matcher_for(FingerprintSet.open(Path(d), key, normalizer_version=NORMALIZER_VERSION,
                                        secrets=secrets), key)
        for d in set_dirs
    ]
    db = open_database(database_url, migrate_schema=False) if database_url else None
    _state = _Worker(matchers, db, UrlGuard(key, matchers))


def _release_fork_server() -> None:
    """Close this process's end of the fork server's "alive" pipe (a forked worker
    inherits it; the server runs until every end is closed)."""
    server = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if server is not None and fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
        server._forkserver_alive_fd = None


def _match(task: DocTask) -> list[MatchResult]:
    assert _state is not None, "worker not initialised"
    if task.text is not None:
        results = [m.scan_text(task.text, name=task.url) for m in _state.matchers]
    else:
        results = [m.scan_bytes(task.body, name=task.url) for m in _state.matchers]
    return results


def ready() -> int:
    """A no-op task: submitting it starts a worker (and opens the sets) ahead of the
    first document."""
    return len(_state.matchers) if _state is not None else 0


def match_document(body: bytes, text: str | None, name: str) -> list[MatchResult]:
    """Match one document against every loaded set (runs in the worker)."""
    return _match(DocTask("match", name, None, body=body, text=text))


def process_batch(tasks: list[DocTask], run_id: int, incident_id: int | None
                  ) -> list[DocOutcome]:
    """Match a batch of documents and store it in one transaction (runs in the worker)."""
    from leakprint.scanning import StoreEntry

    assert _state is not None and _state.db is not None, "worker not initialised"
    entries: list[StoreEntry] = []
    failed: list[DocOutcome] = []
    for task in tasks:
        results: list[MatchResult] = []
        if task.kind == "match":
            try:
                results = _match(task)
            except Exception as exc:
                failed.append(DocOutcome(task.url, "error", error=_where(exc),
                                         shown=_state.guard.redact(task.url)))
                continue
        task.body, task.text = b"", None
        entries.append(StoreEntry(task.kind, task.url, task.source, task.sha256, task.size,
                                  results, task.etag, task.last_modified))
    stored = _store_with_retry(_state.db, entries, run_id, _state.guard)
    outcomes = [DocOutcome(e.url, status, changes) for e, (status, changes)
                in zip(entries, stored, strict=True)]
    if incident_id is not None:
        from leakprint.incidents import link_changes

        changes = [c for o in outcomes for c in o.changes]
        if changes:
            link_changes(_state.db, incident_id, changes)
    return outcomes + failed


def _where(exc: BaseException) -> str:
    """The exception's type and innermost frame (file:line, function): no message, as a
    message may quote the document."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    last = frames[-1]
    return f"{type(exc).__name__} at {Path(last.filename).name}:{last.lineno} in {last.name}"


def _store_with_retry(db: Database, entries: list[StoreEntry], run_id: int, guard: UrlGuard
                      ) -> list[tuple[str, list[FindingChange]]]:
    from leakprint.scanning import store_batch

    for attempt in range(3):
        try:
            return store_batch(db, entries, run_id, guard)
        except (IntegrityError, OperationalError):
            # Another worker stored the same URL first, or the database was busy:
            # the transaction was rolled back as a whole; try again.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def lower_priority(pid: int, niceness: int) -> None:
    """Set process ``pid`` (0: this one) to ``niceness``, unless it is already that nice."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpriority(os.PRIO_PROCESS, pid) < niceness:
            os.setpriority(os.PRIO_PROCESS, pid, niceness)


class MatchPool(ProcessPoolExecutor):
    """The worker processes, ``nice`` steps below this process in priority.

    Matching then takes the CPU time the crawl leaves: the reactor is never starved
    of a core, and once fetching ends every worker gets one. A worker lowers itself
    when it starts; this process also lowers each new worker the moment it is
    started, so its start-up (opening the sets) is low-priority too.

    Where the platform has one, workers are forked by a fork server
    (:func:`fork_server`) that has imported the matcher and the database layer
    once: ~0.45 s of CPU per worker otherwise (docs/benchmarks.md), which spawned
    workers at the lowest priority could only get once the crawl left a core idle —
    on a busy machine, after the last page was fetched.
    """

    def __init__(self, set_dirs: list[Path], key: FingerprintKey, workers: int,
                 database_url: str | None, nice: int,
                 secrets: StaticSecrets | None = None) -> None:
        self.priority = min(19, os.getpriority(os.PRIO_PROCESS, 0) + nice) if nice > 0 else None
        self._lowered: set[int] = set()
        self.workers = workers
        server = fork_server()
        self.forked = server is not None
        context = multiprocessing.get_context("spawn" if server is None else "forkserver")
        super().__init__(
            max_workers=workers, mp_context=context,
            initializer=_init,
            initargs=([str(d) for d in set_dirs], key.raw.hex(), database_url, self.priority,
                      os.getpid() if server is None else server, secrets),
        )

    def start_in_background(self) -> Future[None] | None:
        """:meth:`start_workers` in a new thread, its outcome in the future returned;
        None for spawned workers (those start with the first tasks submitted, from a
        thread that lives as long as they do: ``matchers.lifeline``)."""
        if not self.forked:
            return None
        future: Future[None] = Future()

        def run() -> None:
            try:
                self.start_workers()
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(None)

        threading.Thread(target=run, name="leakprint-matchers-start", daemon=True).start()
        return future

    def start_workers(self) -> None:
        """Start every worker now (each opens the sets) rather than with the first
        batch. Blocks while the fork server is still importing: call it from a thread
        other than the reactor's (the fork server, not that thread, is the workers'
        parent; spawned workers are started by the first batches instead)."""
        if not self.forked:
            return
        # First a throwaway child, outside the pool's lock: it waits for the server
        # to finish importing, so a batch the reactor submits meanwhile never does.
        with worker_start():
            probe = multiprocessing.get_context("forkserver").Process(target=ready, daemon=True)
            probe.start()
        probe.join()
        for future in [self.submit(ready) for _ in range(self.workers)]:
            future.result()

    def _adjust_process_count(self) -> None:
        # (A private hook of ProcessPoolExecutor, where it starts processes; were it
        # ever renamed, the workers would still lower themselves in ``_init``.)
        # The crawl's own main module (scrapy's) is not run again in each worker, and
        # numpy's BLAS starts no thread pool there (matchers.spawning).
        with worker_start():
            super()._adjust_process_count()
        if self.priority is not None:
            for pid in set(getattr(self, "_processes", None) or ()) - self._lowered:
                lower_priority(pid, self.priority)
                self._lowered.add(pid)


#: What the fork server imports before it forks anyone: what a worker runs.
FORK_SERVER_PRELOAD = ["leakprint.matchpool"]


def fork_server() -> int | None:
    """The process id of this process's fork server, started if need be (it imports
    ``FORK_SERVER_PRELOAD`` in the background), or None where there is none (then
    workers are spawned). The server is a fresh interpreter started from no thread
    of ours, so forking from it is safe beside the reactor; it ends when this process
    and every worker holding its "alive" pipe are gone (``_release_fork_server``)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    server = getattr(forkserver, "_forkserver", None)
    if server is None:
        return None
    forkserver.set_forkserver_preload(FORK_SERVER_PRELOAD)
    # Started like a worker: one math thread, not this program's __main__.
    with worker_start():
        forkserver.ensure_running()
    pid = getattr(server, "_forkserver_pid", None)
    return pid if isinstance(pid, int) else None


def start_pool(set_dirs: list[Path], key: FingerprintKey, workers: int = 1,
               database_url: str | None = None, nice: int = 0,
               secrets: StaticSecrets | None = None) -> MatchPool:
    """A process pool whose workers have the sets open (forked by a fork server, or
    spawned: safe beside the reactor either way), each ``nice`` steps lower in
    scheduling priority. ``secrets``: the sets' per-set secrets
    (``leakprint.setsecrets.snapshot``), passed like the key."""
    return MatchPool(set_dirs, key, workers, database_url, nice, secrets)
