"""The matcher processes of the crawl pipeline: how many, and at what priority."""

from __future__ import annotations

import os
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
