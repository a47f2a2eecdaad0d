"""Packed strs (``fingerprints.packed``) and their native digests (issue 15): a
column's canonical forms end to end as UTF-8, digested where they lie, equal to the
same strs in a list in every way the scan uses them."""

from __future__ import annotations

import hashlib
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.keyed import FingerprintKey, Hasher
from fingerprints.packed import PackedStrs, take

KEY = FingerprintKey(bytes(range(32)))
_VALUES = st.lists(st.text(max_size=200) | st.sampled_from(["+819012345678", "", "あ𠮷"]),
                   max_size=30)


@given(_VALUES)
@settings(max_examples=200, deadline=None)
def test_packed_strs_are_the_list(values: list[str]) -> None:
    packed = PackedStrs.of(values)
    assert len(packed) == len(values)
    assert packed == values and list(packed) == values
    assert [packed[i] for i in range(len(values))] == values
    assert [packed[-i] for i in range(1, len(values) + 1)] == values[::-1]
    assert packed[1::2] == values[1::2]
    positions = list(range(len(values)))[::-2]
    for core in (True, False):
        with native.use(core):
            assert packed.take(positions) == [values[i] for i in positions]
            assert take(packed, positions) == take(values, positions) == packed.take(positions)
    with pytest.raises(IndexError):
        packed[len(values)]


@given(_VALUES, st.sampled_from(["phone", "email", "name"]))
@settings(max_examples=200, deadline=None)
def test_packed_digests_are_the_digests_of_the_strs(values: list[str], kind: str) -> None:
    """The hasher's batch form of packed strs, native or not, is hashlib's BLAKE2b of
    each str, as for the list (four at a time or one: the same bytes)."""
    hasher = Hasher(KEY)
    want = b"".join(hasher.digest_many(kind, values))
    packed = PackedStrs.of(values)
    for core in (True, False):
        with native.use(core):
            assert hasher.digest_blob(kind, packed) == want
            assert hasher.digest_blob(kind, values) == want
    if native.available():
        from fingerprints import _native as N  # type: ignore[attr-defined]

        person = kind.encode()
        assert N.digest_packed(KEY.raw, person, packed.blob, packed.ends, 1) == want
        assert want == b"".join(hashlib.blake2b(v.encode(), key=KEY.raw, person=person,
                                                digest_size=16).digest() for v in values)


@pytest.mark.skipif(not native.available(), reason="native core not built")
def test_native_packed_bounds_are_checked() -> None:
    from fingerprints import _native as N  # type: ignore[attr-defined]

    packed = PackedStrs.of(["ab", "cde"])
    ends = packed.ends
    backwards = ends[8:] + ends[:8]
    late = PackedStrs.of(["a", "b", "c", "d", "e"]).ends[:32] + (99).to_bytes(8, sys.byteorder)
    for bad in (backwards, (99).to_bytes(8, sys.byteorder) * 2, ends[:5], late):
        with pytest.raises(ValueError):
            N.digest_packed(KEY.raw, b"phone", packed.blob, bad)
    with pytest.raises(ValueError):
        N.packed_strs(packed.blob, backwards, [1])
    with pytest.raises(IndexError):
        N.packed_strs(packed.blob, ends, [2])
    with pytest.raises(ValueError):
        PackedStrs(b"ab", (3).to_bytes(8, sys.byteorder))
    assert N.packed_strs(packed.blob, ends, [1, 0, 1]) == ["cde", "ab", "cde"]
