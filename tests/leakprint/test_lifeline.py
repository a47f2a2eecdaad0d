"""Children end with their parent whatever killed it (issue 19 point 17): the crawl
child (its own session, so a signal to the command never reaches it) and the
matcher worker processes of a crawl and of a large-file scan."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.leakprint import sites
from tests.leakprint.helpers import customer_rows
from tests.leakprint.processes import (
    children,
    slow_text,
    wait_for_documents,
    wait_for_log,
    wait_gone,
)
from tests.leakprint.sites import make_deployment, scan_runs

pytestmark = pytest.mark.slow  # scans killed mid-crawl

LEAKPRINT = Path(sys.executable).with_name("leakprint")
ROWS = customer_rows(300)


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        out += kids
        todo += kids
    return out


def _matcher_workers(crawl: int) -> list[int]:
    """The crawl's matcher workers: spawned, they are its children running
    ``spawn_main``; forked by the fork server (``leakprint.matchpool.fork_server``),
    the server's children. Not the server itself, multiprocessing's resource tracker,
    or Playwright's driver."""
    direct = children(crawl)
    out = []
    for pid in _descendants(crawl):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        if b"spawn_main" in cmd or (b"forkserver" in cmd and pid not in direct):
            out.append(pid)
    return out


def test_die_with_parent_ends_a_grandchild_when_its_parent_is_sigkilled(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    grandchild_py = tmp_path / "grandchild.py"
    grandchild_py.write_text(textwrap.dedent(f"""
        import os, sys, time
        from matchers.lifeline import die_with_parent
        assert die_with_parent(int(sys.argv[1]))
        open({str(pidfile)!r}, "w").write(str(os.getpid()))
        time.sleep(120)
    """), encoding="utf-8")
    middle = (
        "import os, subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, {str(grandchild_py)!r}, str(os.getpid())],"
        " start_new_session=True)\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", middle], env={**os.environ})
    try:
        deadline = time.monotonic() + 30
        while not pidfile.exists() or not pidfile.read_text():
            assert time.monotonic() < deadline, "the grandchild never started"
            time.sleep(0.05)
        grandchild = int(pidfile.read_text())
        os.kill(grandchild, 0)  # alive, in its own session
        proc.kill()
        proc.wait()
        wait_gone([grandchild])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture
def slow_site() -> Iterator[tuple[sites.Site, sites.Gate]]:
    gate = sites.Gate(free=4)
    site = sites.start_site(sites.slow_routes(24, 0.4, slow_text, gate))
    yield site, gate
    gate.opened.set()
    sites.stop_site(site)


def _sources(h: Path, site: sites.Site) -> None:
    (h / "sources.toml").write_text(f"""
[[source]]
name = "slow"
kind = "paste"
start_urls = ["{site.url('/list')}"]
follow = ['^/p/\\d+$']
raw = "/p/{{id}}"
""", encoding="utf-8")


@pytest.mark.parametrize("victim", ["cli", "crawl"])
def test_sigkill_ends_the_crawl_and_its_matcher_workers(
    tmp_path: Path, slow_site: tuple[sites.Site, sites.Gate], victim: str
) -> None:
    site, gate = slow_site
    db_url = f"sqlite:///{tmp_path}/lp.db"
    h = tmp_path / "home"
    env = make_deployment(h, db_url, ROWS)
    _sources(h, site)
    proc = subprocess.Popen(
        [str(LEAKPRINT), "--home", str(h), "scan", "--all-sources"],
        env={**os.environ, **env, "LEAKPRINT_MATCH_WORKERS": "2"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_documents(db_url, 3, proc)
        [crawl] = children(proc.pid)
        workers = _descendants(crawl)
        assert len(_matcher_workers(crawl)) >= 2, "no matcher workers"
        if victim == "cli":
            # The command dies on the spot; its crawl is in another session and
            # gets no signal but the one it asked the kernel for.
            proc.kill()
            wait_for_log(h, ("SIGHUP: the process that started this crawl is gone",))
            gate.opened.set()
        else:
            os.kill(crawl, signal.SIGKILL)  # only the crawl: its workers must follow
        wait_gone([crawl, *workers])
        proc.wait(60)
    finally:
        gate.opened.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    [first] = scan_runs(db_url)
    if victim == "cli":
        assert first["status"] == "killed"
        assert first["error"] == "interrupted: the process that started the scan was killed"
    else:
        assert first["status"] == "failed" and "-9" in first["error"]


def test_sigkilled_file_scan_leaves_no_worker(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/lp.db"
    h = tmp_path / "home"
    env = make_deployment(h, db_url, ROWS)
    big = tmp_path / "big.csv"
    line = "鈴木 一郎,スズキ イチロウ,03-0000-0000,nobody@example.com,1980/01/01,東京都\n"
    big.write_text(line * ((24 << 20) // len(line.encode())), encoding="utf-8")
    proc = subprocess.Popen(
        [str(LEAKPRINT), "--home", str(h), "scan", "--file", str(big), "--workers", "2"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(children(proc.pid)) < 2:
            assert proc.poll() is None, "the scan ended before its workers started"
            assert time.monotonic() < deadline, "no worker processes"
            time.sleep(0.05)
        workers = _descendants(proc.pid)
        proc.kill()
        proc.wait()
        wait_gone(workers)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
