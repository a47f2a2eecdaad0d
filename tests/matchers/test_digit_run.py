"""``DIGIT_RUN_RE`` (begun with a class, for ``re``'s quick scan) finds the runs its
plain form finds, at the same places (issue 15)."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from matchers.shapes import DIGIT_RUN_RE

_PLAIN = re.compile(r"(?<![A-Za-z0-9_@\-])\+?\(?[0-9](?:[-. ]?\)?[-. ]?\(?[0-9]){9,}")
_TOKENS = st.sampled_from([
    "0", "1", "9", "0312345678", "090-1234-5678", "+81 90 1234 5678", "(03)1234-5678", "+(", "+",
    "(", ")", "-", ".", " ", "  ", "a", "_", "@", "電話", "\n", "+81(0)3-1234-5678", "1.2.3",
])


@given(st.one_of(st.text(alphabet="0123456789+()-. a_@電\n", max_size=60),
                 st.lists(_TOKENS, max_size=30).map("".join)))
@settings(max_examples=2000, deadline=None)
@example("+(0312345678")
@example("a0312345678 +0312345678 (0312345678 -0312345678")
def test_same_runs_as_the_plain_pattern(text: str) -> None:
    got = [m.span() for m in DIGIT_RUN_RE.finditer(text)]
    assert got == [m.span() for m in _PLAIN.finditer(text)]
    for pos in range(len(text) + 1):  # searches from inside the text (look-behinds)
        a, b = DIGIT_RUN_RE.search(text, pos), _PLAIN.search(text, pos)
        assert (a and a.span()) == (b and b.span())
