"""The native ``column_hits`` (``fingerprints/_hits.c``) against its Python reference
(``matchers.columnrefs.column_hits``, issues 12 and 15): the same cell hits, strong values
and matched counts, the same lists shared between the cell hits and the memo, the
same memo entries in the same order, the column's memoized values merged in alike,
from columns of one- and many-pair cells, primary and not, hit and missed, with
answers of every kind (records, a too-common value, none).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from matchers.columnrefs import column_hits, shaped_hits
from matchers.confidence import WEAK_KINDS
from matchers.probe import NO_HITS, Common

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

_KINDS = ("name", "name_folded", "name_kana", "birthdate", "phone", "address", "postal_code")
_PAIR = st.tuples(st.sampled_from(_KINDS), st.sampled_from(["a", "b", "c", "d"]))
_ANSWER = st.sampled_from([NO_HITS, ((1, "name"),), ((2, "phone"), (3, "phone")),
                           Common("name", 900, 7)])


@st.composite
def columns(draw: st.DrawFn) -> tuple[dict[str, Any], set[Any], dict[Any, Any], dict[str, Any]]:
    values = draw(st.lists(st.text(alphabet="xyz", min_size=1, max_size=3), unique=True,
                           max_size=12))
    found: dict[str, Any] = {}
    hits: dict[Any, Any] = {}
    for v in values:
        pairs = tuple(dict.fromkeys(draw(st.lists(_PAIR, min_size=1, max_size=3))))
        nprim = draw(st.integers(0, len(pairs)))
        found[v] = (pairs, nprim, "label")
    for res in found.values():
        for pair in res[0]:
            if pair not in hits:
                hits[pair] = draw(_ANSWER)
    hit_set = {p for p, a in hits.items() if a}
    memo = {v: () for v in draw(st.lists(st.sampled_from(values), max_size=3))} if values else {}
    memo["elsewhere"] = ()
    return found, hit_set, hits, memo


@st.composite
def known_values(draw: st.DrawFn) -> tuple[list[str], list[Any]] | None:
    """A column's memoized values with hits, as memo entries (list, strong, answers);
    their values are never among ``found``'s (memo_split parts them)."""
    if not draw(st.booleans()):
        return None
    values = draw(st.lists(st.text(alphabet="uvw", min_size=1, max_size=3), unique=True,
                           max_size=6))
    entries = []
    answer_of: dict[Any, Any] = {}  # (a pair has one answer, whichever value holds it)
    for _v in values:
        pairs = tuple(dict.fromkeys(draw(st.lists(_PAIR, min_size=1, max_size=2))))
        for p in pairs:
            if p not in answer_of:
                answer_of[p] = draw(_ANSWER.filter(bool))
        answers = tuple((p, answer_of[p]) for p in pairs)
        entries.append(([(p, 0) for p in pairs], draw(st.booleans()), answers))
    return values, entries


@given(columns(), st.integers(0, 5), st.booleans(), known_values())
@settings(max_examples=800, deadline=None)
def test_as_the_reference(col: tuple[dict[str, Any], set[Any], dict[Any, Any], dict[str, Any]],
                          j: int, with_memo: bool,
                          known: tuple[list[str], list[Any]] | None) -> None:
    with native.use(True):  # (LEAKPRINT_PURE_PYTHON=1 only unselects it)
        core = native.CORE
    assert core is not None
    found, hit_set, hits, memo = col
    memo_c, memo_py = (dict(memo), dict(memo)) if with_memo else (None, None)
    hits_c, hits_py = dict(hits), dict(hits)
    got = core.column_hits(found, hit_set, hits_c, j, WEAK_KINDS, memo_c, known)
    want = column_hits(found, hit_set, hits_py, j, WEAK_KINDS, memo_py, known)
    assert got == want
    assert [type(x) for x in got] == [type(x) for x in want]
    # The known values' answers joined the probe answers, in the same order.
    assert hits_c == hits_py and list(hits_c.items()) == list(hits_py.items())
    if known is not None:
        values, entries = known
        for value, entry in zip(values, entries, strict=True):
            assert got[0][value] is entry[0]  # the memo's list itself, not a copy
            assert (value in got[1]) == (entry[1] or value in want[1])
            for pair, answer in entry[2]:
                assert hits_c[pair] is answer or hits_c[pair] == answer
    if memo_c is not None and memo_py is not None:
        assert memo_c == memo_py
        assert list(memo_c) == list(memo_py)  # the same order of insertion
        for value, entry in memo_c.items():
            if len(entry) == 3:
                assert entry[0] is got[0][value]  # the cell's list, shared


def test_a_pair_without_an_answer_is_an_error() -> None:
    with native.use(True):
        core = native.CORE
    assert core is not None
    found = {"x": ((("name", "a"), ("name_kana", "b")), 0, "label")}
    with pytest.raises(KeyError):
        core.column_hits(found, {("name", "a")}, {("name", "a"): ((1, "name"),)}, 0,
                         WEAK_KINDS, None)
    with pytest.raises(TypeError):
        core.column_hits({"x": ("not a cell",)}, set(), {}, 0, WEAK_KINDS, None)
    bad: list[Any] = [(["x"],), (["x"], []), (["x"], [("not an entry",)]),
                      (["x"], [([], True, ((("name", "a"),),))])]
    for known in bad:
        with pytest.raises(TypeError):
            core.column_hits({}, set(), {}, 0, WEAK_KINDS, None, known)


@given(st.lists(st.text(alphabet="0123456789+", min_size=1, max_size=4), unique=True,
                max_size=12), st.data())
@settings(max_examples=300, deadline=None)
def test_shaped_hits_as_the_reference(values: list[str], data: st.DataObject) -> None:
    """A column of bare phone numbers' hit cells: the same cells, each its own
    ``[(pair, j)]``, and the same answers added to the chunk's, in the same order;
    the native pairs keep their hash and equal the reference's tuples."""
    from fingerprints import _native  # type: ignore[attr-defined]

    at = sorted(data.draw(st.sets(st.integers(0, max(len(values) - 1, 0)), max_size=len(values)))
                ) if values else []
    canons = [f"+81{v}" for v in data.draw(st.permutations(values))][: len(at)]
    answers = data.draw(st.lists(_ANSWER, min_size=len(at), max_size=len(at)))
    before = {("name", "x"): NO_HITS}
    want_hits, got_hits = dict(before), dict(before)
    want = shaped_hits(values, at, "phone", canons, answers, 3, want_hits)
    got = _native.shaped_hits(values, at, "phone", canons, answers, 3, got_hits)
    assert got == want and list(got) == list(want)
    assert list(got_hits.items()) == list(want_hits.items())
    assert all(type(cell[0][0]) is _native.Pair for cell in got.values())
    assert len({id(cell) for cell in got.values()}) == len(got)  # each its own list


def test_shaped_hits_checks_its_arguments() -> None:
    from fingerprints import _native  # type: ignore[attr-defined]

    with pytest.raises(IndexError):
        _native.shaped_hits(["a"], [1], "phone", ["+81"], [NO_HITS], 0, {})
    with pytest.raises(ValueError):
        _native.shaped_hits(["a"], [0], "phone", [], [NO_HITS], 0, {})
