"""The numpy Bloom filter: no false negatives, the target FP rate, a safe file format."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from fingerprints import bloom
from fingerprints.bloom import HEADER_SIZE, BloomFilter, parameters
from fingerprints.errors import FingerprintSetError

KEY_ID = "0123456789abcdef"


def random_digests(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 16), dtype=np.uint8)


@pytest.fixture(scope="module")
def members() -> np.ndarray:
    return random_digests(200_000, seed=1)


@pytest.fixture(scope="module")
def filt(members: np.ndarray) -> BloomFilter:
    return BloomFilter.build(members, 1e-6, KEY_ID)


def test_parameters_follow_the_optimal_formulas() -> None:
    m, k = parameters(1_000_000, 1e-6)
    assert m == math.ceil(-1_000_000 * math.log(1e-6) / math.log(2) ** 2)
    assert k == 20


def test_no_false_negatives(filt: BloomFilter, members: np.ndarray) -> None:
    assert filt.contains(members).all()


def test_false_positive_rate_on_a_million_non_members(filt: BloomFilter) -> None:
    # Expected about 1 per 1M at p = 1e-6; 10 is a correctness bound, not luck.
    assert int(filt.contains(random_digests(1_000_000, seed=2)).sum()) <= 10


def test_bits_per_element_within_1_5x_of_theory(filt: BloomFilter) -> None:
    theory = -math.log(1e-6) / math.log(2) ** 2  # 28.76
    assert theory <= filt.bits_per_element <= 1.5 * theory
    assert filt.nbytes * 8 < 1.5 * theory * filt.count + 64
    assert filt.fp_rate < 1.1e-6


def test_properties(filt: BloomFilter, members: np.ndarray) -> None:
    assert filt.count == len(members)
    assert filt.probes == 20
    assert filt.key_id == KEY_ID
    assert filt.bits == parameters(len(members), 1e-6)[0]


def test_contains_bytes_agrees_with_contains(filt: BloomFilter, members: np.ndarray) -> None:
    mixed = np.concatenate([members[:500], random_digests(500, seed=3)])
    as_bytes = [bytes(row) for row in mixed]
    assert (filt.contains_bytes(as_bytes) == filt.contains(mixed)).all()
    assert filt.contains_bytes(as_bytes)[:500].all()


def test_empty_batch(filt: BloomFilter) -> None:
    assert filt.contains(np.zeros((0, 16), np.uint8)).shape == (0,)
    assert filt.contains_bytes([]).shape == (0,)


def test_bad_digest_shapes_are_rejected(filt: BloomFilter) -> None:
    with pytest.raises(ValueError):
        filt.contains_bytes([b"short"])
    with pytest.raises(ValueError):
        filt.contains(np.zeros(15, np.uint8))


def test_windowed_build_equals_one_pass(members: np.ndarray, filt: BloomFilter) -> None:
    windowed = BloomFilter.build(members, 1e-6, KEY_ID, max_scatter_bytes=1 << 20)
    assert (windowed._words == filt._words).all()


def test_sixty_four_bit_path_for_huge_filters(monkeypatch: pytest.MonkeyPatch) -> None:
    # Filters of 2**32 bits or more use 64-bit state and a modulo; exercise that code
    # on a small filter by lowering the threshold.
    monkeypatch.setattr(bloom, "_FAST_LIMIT", 64)
    keys = random_digests(50_000, seed=4)
    big = BloomFilter.build(keys, 1e-6, KEY_ID)
    assert big.contains(keys).all()
    assert int(big.contains(random_digests(1_000_000, seed=5)).sum()) <= 10


def test_empty_filter_answers_no(tmp_path: Path) -> None:
    empty = BloomFilter.build(np.zeros((0, 16), np.uint8), 1e-6, KEY_ID)
    assert not empty.contains(random_digests(1000, seed=6)).any()
    empty.save(tmp_path / "e.bin")
    assert not BloomFilter.open(tmp_path / "e.bin", KEY_ID).contains(random_digests(10, 7)).any()


def test_save_open_round_trip_is_memory_mapped(
    tmp_path: Path, filt: BloomFilter, members: np.ndarray
) -> None:
    path = tmp_path / "bloom.bin"
    filt.save(path)
    assert path.stat().st_size == HEADER_SIZE + 8 * ((filt.bits + 63) // 64)
    opened = BloomFilter.open(path, KEY_ID)
    assert (opened.bits, opened.probes, opened.count) == (filt.bits, filt.probes, filt.count)
    assert not opened._words.flags.writeable
    probe = np.concatenate([members[:1000], random_digests(100_000, seed=8)])
    assert (opened.contains(probe) == filt.contains(probe)).all()


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "bloom.bin"
    BloomFilter.build(random_digests(1000, seed=9), 1e-6, KEY_ID).save(path)
    return path


def test_wrong_key_id_is_refused_with_both_ids(saved: Path) -> None:
    with pytest.raises(FingerprintSetError, match=r"key id 0123456789abcdef.*fedcba9876543210"):
        BloomFilter.open(saved, "fedcba9876543210")


def test_truncated_file_is_refused(saved: Path) -> None:
    saved.write_bytes(saved.read_bytes()[:-8])
    with pytest.raises(FingerprintSetError, match="truncated"):
        BloomFilter.open(saved, KEY_ID)


def test_extra_bytes_are_refused(saved: Path) -> None:
    saved.write_bytes(saved.read_bytes() + b"\x00" * 8)
    with pytest.raises(FingerprintSetError):
        BloomFilter.open(saved, KEY_ID)


def test_wrong_magic_is_refused(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    data[:8] = b"NOTBLOOM"
    saved.write_bytes(bytes(data))
    with pytest.raises(FingerprintSetError, match="not a leakprint Bloom filter"):
        BloomFilter.open(saved, KEY_ID)


def test_future_format_version_is_refused(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    data[8:12] = (2).to_bytes(4, "little")
    saved.write_bytes(bytes(data))
    with pytest.raises(FingerprintSetError, match="format version 2"):
        BloomFilter.open(saved, KEY_ID)


def test_header_only_or_empty_file_is_refused(saved: Path) -> None:
    saved.write_bytes(saved.read_bytes()[:10])
    with pytest.raises(FingerprintSetError):
        BloomFilter.open(saved, KEY_ID)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FingerprintSetError, match="cannot be read"):
        BloomFilter.open(tmp_path / "nope.bin", KEY_ID)


def test_header_layout(saved: Path) -> None:
    head = saved.read_bytes()[:HEADER_SIZE]
    assert head[:8] == b"LPBLOOM\x00"
    assert int.from_bytes(head[8:12], "little") == 1
    m = int.from_bytes(head[12:20], "little")
    assert int.from_bytes(head[20:24], "little") == 20
    assert int.from_bytes(head[24:32], "little") == 1000
    assert head[32:48] == KEY_ID.encode()
    assert m == parameters(1000, 1e-6)[0]


@pytest.mark.parametrize("dtype", [np.uint32, np.uint64])
def test_probe_states_in_closed_form_equal_the_steps(dtype: type) -> None:
    from fingerprints.bloom import _advance, _probe_states

    rng = np.random.default_rng(3)
    info = np.iinfo(dtype)
    x0 = rng.integers(0, info.max, size=500, dtype=dtype, endpoint=True)
    y0 = rng.integers(0, info.max, size=500, dtype=dtype, endpoint=True) | dtype(1)
    x0[:3] = info.max  # wrap-around from the first step
    x, y = x0, y0
    stepped = []
    for i in range(40):
        stepped.append(x)
        x, y = _advance(x, y, i)
    want = np.stack(stepped, axis=1)
    assert (_probe_states(x0, y0, 0, 40) == want).all()
    assert (_probe_states(x0, y0, 2, 40) == want[:, 2:]).all()
