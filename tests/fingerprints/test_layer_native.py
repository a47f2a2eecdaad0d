"""The native per-set layer (``fingerprints/_layer.c``) gives the bytes
``SetLayer.blob``'s hashlib loop gives, for digests and stored 8-byte keys alike
(issue 15, SPEC 16)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.shred import SECRET_SIZE, SetLayer

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")


@settings(max_examples=200, deadline=None)
@given(
    secret=st.binary(min_size=SECRET_SIZE, max_size=SECRET_SIZE),
    width=st.sampled_from([8, 16]),
    count=st.integers(0, 40),
    data=st.data(),
)
def test_native_layer_is_the_reference(
    secret: bytes, width: int, count: int, data: st.DataObject
) -> None:
    digests = data.draw(st.binary(min_size=width * count, max_size=width * count))
    layer = SetLayer(secret)
    with native.use(True):
        got = layer.blob(digests, width)
    with native.use(False):
        want = layer.blob(digests, width)
    assert got == want
    assert len(got) == 16 * count
    # Four digests side by side (AVX2, when the CPU has it) and one at a time agree
    # (the module itself: LEAKPRINT_PURE_PYTHON=1 leaves native.CORE unset).
    from fingerprints import _native  # type: ignore[attr-defined]

    person = b"lp-set-layer"
    assert _native.layer_many(secret, person, digests, width, 1) == want
    assert _native.layer_many(secret, person, digests, width, 4) == want


def test_a_ragged_blob_is_refused_by_both() -> None:
    layer = SetLayer(b"\x01" * SECRET_SIZE)
    for core in (True, False):
        with native.use(core), pytest.raises(ValueError, match="16 bytes each"):
            layer.blob(b"\x00" * 17)
