"""scan_file: byte ranges on line boundaries, several processes, same answer."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from matchers.parallel import _ranges, scan_file
from matchers.result import MatchResult
from matchers.scan import Matcher
from matchers.spawning import main_not_imported
from tests.matchers.factories import KEY, Customer, render_delimited, render_sql


def _key(result: MatchResult) -> set[tuple[str, str, tuple[str, ...], int]]:
    return {(h.ref, h.confidence, h.fields, h.row) for h in result.record_hits}


def test_ranges_end_on_line_breaks(tmp_path: Path) -> None:
    p = tmp_path / "f.txt"
    data = b"".join(b"x" * (i % 50) + b"\n" for i in range(3000))
    p.write_bytes(data)
    ranges = list(_ranges(p, len(data), 1000))
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    for (_, hi, _), (lo, _, skip) in itertools.pairwise(ranges):
        assert hi == lo and data[hi - 1 : hi] == b"\n" and skip == 0


@pytest.mark.parametrize("length", [20_000, 1_000_000, 4_750_000, 6_500_000, 12_250_000,
                                    (16 << 20) + 300])
def test_a_range_is_scanned_in_whole_pieces_without_a_small_last_one(length: int) -> None:
    """Small pieces cost more per byte: a range's last piece is not a sliver."""
    from matchers.parallel import piece_size
    from matchers.pieces import CHUNK_BYTES, line_pieces

    line = b"x" * 149 + b"\n"
    data = line * (length // len(line))
    sizes = [len(piece) for piece, _ in line_pieces([data], piece_size(len(data)))]
    assert sum(sizes) == len(data)
    assert len(sizes) == max(1, round(len(data) / CHUNK_BYTES))
    if len(sizes) > 1:
        assert min(sizes) > CHUNK_BYTES * 2 // 3 and max(sizes) < CHUNK_BYTES * 3 // 2


def test_scan_file_workers_agree(
    tmp_path: Path, set_dir: Path, matcher: Matcher, customers: list[Customer]
) -> None:
    for name, text in (
        ("dump.csv", render_delimited(customers * 3, ",")),
        ("dump.sql", render_sql(customers * 3, multiline=True)),
    ):
        p = tmp_path / name
        data = text.encode("cp932", "replace")
        p.write_bytes(data)
        whole = matcher.scan_bytes(data, name=name)
        one = scan_file(p, set_dir, KEY, workers=1, range_bytes=20_000)
        two = scan_file(p, set_dir, KEY, workers=2, range_bytes=20_000)
        # This process and two spawned workers share the ranges; results in order.
        three = scan_file(p, set_dir, KEY, workers=3, range_bytes=20_000)
        assert _key(one) == _key(two) == _key(three) == _key(whole)
        assert three.bytes_scanned == len(data)
        assert one.bytes_scanned == two.bytes_scanned == len(data)
        assert two.primary_candidates == whole.primary_candidates
        assert two.encoding == "cp932" and two.bulk and two.confidence == "high"


def test_spawned_workers_do_not_run_the_main_script_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ``leakprint`` console script would import the whole CLI in every worker."""
    import multiprocessing as mp
    import sys
    import types

    marker = tmp_path / "ran"
    script = tmp_path / "entry.py"
    script.write_text(f"open({str(marker)!r}, 'a').write('x')\n", encoding="utf-8")
    fake = types.ModuleType("__main__")
    fake.__file__ = str(script)
    fake.__spec__ = None
    monkeypatch.setitem(sys.modules, "__main__", fake)
    with main_not_imported():
        with mp.get_context("spawn").Pool(1) as pool:
            assert pool.apply(len, ("abc",)) == 3
    assert not marker.exists()
    assert fake.__file__ == str(script) and fake.__spec__ is None
    # Without it, spawn runs the script again (what the guard is for).
    with mp.get_context("spawn").Pool(1) as pool:
        pool.apply(len, ("abc",))
    assert marker.exists()


# What a spawned worker of scan_file holds, read in the worker itself: ``eval`` is a
# builtin, so the pool sends it by name and the worker imports nothing for it.
_WORKER_STATE = (
    "(sorted(m for m in __import__('sys').modules if m in {names!r}),"
    " __import__('fingerprints.decode', fromlist=['_'])._scores.cache_info().currsize,"
    " __import__('matchers.parallel', fromlist=['_'])._worker_matcher is not None,"
    " {{v: __import__('os').environ.get(v) for v in {env!r}}},"
    " len(__import__('os').listdir('/proc/self/task'))"
    " if __import__('os').path.isdir('/proc/self/task') else 1)"
)
# Imported by the CLI, the importer or an encoding guess, never by a range scan.
_NOT_IN_A_WORKER = ("rapidfuzz", "fingerprints.fpset", "fingerprints.streambuild",
                    "fingerprints.importer", "numpy.testing", "click", "sqlalchemy")


def test_a_spawned_worker_starts_with_only_what_a_range_scan_needs(
    tmp_path: Path, set_dir: Path, matcher: Matcher, customers: list[Customer]
) -> None:
    """The start-up a spawned worker pays before its first range (issue 13: spawn for
    both pools, no benchmark figure worse): builder modules, the fuzzy header table,
    the encoding scorer and a BLAS thread pool stay out of it, after a range too."""
    import os

    from matchers.parallel import _read_head, _scan_pieces, start_workers
    from matchers.spawning import ONE_THREAD_VARS

    p = tmp_path / "dump.csv"
    data = render_delimited(customers * 3, ",").encode("utf-8")
    p.write_bytes(data)
    before = {v: os.environ.get(v) for v in ONE_THREAD_VARS}
    pool = start_workers(1, set_dir, KEY)
    try:
        assert {v: os.environ.get(v) for v in ONE_THREAD_VARS} == before
        head, start = _read_head(p, len(data), 20_000)
        # The first range is handed to the pool before this process takes any, so
        # the worker has scanned one by the time the result is complete.
        result = _scan_pieces(p, len(data), head, start, matcher, 2, 20_000, pool)
        state = pool.apply(eval, (_WORKER_STATE.format(names=set(_NOT_IN_A_WORKER),
                                                       env=ONE_THREAD_VARS),))
    finally:
        pool.terminate()
    assert _key(result) == _key(matcher.scan_bytes(data, name="dump.csv"))
    imported, scorers, opened, env, threads = state
    assert imported == [] and scorers == 0 and opened
    # The operator's own setting is kept; otherwise one thread, and no BLAS pool.
    assert env == {v: before[v] or "1" for v in ONE_THREAD_VARS}
    if all(before[v] is None for v in ONE_THREAD_VARS):
        assert threads == 1
