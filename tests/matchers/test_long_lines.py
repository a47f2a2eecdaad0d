"""A file without line breaks scans in linear time and bounded memory (issue 19 point 16).

No timing assertions (SPEC 9): the work is counted (bytes handed to the matcher,
pieces cut) and the memory measured with ``tracemalloc``; time figures are in
benchmarks/long_lines.py and docs/benchmarks.md.
"""

from __future__ import annotations

import itertools
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchers import scan as scan_module
from matchers.parallel import _ranges, scan_file
from matchers.scan import LINE_OVERLAP, Matcher, line_pieces, safe_cut, scan_stream_many
from tests.matchers.factories import KEY, Customer, one_line


def test_line_pieces_is_linear_and_loses_nothing() -> None:
    data = bytes(range(32, 127)) * 40_000  # 3.8 MB, no line break
    size = 1 << 18
    reads = (data[i : i + 65536] for i in range(0, len(data), 65536))
    pieces = list(line_pieces(reads, size))
    assert all(len(p) <= size for p, _ in pieces)
    # Every byte is in some piece, once when overlaps are taken out …
    assert sum(fresh for _, fresh in pieces) == len(data)
    rebuilt = b"".join(p[len(p) - fresh :] for p, fresh in pieces)
    assert rebuilt == data
    # … and the work is linear: at most the overlap more per window.
    handed = sum(len(p) for p, _ in pieces)
    assert handed <= len(data) * (1 + 2 * min(LINE_OVERLAP, size // 4) / size) + size


def _buffered_pieces(chunks: list[bytes], size: int) -> list[tuple[bytes, int]]:
    """The former ``line_pieces``: one growing buffer, cut at the front (the
    reference the joined-reads version is held to)."""
    from matchers.pieces import CUT_SEARCH

    out: list[tuple[bytes, int]] = []
    buf = bytearray()
    carried = 0
    overlap, search = min(LINE_OVERLAP, size // 4), min(CUT_SEARCH, size // 4)
    for data in chunks:
        buf += data
        while len(buf) >= size:
            cut = buf.rfind(b"\n", 0, size)
            if cut >= 0:
                out.append((bytes(buf[: cut + 1]), cut + 1 - carried))
                del buf[: cut + 1]
                carried = 0
                continue
            end = safe_cut(buf, size, search)
            out.append((bytes(buf[:end]), end - carried))
            start = safe_cut(buf, end - overlap, search)
            del buf[:start]
            carried = end - start
    if buf:
        out.append((bytes(buf), len(buf) - carried))
    return out


_BYTES = st.sampled_from([b"a", b"\n", b" ", b",", "あ".encode(), b"\xe3", b"xyz\n"])


@settings(max_examples=300, deadline=None)
@given(
    reads=st.lists(st.lists(_BYTES, max_size=120).map(b"".join), max_size=12),
    size=st.sampled_from([16, 17, 40, 64, 100, 1000]),
)
def test_line_pieces_is_the_buffered_reference(reads: list[bytes], size: int) -> None:
    """Joined reads sliced give the pieces and fresh counts the growing buffer gave:
    lines, long lines in overlapping windows, empty reads, a read of exactly a piece."""
    got = list(line_pieces(iter(reads), size))
    assert got == _buffered_pieces(reads, size)
    assert all(type(piece) is bytes for piece, _ in got)


@settings(max_examples=300, deadline=None)
@given(
    reads=st.lists(st.lists(_BYTES, max_size=120).map(b"".join), max_size=12),
    size=st.sampled_from([16, 17, 40, 64, 100, 1000]),
)
def test_with_slack_the_last_piece_is_no_sliver(reads: list[bytes], size: int) -> None:
    """``slack`` (a stream of unknown length, as scan_stream reads it): the same
    bytes, every piece but the last at most ``size``, and the last at most ``size +
    slack`` and, after any cut, at least ``slack`` long."""
    slack = size // 2
    got = list(line_pieces(iter(reads), size, slack))
    data = b"".join(reads)
    assert b"".join(p[len(p) - fresh :] for p, fresh in got) == data
    assert all(len(p) <= size for p, _ in got[:-1])
    if got:
        assert len(got[-1][0]) < size + slack
    if len(got) > 1:
        assert len(got[-1][0]) >= slack
    if len(data) < size + slack:
        assert len(got) <= 1  # (read whole: one piece)


def test_a_record_cut_by_a_window_end_is_found_whole(
    matcher: Matcher, customers: list[Customer]
) -> None:
    # Small windows: many cuts; every record is whole in one of the two windows.
    planted = customers[:60]
    data = b"".join(one_line(planted, 1_300_000, every=20_000))
    assert b"\n" not in data
    [result] = scan_stream_many([matcher], [data], piece_bytes=1 << 16)
    got = {h.ref: set(h.fields) for h in result.record_hits}
    for c in planted:
        assert {"phone", "email", "address"} <= got.get(c.ref, set()), c.ref
    assert result.bytes_scanned == len(data)


@pytest.mark.slow  # streams tens of MB to measure memory and work
def test_no_newline_stream_bounded_memory_and_linear_work(
    matcher: Matcher, customers: list[Customer], monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[int] = []
    real = Matcher.chunk_hits

    def counting(self: Matcher, text: str, **kw: object) -> object:
        handed.append(len(text))
        # Ignored below: the wrapped method's options pass through as a loose **kw.
        return real(self, text, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Matcher, "chunk_hits", counting)
    piece = 1 << 18
    peaks = {}
    for size in (2_000_000, 8_000_000):
        handed.clear()
        matcher.scan_stream([b""])  # warm the caches outside the measurement
        tracemalloc.start()
        [result] = scan_stream_many([matcher], one_line(customers[:40], size), piece_bytes=piece)
        peaks[size] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert result.bytes_scanned == size
        assert len(result.record_hits) >= 40
        # Linear work: the text handed to the matcher is the file plus the overlaps.
        assert sum(handed) <= size * (1 + 2 * LINE_OVERLAP / piece) + piece
    # Bounded memory: four times the input, not four times the peak.
    assert peaks[8_000_000] < 1.5 * peaks[2_000_000] + 4 * piece, peaks


def test_parallel_ranges_cut_a_long_line_with_an_overlap(tmp_path: Path) -> None:
    p = tmp_path / "line.txt"
    data = b"abc, " * 200_000 + b"\nend\n"  # 1 MB in one line, then a short one
    p.write_bytes(data)
    ranges = list(_ranges(p, len(data), 50_000))
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert max(hi - lo for lo, hi, _ in ranges) <= 2 * 50_000
    for (_, hi, _), (lo, _, skip) in itertools.pairwise(ranges):
        assert hi - lo == skip  # the next range starts `skip` bytes back
        assert b"\n" not in data[lo:hi]  # … inside the long line


def test_scan_file_of_one_long_line(
    tmp_path: Path, set_dir: Path, customers: list[Customer]
) -> None:
    p = tmp_path / "dump.txt"
    planted = customers[:50]
    p.write_bytes(b"".join(one_line(planted, 1_200_000, every=20_000)))
    result = scan_file(p, set_dir, KEY, workers=1, range_bytes=100_000)
    got = {h.ref: set(h.fields) for h in result.record_hits}
    assert all({"phone", "email", "address"} <= got.get(c.ref, set()) for c in planted)
    assert result.bytes_scanned == p.stat().st_size
    assert scan_module.CHUNK_BYTES == 8 << 20  # untouched
