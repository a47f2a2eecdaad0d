"""The recorder of scan runs: every change of a run's state (its status, error and
counters) is written here, by whichever process works on the run — the CLI or
``serve`` (start, close, timeouts), the crawl's pipeline (progress), a fleet
coordinator (its workers' totals) — and by the reap that closes runs whose process is
gone. Other modules read runs; they never set a status or a counter themselves.

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
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from leakprint.db import Database, ScanRun, ScanRunWorker
from leakprint.runowner import Owner as Owner
from leakprint.runowner import process_started as process_started
from leakprint.runstate import BLIND as BLIND
from leakprint.runstate import COMPLETED as COMPLETED
from leakprint.runstate import RunCounters as RunCounters
from leakprint.runstate import RunStatus as RunStatus

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

log = logging.getLogger(__name__)


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


# ------------------------------------------------------- this process's runs


@dataclass
class _Pending:
    status: RunStatus
    error: str | None
    at: datetime


@dataclass
class _Missed:
    database: str
    incident_id: int
    due: datetime
    reason: str
    sources: list[str]
    datasets: list[str]


class _Ledger:
    """The runs this process works on, and what it could not write yet.

    Keyed by database as well as run id: one process may open several databases (a
    tool, a test session), and a close or a miss kept for one must never be written
    into another, where the same run id names another run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: set[tuple[str, int]] = set()  # (database, run id)
        self.pending: dict[tuple[str, int], _Pending] = {}
        self.missed: list[_Missed] = []


_ledger = _Ledger()


def _where(db: Database) -> str:
    """The database a ledger entry belongs to (its URL, without a password)."""
    return db.engine.url.render_as_string(hide_password=True)


def start_run(db: Database, kind: str, *, datasets: Sequence[str] = (),
              sources: Sequence[str] = (), incident_id: int | None = None) -> int:
    """Create a ``running`` run owned by this process; its id."""
    owner = Owner.current()
    run_id = None
    try:
        with db.session() as session:
            run = ScanRun(kind=kind, datasets=list(datasets), sources=list(sources),
                          incident_id=incident_id, status=RunStatus.RUNNING.value,
                          **RunCounters().columns(), owner_host=owner.host,
                          owner_pid=owner.pid, owner_started=owner.started)
            session.add(run)
            session.flush()
            run_id = run.id
            # In flight before anyone can see the row: this process's own reap (serve's
            # sync thread) must never take it for an abandoned run.
            with _ledger.lock:
                _ledger.in_flight.add((_where(db), run_id))
    except BaseException:
        if run_id is not None:
            with _ledger.lock:
                _ledger.in_flight.discard((_where(db), run_id))
        raise
    return run_id


def finish_run(db: Database, run_id: int, *, status: RunStatus | str = RunStatus.OK,
               error: str | None = None, add: RunCounters | None = None) -> None:
    """Close a run as ``status`` with ``error`` (``None`` clears it); ``add`` is added
    to its counters in the same transaction.

    When the database is away, this process keeps the close (not ``add``) and writes
    it once the database is back (:func:`reap`), then the error goes on to the caller.
    """
    status = RunStatus(status)  # ValueError for a string that is not a status
    if status is RunStatus.RUNNING:
        raise ValueError("status: a run is closed with an end state, not 'running'")
    now = datetime.now(UTC)
    key = (_where(db), run_id)
    try:
        with db.session() as session:
            run = session.get(ScanRun, run_id)
            if run is None:
                return
            if add is not None:
                (RunCounters.of(run) + add).write_to(run)
            run.status = status.value
            run.error = error
            run.finished_at = now
    except Exception as exc:
        if is_outage(exc):
            with _ledger.lock:
                if key in _ledger.in_flight:
                    _ledger.pending[key] = _Pending(status, error, now)
        raise
    finally:
        with _ledger.lock:
            _ledger.in_flight.discard(key)


@dataclass(frozen=True)
class RunView:
    """A run as the process that works on it reads it back."""

    id: int
    status: RunStatus
    error: str | None
    counters: RunCounters


def get_run(db: Database, run_id: int) -> RunView | None:
    """Run ``run_id`` (``None`` when there is no such run)."""
    with db.session() as session:
        run = session.get(ScanRun, run_id)
        if run is None:
            return None
        return RunView(run.id, RunStatus(run.status), run.error, RunCounters.of(run))


def record_progress(db: Database, run_id: int, counters: RunCounters, *,
                    error: str | None = None) -> None:
    """A running crawl's counters so far (they replace the run's); ``error``, when
    given, is what the run will be closed with (documents it could not store)."""
    with db.session() as session:
        run = session.get(ScanRun, run_id)
        if run is None:
            return
        counters.write_to(run)
        if error is not None:
            run.error = error


def record_worker_totals(db: Database, run_id: int) -> tuple[int, str | None]:
    """A distributed run's counters: the sum of its workers' shares (each worker
    writes its own, :mod:`leakprint.scaleout.pipeline`), and the first worker error
    as the run's. Returns (workers, that error)."""
    with db.session() as session:
        rows = list(session.scalars(select(ScanRunWorker)
                                    .where(ScanRunWorker.scan_run_id == run_id)))
        run = session.get(ScanRun, run_id)
        if run is None:
            return 0, None
        sum((RunCounters.of(r) for r in rows), RunCounters()).write_to(run)
        error = next((r.error for r in rows if r.error), None)
        if error:
            run.error = error
        return len(rows), error


def close_crawl(db: Database, run_id: int) -> RunStatus:
    """Close a crawl that ran to its end (local or distributed) and say how:
    ``failed`` when every source was dead or refusing (the crawl ran but saw nothing:
    a watch whose sites are gone must not look merely quiet), ``partial`` when the
    run carries an error (documents that could not be matched or stored), else ``ok``."""
    from leakprint.coverage import coverage_errors

    run = get_run(db, run_id)
    errors = run.counters.errors if run is not None else 0
    docs = run.counters.documents if run is not None else 0
    problem = run.error if run is not None else None
    refused = len(coverage_errors(db, [run_id])) if not docs else 0
    if (errors or refused) and not docs:
        what = _plural(errors, "fetch error") if errors else _plural(refused, "coverage error")
        finish_run(db, run_id, status=RunStatus.FAILED,
                   error=f"no page could be fetched ({what})")
        return RunStatus.FAILED
    status = RunStatus.PARTIAL if problem else RunStatus.OK
    finish_run(db, run_id, status=status, error=problem)
    return status


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def abandon_run(db: Database, run_id: int, reason: str) -> bool:
    """Close run ``run_id`` as ``failed`` (with ``reason``) if this process started
    it and has not closed it — a scan that ended by an exception before it could
    close its run. Kept for later when the database is away; never raises for that.
    True when the run is (or will be) closed by this call or by an earlier close
    still waiting for the database; False when it was closed already."""
    key = (_where(db), run_id)
    with _ledger.lock:
        open_here, kept = key in _ledger.in_flight, key in _ledger.pending
    if open_here:
        try:
            finish_run(db, run_id, status=RunStatus.FAILED, error=reason[:500])
        except Exception as exc:
            if not is_outage(exc):
                raise
    return open_here or kept


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
                      finished_at=now or datetime.now(UTC), **RunCounters().columns(),
                      error=reason[:500])
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
                .values(status=close.status.value, error=close.error, finished_at=close.at))
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
                   ScanRun.status.in_(COMPLETED))
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
