"""The native ``memo_attempts`` (``fingerprints/_attempts.c``) makes exactly the
appends the reference's ``attempt`` makes for cached values, and hands back the rest
in order (issue 15)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

values = st.text(alphabet="山田太郎花子やまだ", min_size=1, max_size=3)


@settings(max_examples=200, deadline=None)
@given(
    windows=st.lists(st.tuples(values, st.integers(0, 500)), max_size=40),
    memo_values=st.dictionaries(
        values, st.lists(st.tuples(st.sampled_from(["name", "name_folded"]), values),
                         max_size=2).map(tuple), max_size=20),
)
def test_memo_attempts_is_the_reference(
    windows: list[tuple[str, int]], memo_values: dict[str, tuple[tuple[str, str], ...]]
) -> None:
    memo: dict[tuple[str, str], object] = {("name", v): got for v, got in memo_values.items()}
    memo[("name_kana", "山田")] = (("x", "y"),)  # another kind's entry is not this one's
    want_out: list[tuple[int, object]] = []
    want_misses: list[tuple[str, int]] = []
    for value, pos in windows:
        got = memo.get(("name", value))
        if got is None:
            want_misses.append((value, pos))
        else:
            assert isinstance(got, tuple)
            want_out.extend((pos, pair) for pair in got)
    core = native._BUILT
    assert core is not None
    out: list[tuple[int, object]] = [(-1, "kept")]
    misses = core.memo_attempts("name", windows, memo, out)
    assert misses == want_misses
    assert out == [(-1, "kept"), *want_out]
