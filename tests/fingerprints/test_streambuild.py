"""Streaming set builds: a tiny budget (many runs, Bloom bit-range passes) builds the
same set as one in-memory pass; memory follows the budget, not the record count; no
raw value in the temporary files; set files private; integrity checked on open."""

from __future__ import annotations

import json
import os
import stat
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from fingerprints.bloom import BloomFilter
from fingerprints.errors import FingerprintSetError
from fingerprints.fpset import FingerprintSet, FingerprintSetBuilder
from fingerprints.index import ExactIndex, digest_keys, index_file
from fingerprints.integrity import STAMP_FILE
from fingerprints.keyed import FingerprintKey, Hasher
from fingerprints.streambuild import SLACK, BuildPlan, current_rss, parse_memory

NV = 1
KEY = FingerprintKey(bytes(range(7, 39)))
INDEX_ARRAYS = ("keys", "rows", "kinds", "rec_offsets", "rec_keys", "rec_kinds")


def fields(i: int) -> list[tuple[str, str]]:
    out = [
        ("phone", f"+8190{i:08d}"),
        ("email", f"user.{i}@example.jp"),
        ("name", f"山田{i % 97}"),  # shared by many records: equal keys across runs
        ("birthdate", f"19{50 + i % 50:02d}-04-01"),
        ("postal_code", "1050011"),  # shared by every record
    ]
    return out if i % 7 else out[:2]


def all_fields(n: int) -> int:
    return sum(len(fields(i)) for i in range(n))


def build(directory: Path, n: int, **kwargs: object) -> FingerprintSetBuilder:
    # Ignored below: the builder's options pass through as a loose **kwargs.
    builder = FingerprintSetBuilder(directory, "s", KEY, normalizer_version=NV, **kwargs)  # type: ignore[arg-type]
    for i in range(n):
        builder.add_record(f"R{i:06d}", fields(i))
    builder.finish()
    return builder


def test_tiny_budget_builds_the_same_set_as_one_in_memory_pass(tmp_path: Path) -> None:
    n = 6000
    exact = all_fields(n)
    small = build(tmp_path / "small", n, memory=1, expected_fields=exact)
    assert small.stats["runs"] >= 10  # many sorted runs, merged on disk
    assert small.stats["bloom_passes"] >= 5  # the filter is larger than its window
    a = FingerprintSet.open(tmp_path / "small", KEY, normalizer_version=NV)

    # Reference: the whole build in memory, by the non-streaming primitives.
    hasher = Hasher(KEY)
    digests: list[bytes] = []
    rows: list[int] = []
    kinds: list[int] = []
    codes: dict[str, int] = {}
    for i in range(n):
        for kind, value in fields(i):
            digests.append(hasher.digest(kind, value))
            rows.append(i)
            kinds.append(codes.setdefault(kind, len(codes)))
    d = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(-1, 16)
    ref_index = ExactIndex.build(
        digest_keys(d), np.array(rows, dtype="<u4"), np.array(kinds, dtype="u1"), n
    )
    ref_bloom = BloomFilter.build(d, 1e-6, KEY.key_id)
    for name in INDEX_ARRAYS:
        assert np.array_equal(getattr(a.index, name), getattr(ref_index, name)), name
    assert (a.bloom.bits, a.bloom.probes, a.bloom.count) == (
        ref_bloom.bits, ref_bloom.probes, ref_bloom.count
    )
    assert np.array_equal(a.bloom._words, ref_bloom._words)
    assert [a.record_ref(r) for r in (0, 1, n - 1)] == ["R000000", "R000001", f"R{n - 1:06d}"]

    # And the same files as a roomy streaming build (one run, filled as it goes).
    big = build(tmp_path / "big", n, memory=1 << 30, expected_fields=exact)
    assert big.stats == {"runs": 1, "bloom_passes": 0}
    for name in [*(index_file(x) for x in INDEX_ARRAYS), "bloom.bin", "refs.txt"]:
        assert (tmp_path / "small" / name).read_bytes() == (tmp_path / "big" / name).read_bytes()


def test_an_upper_bound_too_low_still_builds_a_correct_filter(tmp_path: Path) -> None:
    n = 500
    build(tmp_path / "s", n, memory=1, expected_fields=10)
    s = FingerprintSet.open(tmp_path / "s", KEY, normalizer_version=NV)
    hits = s.lookup([s.hasher.digest("email", f"user.{i}@example.jp") for i in range(n)])
    assert [h[0].row for h in hits] == list(range(n))
    assert s.bloom.fp_rate < 2e-6


def _peak_traced(directory: Path, n: int, memory: int) -> tuple[int, dict[str, int]]:
    tracemalloc.start()
    try:
        builder = build(directory, n, memory=memory, expected_fields=all_fields(n))
        return tracemalloc.get_traced_memory()[1], builder.stats
    finally:
        tracemalloc.stop()


@pytest.mark.slow  # builds sets large enough to measure memory
def test_memory_follows_the_budget_not_the_record_count(tmp_path: Path) -> None:
    # A budget leaving 512 KiB a share beside this process: a build of 4x the records
    # peaks (numpy and Python allocations) at about the same memory, in more runs
    # and more Bloom windows.
    budget = current_rss() + SLACK + 4 * (512 << 10)
    small, small_stats = _peak_traced(tmp_path / "a", 10_000, budget)
    large, large_stats = _peak_traced(tmp_path / "b", 40_000, budget)
    assert large_stats["runs"] > small_stats["runs"] >= 3
    assert large_stats["bloom_passes"] >= 1
    assert large < 1.5 * small, (small, large)
    # The roomy default keeps the whole build in one run: its peak grows with n.
    roomy, roomy_stats = _peak_traced(tmp_path / "c", 40_000, 1 << 30)
    assert roomy_stats["runs"] == 1
    assert roomy > 2 * large, (roomy, large)


