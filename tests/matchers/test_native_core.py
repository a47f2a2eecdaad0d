"""Findings are identical with the native core and with the Python reference
(issue 15: ``LEAKPRINT_PURE_PYTHON=1`` must change nothing but the speed).

Every layout and encoding, real customers written every way leaks write them among
decoys and rows mixing several people; a fresh matcher per core, so no value cache
carries an answer from one core to the other.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.fpset import FingerprintSet
from matchers.result import MatchResult
from matchers.scan import Matcher
from tests.matchers.factories import RENDERERS, Customer, mixed_rows

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")


def _both(fpset: FingerprintSet, data: bytes | str) -> tuple[MatchResult, MatchResult]:
    out = []
    for core in (True, False):
        with native.use(core):
            m = Matcher(fpset)
            out.append(m.scan_bytes(data) if isinstance(data, bytes) else m.scan_text(data))
    return out[0], out[1]


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
@pytest.mark.parametrize("encoding", ["utf-8", "cp932", "euc_jp", "utf-16"])
def test_same_findings_every_layout_and_encoding(
    fpset: FingerprintSet,
    customers: list[Customer],
    decoys: list[Customer],
    fmt: str,
    encoding: str,
) -> None:
    rnd = random.Random(f"{fmt}/{encoding}")
    people = rnd.sample(customers, 25) + rnd.sample(decoys, 40)
    people += mixed_rows(customers, decoys, 10, seed=3)
    rnd.shuffle(people)
    text = RENDERERS[fmt](people)
    if not _encodable(text, encoding):
        text = text.encode(encoding, "replace").decode(encoding)
    native_result, reference = _both(fpset, text.encode(encoding))
    assert native_result == reference
    assert reference.record_hits  # the comparison is about something


@given(
    picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=12),
    fmt=st.sampled_from(sorted(RENDERERS)),
    noise=st.text(alphabet="０１２３４５６７８９ー－―‐〜山田花子やまだヤマダｱｲｳ 　\n,、。〒@＠",
                  max_size=80),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_same_findings_on_generated_documents(
    fpset: FingerprintSet,
    customers: list[Customer],
    decoys: list[Customer],
    picks: list[int],
    fmt: str,
    noise: str,
) -> None:
    pool = customers + decoys
    people = [pool[i % len(pool)] for i in picks]
    text = noise + "\n" + RENDERERS[fmt](people) + noise
    native_result, reference = _both(fpset, text)
    assert native_result == reference


def test_same_findings_on_the_benchmark_clean_dump(
    tmp_path: Path, fpset: FingerprintSet, customers: list[Customer]
) -> None:
    """The clean dump of ``benchmarks/scan_throughput.py`` (a few chunks' worth of its
    rows: every column fast path and line shape the file-scan benchmark meets)."""
    from benchmarks.scan_throughput import generate, scan_one_process

    dump = tmp_path / "dump.csv"
    generate(dump, 0.6, customers[:300])
    got = []
    for core in (True, False):
        with native.use(core):
            got.append(scan_one_process(dump, Matcher(fpset)))
    assert got[0] == got[1]
    assert isinstance(got[1], MatchResult) and got[1].record_hits
