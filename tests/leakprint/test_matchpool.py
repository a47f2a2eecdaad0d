"""The matcher processes of the crawl pipeline: how many, and at what priority."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.settings import Settings

from leakprint.matchpool import match_document, start_pool
from leakprint.pipeline import (
    MATCH_NICE,
    MAX_MATCH_WORKERS,
    PipelineConfig,
    default_match_workers,
)
from tests.leakprint.processes import stop_process, wait_gone
from tests.matchers.factories import KEY, build_set, make_customers

pytestmark = pytest.mark.slow  # spawns matcher processes


def niceness() -> int:
    """A worker task: the niceness the worker runs at."""
    return os.getpriority(os.PRIO_PROCESS, 0)


def test_workers_match_at_lowered_priority(tmp_path: Path) -> None:
    customers = make_customers(20, seed=3)
    build_set(tmp_path / "set", customers)
    base = os.nice(0)
    with start_pool([tmp_path / "set"], KEY, workers=2, nice=5) as pool:
        levels = {pool.submit(niceness).result(timeout=120) for _ in range(4)}
        text = f"名前,電話番号\n{customers[0].name},{customers[0].phone}\n"
        [result] = pool.submit(match_document, b"", text, "t.csv").result(timeout=120)
    assert levels == {min(base + 5, 19)}
    assert [h.ref for h in result.record_hits] == [customers[0].ref]


def test_workers_are_lowered_as_soon_as_they_are_spawned(tmp_path: Path) -> None:
    """Their start-up (a fresh interpreter importing the matcher, ~1 s) already runs
    at the lower priority: the pool lowers each one the moment it starts it."""
    build_set(tmp_path / "set", make_customers(5, seed=4))
    base = os.nice(0)
    with start_pool([tmp_path / "set"], KEY, workers=2, nice=7) as pool:
        futures = [pool.submit(niceness) for _ in range(2)]
        # Right after submit: the workers are still starting up (far from their
        # initializer), yet already lowered.
        pids = list(pool._processes)
        assert len(pids) == 2
        assert {os.getpriority(os.PRIO_PROCESS, pid) for pid in pids} == {min(base + 7, 19)}
        assert {f.result(timeout=120) for f in futures} == {min(base + 7, 19)}


def test_default_is_every_core_at_the_lowest_priority(tmp_path: Path) -> None:
    config = PipelineConfig.from_settings(
        Settings({"LEAKPRINT_HOME": str(tmp_path), "LEAKPRINT_SCAN_ID": "1"})
    )
    assert config.workers == default_match_workers() == min(os.cpu_count() or 1, 8)
    assert MAX_MATCH_WORKERS == 8
    assert config.nice == MATCH_NICE == 19
    custom = PipelineConfig.from_settings(Settings({
        "LEAKPRINT_HOME": str(tmp_path), "LEAKPRINT_SCAN_ID": "1",
        "LEAKPRINT_MATCH_WORKERS": "3", "LEAKPRINT_MATCH_NICE": "0",
    }))
    assert (custom.workers, custom.nice) == (3, 0)


def parent_command() -> str:
    """A worker task: the command line of the process that started the worker."""
    return Path(f"/proc/{os.getppid()}/cmdline").read_bytes().replace(b"\0", b" ").decode()


POOL_OWNER = """
import os, sys, time
from pathlib import Path
from tests.matchers.factories import KEY
from leakprint.matchpool import start_pool

pool = start_pool([Path(sys.argv[1])], KEY, workers=2, nice=5)
pool.start_workers()
print(" ".join(str(p) for p in pool._processes), flush=True)
time.sleep(120)
"""


def test_forked_workers_die_with_the_process_that_started_the_pool(tmp_path: Path) -> None:
    """Workers are forked by a fork server (the matcher and database layer imported
    once there, not in every worker); when the process owning the pool is SIGKILLed,
    the server and every worker end too (the workers let go of the server's "alive"
    pipe, so the server sees the owner gone; then the kernel ends the workers)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork server on this platform")
    build_set(tmp_path / "set", make_customers(5, seed=5))
    proc = subprocess.Popen([sys.executable, "-c", POOL_OWNER, str(tmp_path / "set")],
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
    try:
        assert proc.stdout is not None
        workers = [int(p) for p in proc.stdout.readline().split()]
        assert len(workers) == 2
        servers = {int(Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()[1])
                   for w in workers}
        assert len(servers) == 1 and proc.pid not in servers  # forked by one server
        proc.kill()
        proc.wait()
        wait_gone([*servers, *workers])
    finally:
        stop_process(proc)


def test_forked_workers_start_with_the_matcher_imported(tmp_path: Path) -> None:
    """The fork server imports the matcher and the database layer before it forks
    (its command line lists what it preloads), so a worker need not."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork server on this platform")
    build_set(tmp_path / "set", make_customers(5, seed=6))
    with start_pool([tmp_path / "set"], KEY, workers=1) as pool:
        assert pool.forked
        command = pool.submit(parent_command).result(timeout=120)
    assert "multiprocessing.forkserver" in command and "leakprint.matchpool" in command
