"""The native line shapes (``line_shapes``, ``fingerprints/_native_lines.h``) against
``matchers.lineshapes.line_shape`` (issue 15): the same shape for every line, and so the
same regions.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fingerprints import native
from matchers.lineshapes import _SHAPES, line_shape
from matchers.regions import cut_regions

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

# Every character the shapes look at, white space of every kind (str.strip and \s),
# digits of other scripts (str.isdigit but not [0-9]), list marks, colons, brackets.
_SPACES = " \t\u3000\u00a0\u2003\u2028\u2029\x0b\x0c\r\x1c\x1f\x85\u180e\u200b\ufeff"
_ALPHABET = (
    _SPACES + "|+:=-,;{}[]*・•●○◆◇■□▪▫▸►▶※→☆★①⑳㉑㉟㊱㊿⑴（）().．）：:／"
    "0123456789０１٣५" + "abcXY山田太郎東京都ｱ" + "\"'#"
)
_TOKENS = st.sampled_from([
    " ", "  ", "   ", "\t", "\u3000", " = ", "=", ":", "：", " :", "---", "===", "-+-", "|",
    "+", ",", ";", "{", "1.", "12)", "123．", "1234.", "(1)", "（12）", "(1234)", "・", "※",
    "-", "* ", "①", "山田太郎", "key", "a" * 24, "b" * 25, "0312345678", "1", "42", "1234567",
    "x@y.jp", "0", "\u00a0", "٣", "\n", "  ", "\t", "--", "=-=", "|", "+", "\u3000",
])
lines = st.one_of(
    st.text(alphabet=_ALPHABET, max_size=40),
    st.lists(_TOKENS, max_size=12).map("".join),
)


@pytest.mark.slow  # 3,000 generated texts: `make test`, not the quick `make unit`
@given(st.lists(lines, max_size=20).map("\n".join))
@settings(max_examples=3000, deadline=None)
def test_native_line_shapes_are_the_reference(text: str) -> None:
    from fingerprints import _native  # type: ignore[attr-defined]

    assert _native.line_shapes(text, _SHAPES) == [line_shape(ln) for ln in text.split("\n")]


@pytest.mark.parametrize("line", [
    "", " ", "\u3000", "a,b", "{a,b}", "1. a,b", "12345. a,b", "名前: 山田,x", "|a|b|", "|---|---|",
    "+----+", "----", "-----", "=== ", "123", "1234567", "{\"a\": 1}", "a\tb", "・山田", "* x",
    "*x", "a;b;c", "key = value", "key=value", "key :", "a  b  c", "a\tb\tc", "①山田", "(1) x",
    "（１）x", "1.5 x", "1) x", "1.", "a  b", "a   b\tc", "1)2", "x:\u3000", "٣. x",
])
def test_native_line_shape_cases(line: str) -> None:
    from fingerprints import _native  # type: ignore[attr-defined]

    assert _native.line_shapes(line, _SHAPES) == [line_shape(line)]


@pytest.mark.parametrize("filler", ["a", "山", "\U0001F600"])  # 1-, 2- and 4-byte strs
def test_native_line_shapes_at_every_offset(filler: str) -> None:
    """The native scan reads a line sixteen bytes a step: a mark or a line break at
    every offset of a step, and tabs at the stripped edges (which count for nothing),
    give the reference's shapes."""
    from fingerprints import _native  # type: ignore[attr-defined]

    lines = []
    for n in range(0, 40):
        for mark in ",|;+\t":
            for at in range(n + 1):
                body = filler * at + mark + filler * (n - at)
                lines += [body, "\t" + body, body + "\t\t", f"|{body}|{mark}"]
    for joined in ("\n".join(lines), "\n".join(lines[::7]) + "\n"):
        assert _native.line_shapes(joined, _SHAPES) == [
            line_shape(ln) for ln in joined.split("\n")]


@given(st.lists(lines, max_size=30).map("\n".join))
@settings(max_examples=300, deadline=None)
@example("0\x1f\n1\n2\x1c")  # line numbers with white space int() does not trim
def test_same_regions_for_both_cores(text: str) -> None:
    got = []
    for core in (True, False):
        with native.use(core):
            got.append(cut_regions(text))
    assert got[0] == got[1]


# ``may_hold_insert`` may only say False where SQL_INSERT cannot match: every case
# variant of the keyword (with the non-ASCII letters IGNORECASE also takes), cut or
# interrupted, amid other text.
_INSERT_LETTERS = [["i", "I", "\u0130", "\u0131"], ["n", "N"], ["s", "S", "\u017f"], ["e", "E"],
                   ["r", "R"], ["t", "T"]]
_keyword = st.tuples(*(st.sampled_from(v) for v in _INSERT_LETTERS)).map("".join)
_sql_like = st.tuples(
    st.text(alphabet=_ALPHABET, max_size=10),
    _keyword | st.sampled_from(["inser", "nsert", "in-sert"]),
    st.sampled_from([" INTO t VALUES (1)", " into `db`.`t` (a) values ('x')", " INTO", ""]),
    st.text(alphabet=_ALPHABET, max_size=10),
).map("".join)


# (Every kind of str: ASCII, Latin-1 "é", UCS-2 CJK, UCS-4 "𠮷": each has its own loop.)
@given(_sql_like | st.text(alphabet=_ALPHABET + "insertINSERT\u0130\u0131\u017fé𠮷", max_size=80)
       | st.text(alphabet="insertINSERTé ", max_size=30))
@settings(max_examples=1000, deadline=None)
@example("\u0131NſErT INTO t VALUES (1)")
@example("INSERT")
@example("xinsert")
def test_insert_pretest_never_rules_out_a_match(text: str) -> None:
    from fingerprints import _native  # type: ignore[attr-defined]
    from matchers.rows import SQL_INSERT

    held = _native.may_hold_insert(text)
    assert held or SQL_INSERT.search(text) is None
    # and it is the plain test it says it is: the keyword in any case
    assert held == any(
        all(text[i + k] in _INSERT_LETTERS[k] for k in range(6)) for i in range(len(text) - 5)
    )


def test_whole_document_is_the_same_for_both_cores() -> None:
    from matchers.regions import whole_document

    for text in ["INSERT INTO t VALUES (1);", "insert into t values (1)", "山田,0312345678",
                 "[1, 2]", "  [", "inserted text", "\u0131nsert INTO x VALUES (", ""]:
        got = []
        for core in (True, False):
            with native.use(core):
                got.append(whole_document(text))
        assert got[0] == got[1], text
