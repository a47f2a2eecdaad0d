"""Scan runs left ``running`` by a process that died: closed by the next scan or serve
only when their process is provably gone (issue 19 point 17, issue 18 point 6)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from leakprint.db import ScanRun, open_database
from leakprint.runs import (
    Owner,
    RunStatus,
    finish_run,
    note_missed,
    process_started,
    reap,
    start_run,
)
from tests.leakprint.helpers import customer_rows, run
from tests.leakprint.processes import stop_process
from tests.leakprint.sites import make_deployment, scan_runs

pytestmark = pytest.mark.slow  # `leakprint scan` processes, some killed

LEAKPRINT = Path(sys.executable).with_name("leakprint")


@pytest.fixture
def deployed(tmp_path: Path, db_url: str) -> tuple[Path, dict[str, str], str]:
    """A deployment with 20 customers imported: (folder, CLI environment, database URL)."""
    h = tmp_path / "home"
    env = make_deployment(h, db_url, customer_rows(20))
    return h, env, db_url


def _wait_running(db_url: str, proc: subprocess.Popen[bytes], n: int = 1) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the scan ended early"
        if sum(r["status"] == "running" for r in scan_runs(db_url)) >= n:
            return
        time.sleep(0.1)
    raise AssertionError("no running scan run")


def _stdin_scan(h: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # A scan of standard input holds its run open until its input ends.
    return subprocess.Popen([str(LEAKPRINT), "--home", str(h), "scan", "--file", "-"],
                            env={**os.environ, **env}, stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_sigkilled_scan_is_marked_killed_by_the_next_scan_never_while_alive(
    deployed: tuple[Path, dict[str, str], str], tmp_path: Path
) -> None:
    h, env, db_url = deployed
    clean = tmp_path / "clean.txt"
    clean.write_text("nothing to see\n", encoding="utf-8")
    proc = _stdin_scan(h, env)
    try:
        _wait_running(db_url, proc)
        [first] = scan_runs(db_url)
        assert first["owner_pid"] == proc.pid and first["owner_host"] == socket.gethostname()
        # The owner is alive: another scan leaves its run alone.
        assert run(h, "scan", "--file", str(clean), env=env).exit_code == 0
        assert scan_runs(db_url)[0]["status"] == "running"
        proc.kill()
        proc.wait()
        assert scan_runs(db_url)[0]["status"] == "running"  # nobody closed it
        assert run(h, "scan", "--file", str(clean), env=env).exit_code == 0
    finally:
        stop_process(proc)
    runs = scan_runs(db_url)
    assert runs[0]["status"] == "killed"
    assert runs[0]["error"] == (
        f"the process that ran the scan (pid {proc.pid}) ended without closing it")
    assert runs[0]["finished_at"] is not None
    assert [r["status"] for r in runs[1:]] == ["ok", "ok"]


def _row(db_url: str, **owner: object) -> int:
    db = open_database(db_url, migrate_schema=False)
    try:
        with db.session() as session:
            r = ScanRun(kind="file", status="running", pages=0, bytes=0, errors=0, docs_new=0,
                        docs_changed=0, docs_unchanged=0, findings_new=0, findings_updated=0,
                        **owner)
            session.add(r)
            session.flush()
            return r.id
    finally:
        db.close()


def test_reap_knows_a_reused_pid_from_its_owner_and_leaves_others_alone(
    deployed: tuple[Path, dict[str, str], str]
) -> None:
    _h, _env, db_url = deployed
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        me = Owner.current()
        alive = _row(db_url, owner_host=me.host, owner_pid=sleeper.pid,
                     owner_started=process_started(sleeper.pid))
        # The same pid, but another process (it started at another time): reused pid.
        reused = _row(db_url, owner_host=me.host, owner_pid=sleeper.pid,
                      owner_started="other-boot:1")
        elsewhere = _row(db_url, owner_host=me.host + "-other", owner_pid=sleeper.pid + 1,
                         owner_started="x:1")
        legacy = _row(db_url)  # written before owners were recorded
        mine_lost = _row(db_url, owner_host=me.host, owner_pid=me.pid,
                         owner_started=me.started)  # ours, but no scan of ours has it
        db = open_database(db_url, migrate_schema=False)
        try:
            mine_live = start_run(db, "file")
            reaped = reap(db)
            assert sorted(reaped.closed) == sorted([reused, mine_lost])
            finish_run(db, mine_live)
        finally:
            db.close()
        status = {r["id"]: (r["status"], r["error"]) for r in scan_runs(db_url)}
        assert status[alive] == ("running", None)
        assert status[elsewhere] == ("running", None)
        assert status[legacy] == ("running", None)
        assert status[reused][0] == "killed"
        assert status[mine_lost] == ("failed", "its scan ended without closing it")
        assert status[mine_live] == ("ok", None)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_close_or_a_miss_that_could_not_be_written_is_written_when_the_db_is_back(
    deployed: tuple[Path, dict[str, str], str], tmp_path: Path
) -> None:
    _h, _env, db_url = deployed
    if not db_url.startswith("sqlite"):
        pytest.skip("the outage is made by moving the SQLite file away")
    db = open_database(db_url, migrate_schema=False)
    path = Path(db_url.removeprefix("sqlite:///"))
    try:
        run_id = start_run(db, "sources")
        db.close()
        hidden = path.with_name("away.db")
        path.rename(hidden)
        path.mkdir()  # the database cannot be opened at all: an outage
        with pytest.raises(sa.exc.OperationalError):
            finish_run(db, run_id, status=RunStatus.FAILED, error="crawl exited with status 1")
        due = datetime.now(UTC) - timedelta(minutes=1)
        note_missed(db, 7, due, "database unreachable: connection refused", sources=["forum"])
        with pytest.raises(sa.exc.OperationalError):
            reap(db)  # still away: nothing is lost
        path.rmdir()
        hidden.rename(path)
        reaped = reap(db)
        assert reaped.closed == [run_id] and len(reaped.missed) == 1
        assert reap(db).closed == []  # written once
    finally:
        db.close()
    runs = {r["id"]: r for r in scan_runs(db_url)}
    assert (runs[run_id]["status"], runs[run_id]["error"]) == (
        "failed", "crawl exited with status 1")
    missed = runs[reaped.missed[0]]
    assert missed["status"] == "missed" and missed["incident_id"] is None  # no incident 7
    assert missed["error"] == "database unreachable: connection refused"


def test_sigkilled_owner_found_gone_by_process_start_time() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    owner = Owner(socket.gethostname(), proc.pid, process_started(proc.pid))
    assert not owner.is_gone()
    os.kill(proc.pid, signal.SIGKILL)
    # A zombie (not yet waited for) has ended too.
    deadline = time.monotonic() + 10
    while not owner.is_gone() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert owner.is_gone()
    proc.wait()
    assert owner.is_gone()


def test_what_one_database_could_not_write_never_lands_in_another(tmp_path: Path) -> None:
    """The ledger of unwritten closes and misses is per database: a process that opens
    two (a test session, a tool) must not write one's run into the other."""
    a = open_database(f"sqlite:///{tmp_path}/a.db")
    b = open_database(f"sqlite:///{tmp_path}/b.db")
    try:
        due = datetime.now(UTC) - timedelta(minutes=1)
        note_missed(a, 3, due, "database unreachable: connection refused")
        assert reap(b).missed == []
        assert reap(a).missed != []
        assert reap(a).missed == []  # written once
        with b.session() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(ScanRun)) == 0
    finally:
        a.close()
        b.close()
