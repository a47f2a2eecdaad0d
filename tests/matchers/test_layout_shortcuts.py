"""``cut_regions``' one-region shortcut gives the regions its loop gives, and
``detect_layout``'s shortcuts (delimiters no line holds, the aligned test skipped
when it cannot pass, ``str.split`` for the spaced cells) give the layout the plain
tests give: a copy of those tests is held to it on generated text (issue 15).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from unittest.mock import patch

from hypothesis import example, given, settings
from hypothesis import strategies as st

from fingerprints import native
from matchers import regions, rows
from matchers.rows import Layout, detect_layout


def _plain_tail(lines: Sequence[str]) -> str:
    """The layout kind the plain tests give after the delimiter test (845db21)."""
    if len(lines) < 2:
        return "prose"
    aligned = [len(re.split(r"\s{2,}|\t", ln.strip())) for ln in lines]
    if sum(n >= 3 for n in aligned) >= 0.6 * len(lines):
        return "aligned"
    spaced = [len(re.split(r"\s+", ln.strip())) for ln in lines]
    mode = max(set(spaced), key=spaced.count)
    if mode >= 3 and spaced.count(mode) >= 0.6 * len(lines):
        return "spaced"
    items = sum(0 < len(s) <= 40 and not any(c in s for c in "。、:!?")
                for s in (ln.strip() for ln in lines))
    return "lines" if items >= 0.8 * len(lines) else "prose"


_SPACES = " \t\u3000\u00a0\u2003\u2028\x0b\x0c\r\x1c\x1f\x85"
_ALPHABET = _SPACES + "|,;\tab山田太郎0123。、:!?{[x@"
_TOKENS = st.sampled_from([" ", "  ", "\t", "\u3000", " \u3000", "\u3000\u3000", "山田", "太郎",
                           "090-1234-5678", "、", "。", ":", "a", "|", ",", ";", "x" * 41])
lines = st.one_of(
    st.text(alphabet=_ALPHABET, max_size=30),
    st.lists(_TOKENS, max_size=10).map("".join),
)


@given(st.lists(lines, min_size=1, max_size=12).map("\n".join))
@settings(max_examples=1000, deadline=None)
@example("a  b  c\nd  e  f\ng h i")
@example("a\tb\tc\td\te\n" * 3 + "a\tb\tc\n" * 2 + "xyz\nxyz")  # tabs alone: aligned
@example("a\u3000 b\u3000 c\nd e f")
@example("山田 太郎 090\n佐藤 花子 080\nこんにちは")
def test_shortcuts_give_the_plain_layout(text: str) -> None:
    lines_ = [ln for ln in text.splitlines()[:60] if ln.strip()]
    got = detect_layout(text)
    if not lines_ or rows.holds_sql_insert(text) or text.lstrip().startswith("["):
        return
    if sum(ln.lstrip().startswith("{") for ln in lines_) >= 0.6 * len(lines_):
        return
    delimiter = rows._detect_delimiter(lines_)  # every delimiter, as before
    if delimiter is not None:
        assert got.kind == "delimited" and got.delimiter == delimiter
        return
    assert got.kind == _plain_tail(lines_)
    if got.kind == "prose":
        assert got == Layout("prose")


_SHAPED = st.sampled_from([
    "", " ", "\u3000", "山田 太郎さん", "a,b,c", "a\tb", "|a|b|", "|---|---|", "----", "1", "2",
    "3", "・山田", "key: value", "a  b  c", "{\"a\": 1}", "x;y;z", "こんにちは。",
])


@given(st.lists(_SHAPED, min_size=1, max_size=12).map("\n".join))
@settings(max_examples=1000, deadline=None)
@example("a,b\nc,d\n")
@example("\n\nこんにちは\n\nさようなら\n")
@example("a,b\n\nc,d")
def test_one_region_shortcut_gives_the_loops_regions(text: str) -> None:
    for core in (True, False):
        with native.use(core):
            got = regions.cut_regions(text)
            with patch.object(regions, "_one_region", lambda _t, _s: None):
                assert got == regions.cut_regions(text)
