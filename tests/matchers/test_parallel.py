"""scan_file: byte ranges on line boundaries, several processes, same answer."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from matchers.parallel import _ranges, main_not_imported, scan_file
from matchers.result import MatchResult
from matchers.scan import Matcher
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
