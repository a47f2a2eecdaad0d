"""Scan run states in one place: who owns a run, how it ends, and who closes it when
its process could not.

A run is ``running`` while a process works on it. It is closed by that process
(``ok``, ``partial``, ``failed`` or ``killed``), or, when that process is gone
without closing it (SIGKILL, a crash, the machine lost power), by the next scan or
``serve``, which marks it ``killed`` — but only when the process that owns it is
provably gone: every run records its owner's host, pid and start time (pids are
reused; the start time since boot, with the boot id, is not), and a run owned by a
live process, or by another host, is never touched.

While the database is away, a run's end cannot be written: the owning process keeps
it (``failed`` with the reason, or the status it had reached) and writes it when the
database is back; a scheduled scan that could not even start is recorded the same
way as ``missed``. Those two are the only state this module keeps in the process
(the process's own runs, like its pid); nothing here is a setting.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from leakprint.db import Database, ScanRun

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

log = logging.getLogger(__name__)


class RunStatus(StrEnum):
    """The states of a scan run."""

    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"  # scanned, but covered less than asked
    FAILED = "failed"
    KILLED = "killed"  # stopped, or its process died without closing it
    MISSED = "missed"  # due, but could not start (the database was away)


#: Runs that saw nothing they were asked to see: an incident's watch was blind.
BLIND: tuple[str, ...] = (RunStatus.FAILED, RunStatus.KILLED, RunStatus.MISSED)


def is_outage(exc: BaseException) -> bool:
    """Is ``exc`` the database being unreachable (not a bug in a query)?"""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def outage_reason(exc: BaseException) -> str:
    """One line saying why the database could not be used (the driver's first line,
    never the statement or its parameters)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return text[0][:200] if text and text[0] else type(exc).__name__


# ----------------------------------------------------------------- processes

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def _boot_id() -> str:
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return ""


def process_started(pid: int) -> str | None:
    """When process ``pid`` started (boot id and clock ticks since boot), or ``None``
    when there is no such (live) process. Outside Linux: ``"?"`` for any live pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return _probe(pid)
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):  # ended; only its parent has not reaped it yet
        return None
    return f"{_boot_id()}:{fields[19]}"  # field 22 of stat(5): starttime


def _probe(pid: int) -> str | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return "?"


@dataclass(frozen=True)
class Owner:
    """The process that owns a run."""

    host: str
    pid: int
    started: str | None

    @classmethod
    def current(cls) -> Owner:
        pid = os.getpid()
        return cls(socket.gethostname(), pid, process_started(pid))

    def is_gone(self) -> bool:
        """True only when this process has certainly ended (same host, and no live
        process with its pid and start time). Another host's process: never."""
        if self.host != socket.gethostname():
            return False
        now = process_started(self.pid)
        if now is None:
            return True
        return bool(self.started) and now != "?" and self.started != "?" and now != self.started


# ------------------------------------------------------- this process's runs


@dataclass
class _Pending:
    status: str
    error: str | None
    at: datetime
    thread: int


@dataclass
class _Missed:
    database: str
    incident_id: int
    due: datetime
    reason: str
    sources: list[str]
    datasets: list[str]


