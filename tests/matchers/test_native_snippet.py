"""The native prose snippet shapes (``prose_shapes``, ``fingerprints/_snippet.c``)
against ``matchers.snippet._prose_shapes`` (issue 15): the same text for every piece,
and so the same snippets.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fingerprints import native
from matchers.snippet import _is_known_word, _prose_shapes, prose_snippet

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

# Every character class of the token pattern and its neighbours: the e-mail local
# and domain parts, the number run's ( ) - . and space, CJK / kana edges, other
# non-ASCII (full-width, circled digits, accented letters), white space of every kind.
_ALPHABET = (
    "aZx_%+-.@()0123456789 /#:;,!?"
    "\t\n\u3000\u00a0\u2003\u2028\x0b\x1c\x85"
    "\u3004\u3005\u3007\u3008\u3040\u3041\u30ff\u3100\u31f0\u31ff\u3400\u4dbf\u4e00\u9fff"
    "\uf900\ufaff\ufb00山田太郎さんカナ。、０１＠（）①éｱ\U0001f600"
)
_TOKENS = st.sampled_from([
    "TEL", "tel", "mail", "email", "Email", "phone", "name", "住所", "電話", "x@y.jp",
    "taro.yamada+1@example.co.jp", "@", "a@", "@b", "090-1234-5678", "+81 90 1234 5678",
    "(03) 1234-5678", "+(3", "+(", "(1", "0312345678", "03.1234.5678", "1 2 3 4 5 6 7 8 9 0",
    "12", "1", "+1", "1-", "1- ", "TEL:090", "abc_12", "a" * 13, "aaaaaaaaaaaa",
    "山田 太郎さん", "ヤマダ", "123@", "1a@b", "٣٤", "①②", "ＡＢＣ", "\u3000", " ", "  ",
])
pieces = st.one_of(
    st.text(alphabet=_ALPHABET, max_size=160),
    st.lists(st.one_of(_TOKENS, st.text(alphabet=_ALPHABET, max_size=4)), max_size=40)
    .map("".join),
)


@given(pieces)
@settings(max_examples=1500, deadline=None)
@example("")
@example("+(5x 5 (1) +1( 2")
@example("TEL 090-1234-5678 mail x@y.jp 山田さん")
def test_native_prose_shapes_are_the_reference(piece: str) -> None:
    from fingerprints import _native  # type: ignore[attr-defined]

    assert _native.prose_shapes(piece, _is_known_word) == _prose_shapes(piece)


@given(pieces, st.integers(min_value=0, max_value=200))
@settings(max_examples=200, deadline=None)
def test_same_prose_snippet_for_both_cores(window: str, center: int) -> None:
    with native.use(True):
        fast = prose_snippet(window, center)
    with native.use(False):
        ref = prose_snippet(window, center)
    assert fast == ref
