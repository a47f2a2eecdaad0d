"""The native ``memo_attempts`` (``fingerprints/_attempts.c``) does for cached values
exactly what the reference's ``_Support.add`` does, and hands back the rest in order
(issue 15)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from matchers.probe import NO_HITS, Common, Hits
from matchers.prose import _Support
from matchers.shapes import Pair

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

values = st.text(alphabet="山田太郎花子やまだ", min_size=1, max_size=3)
pairs = st.tuples(st.sampled_from(["name", "name_folded"]), values)
answer = st.sampled_from(["miss", "hit", "common"])


def _answer(how: str) -> Hits:
    if how == "miss":
        return NO_HITS
    if how == "common":
        return Common("name", 99, 7)  # an empty tuple too, but a hit
    return ((1, "name"),)


@settings(max_examples=300, deadline=None)
@given(
    windows=st.lists(st.tuples(values, st.integers(0, 500)), max_size=40),
    memo_values=st.dictionaries(values, st.lists(pairs, max_size=2).map(tuple), max_size=20),
    known=st.one_of(st.none(), st.dictionaries(pairs, answer, max_size=20)),
)
def test_memo_attempts_is_the_reference(
    windows: list[tuple[str, int]],
    memo_values: dict[str, tuple[Pair, ...]],
    known: dict[Pair, str] | None,
) -> None:
    memo: dict[str, tuple[Pair, ...]] = dict(memo_values)
    answers = None if known is None else {p: _answer(how) for p, how in known.items()}
    want = _Support([(-1, ("kept", ""))], [-1], answers)
    want_misses: list[tuple[str, int]] = []
    for value, pos in windows:
        got = memo.get(value)
        if got is None:
            want_misses.append((value, pos))
        else:
            want.add(pos, got)
    core = native._BUILT
    assert core is not None
    out: list[tuple[int, Pair]] = [(-1, ("kept", ""))]
    starts = [-1]
    misses = core.memo_attempts(windows, memo, out, starts, answers)
    assert misses == want_misses
    assert out == want.out
    assert starts == want.starts