class _Ledger:
    """The runs this process works on (by thread), and what it could not write yet.

    Keyed by database as well as run id: one process may open several databases (a
    tool, a test session), and a close or a miss kept for one must never be written
    into another, where the same run id names another run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: dict[tuple[str, int], int] = {}  # (database, run id) → thread id
        self.pending: dict[tuple[str, int], _Pending] = {}
        self.missed: list[_Missed] = []


_ledger = _Ledger()


def _where(db: Database) -> str:
    """The database a ledger entry belongs to (its URL, without a password)."""
    return db.engine.url.render_as_string(hide_password=True)


def start_run(db: Database, kind: str, *, datasets: Sequence[str] = (),
              sources: Sequence[str] = (), incident_id: int | None = None) -> int:
    """Create a ``running`` run owned by this process (and this thread); its id."""
    owner = Owner.current()
    run_id = None
    try:
        with db.session() as session:
            run = ScanRun(kind=kind, datasets=list(datasets), sources=list(sources),
                          incident_id=incident_id, status=RunStatus.RUNNING.value, pages=0,
                          bytes=0, errors=0, docs_new=0, docs_changed=0, docs_unchanged=0,
                          findings_new=0, findings_updated=0, owner_host=owner.host,
                          owner_pid=owner.pid, owner_started=owner.started)
            session.add(run)
            session.flush()
            run_id = run.id
            # In flight before anyone can see the row: this process's own reap (serve's
            # sync thread) must never take it for an abandoned run.
            with _ledger.lock:
                _ledger.in_flight[_where(db), run_id] = threading.get_ident()
    except BaseException:
        if run_id is not None:
            with _ledger.lock:
                _ledger.in_flight.pop((_where(db), run_id), None)
        raise
    return run_id


def finish_run(db: Database, run_id: int, *, status: str = RunStatus.OK,
               error: str | None = None, **counts: int) -> None:
    """Close a run (``counts`` are added to its counters).

    When the database is away, this process keeps the close and writes it once the
    database is back (:func:`reap`), then the error goes on to the caller.
    """
    now = datetime.now(UTC)
    key = (_where(db), run_id)
    try:
        with db.session() as session:
            run = session.get(ScanRun, run_id)
            if run is None:
                return
            for name, value in counts.items():
                setattr(run, name, getattr(run, name) + value)
            run.status = str(status)
            run.error = error
            run.finished_at = now
    except Exception as exc:
        if is_outage(exc):
            with _ledger.lock:
                if key in _ledger.in_flight:
                    _ledger.pending[key] = _Pending(str(status), error, now,
                                                    _ledger.in_flight[key])
        raise
    finally:
        with _ledger.lock:
            _ledger.in_flight.pop(key, None)


def abandon_thread_runs(db: Database, reason: str) -> list[int]:
    """Close as ``failed`` (with ``reason``) the runs this thread started and did not
    close — a scan that ended by an exception before it could close its run. Kept
    for later when the database is away; never raises for that. Returns those runs
    and the thread's runs whose close is still waiting for the database."""
    me, where = threading.get_ident(), _where(db)
    with _ledger.lock:
        mine = [r for (d, r), t in _ledger.in_flight.items() if t == me and d == where]
        kept = [r for (d, r), p in _ledger.pending.items() if p.thread == me and d == where]
    for run_id in mine:
        try:
            finish_run(db, run_id, status=RunStatus.FAILED, error=reason[:500])
        except Exception as exc:
            if not is_outage(exc):
                raise
    return mine + kept


def note_missed(db: Database, incident_id: int, due: datetime, reason: str, *,
                sources: Sequence[str] = (), datasets: Sequence[str] = ()) -> None:
    """A scheduled scan that could not start (``db`` was away): recorded as a
    ``missed`` run by the next :func:`reap` of that database that can write."""
    with _ledger.lock:
        _ledger.missed.append(_Missed(_where(db), incident_id, due, reason[:500],
                                      list(sources), list(datasets)))


def record_missed(db: Database, incident_id: int, due: datetime, reason: str, *,
                  sources: Sequence[str] = (), datasets: Sequence[str] = (),
                  now: datetime | None = None) -> int:
    """Write a ``missed`` run for a scan that was due at ``due``; its id."""
    from leakprint.db import Incident

    with db.session() as session:
        incident = session.get(Incident, incident_id)
        if incident is not None:
            sources = sources or list(incident.sources)
            datasets = datasets or list(incident.datasets)
        run = ScanRun(kind="sources", datasets=list(datasets), sources=list(sources),
                      incident_id=incident_id if incident is not None else None,
                      status=RunStatus.MISSED.value, started_at=due,
                      finished_at=now or datetime.now(UTC), pages=0, bytes=0, errors=0,
                      docs_new=0, docs_changed=0, docs_unchanged=0, findings_new=0,
                      findings_updated=0, error=reason[:500])
        session.add(run)
        session.flush()
        return run.id


@dataclass
class Reaped:
    """What :func:`reap` closed or recorded: run ids, and the incidents they belong to."""

    closed: list[int]
    missed: list[int]
    incidents: set[int]


