"""A prose region's line numbers (matchers.prose.LineCounter): counted from the
position asked before, in any order, they are the newlines before each position."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from matchers.prose import LineCounter


@settings(max_examples=500)
@given(text=st.text(alphabet=st.sampled_from("a\n\r山 ,"), max_size=60),
       where=st.lists(st.integers(min_value=0, max_value=70), max_size=20),
       first=st.integers(min_value=1, max_value=5))
def test_a_position_s_line_is_its_newlines_before_it(text: str, where: list[int],
                                                     first: int) -> None:
    line_of = LineCounter(text, first)
    for pos in where:
        pos = min(pos, len(text))
        assert line_of(pos) == first + text.count("\n", 0, pos)


def test_cases() -> None:
    line_of = LineCounter("ab\n\ncd\ne", 10)
    assert [line_of(p) for p in (0, 2, 3, 4, 8, 1, 7, 6)] == [10, 10, 11, 12, 13, 10, 13, 12]
