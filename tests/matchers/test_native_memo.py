"""The column memo's lookups in C (``memo_split``, ``memo_settle``, ``fingerprints/_memo.c``)
against their Python reference (``matchers.columnrefs.memo_split`` and the loop of
``_read_values``, issue 15): the same lists, in the same order, the same entries added.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from matchers.columnrefs import memo_settle, memo_split

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

_VALUES = st.text(alphabet="ab佐藤1-", max_size=4)
_CELL: Any = ((("name", "佐藤"),), 0, "")
_ENTRY = st.sampled_from([(), (_CELL,), ([(("name", "佐藤"), 0)], True, ((("name", "佐藤"), 1),))])


@given(st.dictionaries(_VALUES, _ENTRY, max_size=12), st.lists(_VALUES, max_size=20, unique=True),
       st.booleans())
@settings(max_examples=600, deadline=None)
def test_split_as_the_reference(entries: dict[str, Any], values: list[str], as_iter: bool) -> None:
    with native.use(True):  # (LEAKPRINT_PURE_PYTHON=1 only unselects it)
        core = native.CORE
    assert core is not None
    got = core.memo_split(entries, iter(values) if as_iter else values)
    assert got == memo_split(entries, values)
    fresh, known_values, known_res, unread = got
    assert fresh == [v for v in values if v not in entries]
    assert all(a is b for a, b in zip(known_res, (entries[v] for v in known_values), strict=True))
    assert (unread is None) == (not any(len(entries.get(v, ())) == 1 for v in values))


@given(st.dictionaries(_VALUES, _ENTRY, max_size=8), st.lists(_VALUES, max_size=12, unique=True),
       st.sets(_VALUES, max_size=6))
@settings(max_examples=400, deadline=None)
def test_settle_as_the_reference(entries: dict[str, Any], fresh: list[str],
                                 found_keys: set[str]) -> None:
    with native.use(True):  # (LEAKPRINT_PURE_PYTHON=1 only unselects it)
        core = native.CORE
    assert core is not None
    fresh = [v for v in fresh if v not in entries]
    found = dict.fromkeys(found_keys, _CELL)
    expected = dict(entries)
    added = 0
    for value in fresh:
        if value not in found:
            expected[value] = ()
            added += 1
    by_reference = dict(entries)
    assert memo_settle(by_reference, fresh, found) == added
    assert core.memo_settle(entries, fresh, found) == added
    assert entries == expected
    assert list(entries) == list(expected)  # the same order of insertion
    assert list(by_reference.items()) == list(entries.items())


def test_a_bad_entry_is_an_error() -> None:
    with native.use(True):  # (LEAKPRINT_PURE_PYTHON=1 only unselects it)
        core = native.CORE
    assert core is not None
    with pytest.raises(TypeError):
        core.memo_split({"a": ["not", "a", "tuple"]}, ["a"])
    with pytest.raises(ValueError):
        core.memo_split({"a": (1, 2)}, ["a"])


@pytest.mark.parametrize("size", [200, 50_000])
@pytest.mark.parametrize("general", [False, True])
def test_split_of_a_large_memo_with_deleted_keys(size: int, general: bool) -> None:
    """memo_split asks for the dict's slots, entries and keys ahead as CPython 3.11
    lays them out (``_dictpeek.h``): hints only, so the answer is the reference's for
    index slots of 1, 2 and 4 bytes, a dict whose keys are not all str (its entries
    hold hashes), deleted keys, values that are not there, and values that repeat."""
    with native.use(True):  # (LEAKPRINT_PURE_PYTHON=1 only unselects it)
        core = native.CORE
    assert core is not None
    kinds: list[Any] = [(), (_CELL,), ([(("name", "佐藤"), 0)], True, ((("name", "佐藤"), 1),))]
    entries: dict[Any, Any] = {f"佐藤{i}": kinds[i % 3] for i in range(size)}
    if general:
        entries[12345] = ()
    for i in range(0, size, 7):
        del entries[f"佐藤{i}"]
    values = [f"佐藤{i}" for i in range(0, size + 100, 2)] + ["佐藤1", "佐藤5"]
    got = core.memo_split(entries, values)
    assert got == memo_split(entries, values)
    assert len(got[1]) > size // 10 and len(got[0]) > 50 and got[3] is not None


def test_an_unhashable_value_is_an_error() -> None:
    with native.use(True):  # (LEAKPRINT_PURE_PYTHON=1 only unselects it)
        core = native.CORE
    assert core is not None
    values: list[Any] = ["a"] * 20
    values.append(["b"])  # (a list: no hash)
    with pytest.raises(TypeError):
        core.memo_split({"a": ()}, values)


_PAIRS = st.tuples(st.sampled_from(["name", "phone", "birthdate"]),
                   st.text(alphabet="ab1", max_size=3))


@given(st.dictionaries(_PAIRS, st.sampled_from([(), (1,), "x"]), max_size=10),
       st.lists(_PAIRS, max_size=90), st.booleans())
@settings(max_examples=500, deadline=None)
def test_cache_split_as_the_reference(cache: dict[tuple[str, str], Any],
                                      pairs: list[tuple[str, str]], as_tuple: bool) -> None:
    """Each pair's answer (the cache's own object) or None, and the positions of the
    missing ones grouped by kind, in order: as ``_missing_by_kind`` groups them. Lists
    past 64 pairs take the heap array of hashes; repeated pairs are each looked up."""
    from matchers.probe import _missing_by_kind

    with native.use(True):
        core = native.CORE
    assert core is not None
    # (equal pairs that are other objects than the cache's keys)
    pairs = [(k, "".join(v)) for k, v in pairs]
    known, by_kind = core.cache_split(cache, tuple(pairs) if as_tuple else pairs)
    assert known == [cache.get(p) for p in pairs]
    assert all(a is cache[p] for a, p in zip(known, pairs, strict=True) if a is not None)
    reference = list(map(cache.get, pairs))
    assert sorted(by_kind.items()) == _missing_by_kind(pairs, reference)
    assert all(pairs[i] not in cache for where in by_kind.values() for i in where)


def test_cache_split_refuses_what_is_no_pair() -> None:
    with native.use(True):
        core: Any = native.CORE  # (called with what the signature refuses)
    assert core is not None
    with pytest.raises(TypeError):
        core.cache_split({}, [("name", "a"), ["unhashable"]])
    with pytest.raises(TypeError, match="a pair is"):
        core.cache_split({}, [("name", "a"), "name"])
    assert core.cache_split({"name": 1}, ["name"]) == ([1], {})