def reap(db: Database, *, now: datetime | None = None) -> Reaped:
    """Close the runs nobody else will: this process's closes and misses that could
    not be written while the database was away, and runs left ``running`` by a
    process that is gone (``killed``). A run of a live process — or of another
    host, or of a run without an owner (written before owners were recorded) — is
    left alone. Raises when the database is still away (nothing is lost)."""
    now = now or datetime.now(UTC)
    out = Reaped([], [], set())
    where = _where(db)
    with _ledger.lock:
        pending = {r: close for (d, r), close in _ledger.pending.items() if d == where}
        missed = [m for m in _ledger.missed if m.database == where]
    for run_id, close in pending.items():
        with db.session() as session:
            session.execute(
                update(ScanRun)
                .where(ScanRun.id == run_id, ScanRun.status == RunStatus.RUNNING.value)
                .values(status=close.status, error=close.error, finished_at=close.at))
            incident = session.scalar(select(ScanRun.incident_id).where(ScanRun.id == run_id))
        with _ledger.lock:
            _ledger.pending.pop((where, run_id), None)
        out.closed.append(run_id)
        if incident is not None:
            out.incidents.add(incident)
    for miss in missed:
        out.missed.append(record_missed(db, miss.incident_id, miss.due, miss.reason,
                                        sources=miss.sources, datasets=miss.datasets, now=now))
        out.incidents.add(miss.incident_id)
        with _ledger.lock:
            _ledger.missed.remove(miss)
    me = Owner.current()
    with db.session() as session:
        running = session.execute(
            select(ScanRun.id, ScanRun.incident_id, ScanRun.owner_host, ScanRun.owner_pid,
                   ScanRun.owner_started)
            .where(ScanRun.status == RunStatus.RUNNING.value)).all()
    with _ledger.lock:
        in_flight = {r for d, r in _ledger.in_flight if d == where}
    for run_id, incident, host, pid, started in running:
        if pid is None or host is None:
            continue
        owner = Owner(host, pid, started)
        if owner == me:
            if run_id in in_flight:
                continue
            status, error = RunStatus.FAILED, "its scan ended without closing it"
        elif owner.is_gone():
            status, error = RunStatus.KILLED, (
                f"the process that ran the scan (pid {pid}) ended without closing it")
        else:
            continue
        with db.session() as session:
            result = cast("CursorResult[Any]", session.execute(
                update(ScanRun)
                .where(ScanRun.id == run_id, ScanRun.status == RunStatus.RUNNING.value)
                .values(status=status.value, error=error, finished_at=now)))
            done = result.rowcount
        if done:
            log.warning("scan run %s: %s; marked %s", run_id, error, status.value)
            out.closed.append(run_id)
            if incident is not None:
                out.incidents.add(incident)
    return out


def reap_and_notify(db: Database) -> Reaped:
    """:func:`reap`, then queue the scan notices the closed runs call for."""
    from leakprint.notices import note_scan_health

    reaped = reap(db)
    for incident_id in sorted(reaped.incidents):
        note_scan_health(db, incident_id)
    return reaped


def blind_runs(db: Database, incident_id: int) -> list[dict[str, object]]:
    """The incident's failed, killed and missed scan runs since its last good one
    (oldest first): what a responder must know the watch did not see."""
    with db.session() as session:
        last_good = session.scalar(
            select(ScanRun.id)
            .where(ScanRun.incident_id == incident_id,
                   ScanRun.status.in_((RunStatus.OK.value, RunStatus.PARTIAL.value)))
            .order_by(ScanRun.id.desc())
            .limit(1)) or 0
        rows = session.scalars(
            select(ScanRun)
            .where(ScanRun.incident_id == incident_id, ScanRun.id > last_good,
                   ScanRun.status.in_(BLIND))
            .order_by(ScanRun.started_at, ScanRun.id)).all()
        return [{"scan_run": r.id, "status": r.status,
                 "at": (r.started_at).isoformat(timespec="seconds"),
                 "error": r.error} for r in rows]