def test_budget_plan_shares_and_minimums() -> None:
    plan = BuildPlan.for_budget(1 << 30, workers=2, base_rss=100 << 20)
    assert plan.run_fields > 1_000_000 and plan.window_bits > 100_000_000
    tiny = BuildPlan.for_budget(1, base_rss=100 << 20)
    assert tiny.run_fields == 1024 and tiny.window_bits == 1 << 16
    assert parse_memory("1G") == 1 << 30 and parse_memory("512M") == 512 << 20
    with pytest.raises(ValueError):
        parse_memory("lots")


PLANTED = [
    ("email", "zyxwv.planted.canary@leakprint-test.invalid"),
    ("name", "髙橋植込花子"),
    ("phone", "+819087654321"),
    ("address", "東京都港区虎ノ門9-9-9"),
]


def test_temporary_runs_hold_no_raw_value(tmp_path: Path) -> None:
    builder = FingerprintSetBuilder(
        tmp_path / "p", "p", KEY, normalizer_version=NV, memory=1
    )
    builder.add_record("REF-PLANTED", PLANTED)
    for i in range(3000):
        builder.add_record(f"R{i}", fields(i))
    tmp_dirs = [p for p in tmp_path.iterdir() if p.name.startswith(".p.tmp-")]
    assert len(tmp_dirs) == 1
    assert stat.S_IMODE(tmp_dirs[0].stat().st_mode) == 0o700
    temp_files = sorted(tmp_dirs[0].iterdir())
    assert any(p.name.startswith("run-") for p in temp_files)
    blob = b"".join(p.read_bytes() for p in temp_files)
    for _, value in PLANTED:
        for enc in ("utf-8", "utf-16-le"):
            assert value.encode(enc) not in blob
    assert b"9087654321" not in blob
    for p in temp_files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
    builder.finish()
    assert [p.name for p in tmp_path.iterdir()] == ["p"]  # the runs are gone


def test_set_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        build(tmp_path / "sets" / "m", 50)
    finally:
        os.umask(old)
    directory = tmp_path / "sets" / "m"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for p in directory.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name


def flip(path: Path, keep_mtime: bool = False) -> None:
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    if keep_mtime:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("name", ["index_keys.npy", "bloom.bin", "refs.txt", "index_rec_keys.npy"])
def test_a_flipped_byte_is_refused_on_open_naming_the_file(tmp_path: Path, name: str) -> None:
    build(tmp_path / "s", 300)
    FingerprintSet.open(tmp_path / "s", KEY, normalizer_version=NV)  # intact: opens
    flip(tmp_path / "s" / name)
    with pytest.raises(FingerprintSetError) as err:
        FingerprintSet.open(tmp_path / "s", KEY, normalizer_version=NV)
    message = str(err.value)
    assert name in message and "damaged" in message and "\n" not in message


def test_the_stamp_spares_the_hashing_and_verify_checks_everything(tmp_path: Path) -> None:
    build(tmp_path / "s", 300)
    d = tmp_path / "s"
    assert (d / STAMP_FILE).is_file()  # written by the import
    # a byte flipped behind the stamp's back (size and mtime kept): open trusts the
    # stamp, verify() reads every byte and refuses it
    flip(d / "index_rows.npy", keep_mtime=True)
    s = FingerprintSet.open(d, KEY, normalizer_version=NV)
    with pytest.raises(FingerprintSetError, match=r"index_rows\.npy is damaged"):
        s.verify()
    # a forged stamp is ignored: it needs the key
    stamp = json.loads((d / STAMP_FILE).read_text())
    stamp["mac"] = "0" * 64
    (d / STAMP_FILE).write_text(json.dumps(stamp))
    with pytest.raises(FingerprintSetError, match=r"index_rows\.npy is damaged"):
        FingerprintSet.open(d, KEY, normalizer_version=NV)


def test_an_edited_manifest_fails_its_mac(tmp_path: Path) -> None:
    build(tmp_path / "s", 100)
    path = tmp_path / "s" / "manifest.json"
    raw = json.loads(path.read_text())
    raw["record_count"] = 99
    path.write_text(json.dumps(raw))
    with pytest.raises(FingerprintSetError, match="integrity check"):
        FingerprintSet.open(tmp_path / "s", KEY, normalizer_version=NV)


def test_a_format_1_set_still_opens(tmp_path: Path) -> None:
    build(tmp_path / "s", 100)
    path = tmp_path / "s" / "manifest.json"
    raw = json.loads(path.read_text())
    raw["format_version"] = 1
    del raw["mac"]
    path.write_text(json.dumps(raw))
    s = FingerprintSet.open(tmp_path / "s", KEY, normalizer_version=NV)
    assert s.record_count == 100
    assert s.verify() == len(raw["files"])
    flip(tmp_path / "s" / "index_keys.npy")
    with pytest.raises(FingerprintSetError, match=r"index_keys\.npy is damaged"):
        FingerprintSet.open(tmp_path / "s", KEY, normalizer_version=NV)
