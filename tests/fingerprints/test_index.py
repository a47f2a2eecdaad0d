"""The exact index: sorted truncated digests, several rows per key, per-record fields."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.errors import FingerprintSetError
from fingerprints.index import ExactIndex, RefStore, digest_keys, index_file, write_refs

U64 = np.uint64


def small_index() -> ExactIndex:
    # record 0: keys 50 (kind 0), 2**63 + 5 (kind 1)
    # record 1: key 7 (kind 0)
    # record 2: key 50 (kind 0): the same phone as record 0 (a family line)
    keys = np.array([50, 2**63 + 5, 7, 50], dtype=U64)
    rows = np.array([0, 0, 1, 2], dtype=np.uint32)
    kinds = np.array([0, 1, 0, 0], dtype=np.uint8)
    return ExactIndex.build(keys, rows, kinds, record_count=4)


def test_keys_are_sorted_with_parallel_arrays() -> None:
    idx = small_index()
    assert idx.keys.tolist() == [7, 50, 50, 2**63 + 5]
    assert idx.rows.tolist() == [1, 0, 2, 0]
    assert idx.kinds.tolist() == [0, 0, 0, 1]
    assert len(idx) == 4
    assert idx.record_count == 4


def test_shared_digest_maps_to_every_row() -> None:
    [(pos, rows, kinds)] = small_index().lookup(np.array([50], dtype=U64))
    assert pos == 0
    assert rows.tolist() == [0, 2]
    assert kinds.tolist() == [0, 0]


def test_lookup_returns_only_hits_with_their_query_positions() -> None:
    q = np.array([1, 7, 999, 2**63 + 5, 2**64 - 1], dtype=U64)
    result = small_index().lookup(q)
    assert [(p, r.tolist(), k.tolist()) for p, r, k in result] == [
        (1, [1], [0]),
        (3, [0], [1]),
    ]


def test_lookup_of_keys_above_2_63_is_exact() -> None:
    # A float round trip in searchsorted would confuse neighbours of 2**63 + 5.
    assert small_index().lookup(np.array([2**63 + 4, 2**63 + 6], dtype=U64)) == []
    assert small_index().lookup(np.array([], dtype=U64)) == []


def test_record_fields_round_trip() -> None:
    idx = small_index()
    assert idx.record_fields(0) == [(0, 50), (1, 2**63 + 5)]
    assert idx.record_fields(1) == [(0, 7)]
    assert idx.record_fields(2) == [(0, 50)]
    assert idx.record_fields(3) == []  # a record whose fields were all empty
    with pytest.raises(IndexError):
        idx.record_fields(4)


def test_unsorted_rows_are_grouped_per_record() -> None:
    keys = np.array([1, 2, 3, 4, 5], dtype=U64)
    rows = np.array([2, 0, 2, 1, 0], dtype=np.uint32)
    kinds = np.array([0, 1, 2, 3, 4], dtype=np.uint8)
    idx = ExactIndex.build(keys, rows, kinds, record_count=3)
    assert idx.record_fields(0) == [(1, 2), (4, 5)]
    assert idx.record_fields(1) == [(3, 4)]
    assert idx.record_fields(2) == [(0, 1), (2, 3)]


def test_row_outside_record_count_is_rejected() -> None:
    with pytest.raises(ValueError):
        ExactIndex.build(np.array([1], U64), np.array([3], np.uint32), np.zeros(1, np.uint8), 2)


def test_digest_keys_are_first_eight_bytes_little_endian() -> None:
    d = np.zeros((1, 16), np.uint8)
    d[0, :8] = [1, 0, 0, 0, 0, 0, 0, 0x80]
    d[0, 8:] = 0xFF
    assert digest_keys(d).tolist() == [2**63 + 1]


def test_save_and_open_memory_mapped(tmp_path: Path) -> None:
    small_index().save(tmp_path)
    opened = ExactIndex.open(tmp_path)
    assert not opened.keys.flags.writeable
    assert opened.keys.tolist() == small_index().keys.tolist()
    [(_, rows, _)] = opened.lookup(np.array([50], dtype=U64))
    assert rows.tolist() == [0, 2]
    assert opened.record_fields(0) == [(0, 50), (1, 2**63 + 5)]


def test_empty_index_saves_and_opens(tmp_path: Path) -> None:
    empty = ExactIndex.build(
        np.zeros(0, U64), np.zeros(0, np.uint32), np.zeros(0, np.uint8), record_count=0
    )
    empty.save(tmp_path)
    opened = ExactIndex.open(tmp_path)
    assert opened.record_count == 0
    assert opened.lookup(np.array([1], U64)) == []


def test_truncated_array_is_refused(tmp_path: Path) -> None:
    small_index().save(tmp_path)
    path = tmp_path / index_file("rows")
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(FingerprintSetError, match=r"index_rows\.npy"):
        ExactIndex.open(tmp_path)


def test_wrong_dtype_is_refused(tmp_path: Path) -> None:
    small_index().save(tmp_path)
    np.save(tmp_path / index_file("kinds"), np.zeros(4, dtype=np.int64))
    with pytest.raises(FingerprintSetError, match="wrong shape or type"):
        ExactIndex.open(tmp_path)


def test_missing_array_is_refused(tmp_path: Path) -> None:
    small_index().save(tmp_path)
    (tmp_path / index_file("keys")).unlink()
    with pytest.raises(FingerprintSetError, match="missing or damaged"):
        ExactIndex.open(tmp_path)


def test_inconsistent_lengths_are_refused(tmp_path: Path) -> None:
    small_index().save(tmp_path)
    np.save(tmp_path / index_file("rows"), np.zeros(3, dtype="<u4"))
    with pytest.raises(FingerprintSetError):
        ExactIndex.open(tmp_path)


def test_refs_round_trip(tmp_path: Path) -> None:
    refs = ["C-0001", "顧客-2", "x" * 300, "C 4"]
    assert write_refs(tmp_path, refs) == 4
    store = RefStore(tmp_path, 4)
    assert [store[i] for i in range(4)] == refs
    with pytest.raises(IndexError):
        store[4]


@pytest.mark.parametrize("bad", ["", "a\nb", "a\rb"])
def test_refs_must_be_single_lines(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        write_refs(tmp_path, ["ok", bad])


def test_refs_count_mismatch_is_refused(tmp_path: Path) -> None:
    write_refs(tmp_path, ["a", "b"])
    with pytest.raises(FingerprintSetError):
        RefStore(tmp_path, 3)


def test_gather_agrees_with_lookup() -> None:
    idx = small_index()
    q = np.array([50, 1, 7, 50, 2**63 + 5], dtype=U64)
    owner, rows, kinds = idx.gather(q)
    expected = [(p, r, k) for p, rs, ks in idx.lookup(q) for r, k in zip(rs, ks, strict=True)]
    assert list(zip(owner.tolist(), rows.tolist(), kinds.tolist(), strict=True)) == expected
    assert owner.tolist() == [0, 0, 2, 3, 3, 4]
    empty = idx.gather(np.array([1, 2], dtype=U64))
    assert [len(a) for a in empty] == [0, 0, 0]


def test_refs_in_one_batch_are_each_ref(tmp_path: Path) -> None:
    """``refs`` decodes the refs joined once: the same strs as one at a time, in the
    order asked, repeats and non-ASCII refs included."""
    refs = ["C-001", "顧客-東京-42", "x", "契約 9", "C-005"]
    write_refs(tmp_path, refs)
    store = RefStore(tmp_path, len(refs))
    rows = [4, 1, 1, 0, 3, 2]
    assert store.refs(rows) == [refs[r] for r in rows] == [store[r] for r in rows]
    assert store.refs([]) == []
    with pytest.raises(IndexError):
        store.refs([0, 5])


def test_a_ref_holding_a_line_break_is_still_read_whole(tmp_path: Path) -> None:
    """A damaged refs.txt (a line break inside a ref, offsets unchanged) cannot be
    split on line breaks: the refs are then decoded one at a time."""
    write_refs(tmp_path, ["ABC", "DE"])
    path = tmp_path / "refs.txt"
    path.write_bytes(b"A\nC\nDE\n")  # same length, a line break inside the first
    store = RefStore(tmp_path, 2)
    assert store.refs([0, 1]) == ["A\nC", "DE"] == [store[0], store[1]]


@pytest.mark.skipif(not native.available(), reason="native core not built")
@settings(max_examples=60, deadline=None)
@given(
    refs=st.lists(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\n\r"),
                          min_size=1, max_size=12), min_size=1, max_size=60),
    picks=st.lists(st.integers(-3, 70), max_size=80),
)
def test_native_refs_are_the_references(refs: list[str], picks: list[int]) -> None:
    """``record_refs`` in C gives what the reference gives, in order, repeats and
    long batches (read ahead) included, and refuses the same first row outside."""
    with tempfile.TemporaryDirectory() as tmp:
        write_refs(Path(tmp), refs)
        store = RefStore(Path(tmp), len(refs))
        out: list[list[str] | str] = []
        for core in (True, False):
            with native.use(core):
                try:
                    out.append(store.refs(picks))
                except IndexError as exc:
                    out.append(str(exc))
        assert out[0] == out[1]
        if all(0 <= r < len(refs) for r in picks):
            assert out[0] == [refs[r] for r in picks]
        with native.use(True):  # numpy ints and a tuple of rows, too
            ok = [r for r in picks if 0 <= r < len(refs)]
            assert store.refs(tuple(np.array(ok, dtype=np.int64))) == [refs[r] for r in ok]
