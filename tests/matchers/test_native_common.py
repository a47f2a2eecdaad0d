"""The native ``Common`` (``fingerprints/_common.c``) behaves as the reference class
``matchers.probe.PyCommon`` wherever a Common answer is read (issue 12, 15)."""

from __future__ import annotations

import copy
import gc
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fingerprints import native
from matchers.probe import Common, PyCommon, hit_count

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

ROOT = Path(__file__).resolve().parents[2]


def _native_common() -> Any:
    from fingerprints import _native  # type: ignore[attr-defined]

    return _native.Common


#: (what is asked of an answer, a function of it): each gives the same for both types.
READS = [
    ("truth", bool),
    ("length", len),
    ("records listed", list),
    ("as a tuple", tuple),
    ("equal to no records", lambda c: c == ()),
    ("hash", hash),
    ("repr", repr),
    ("fields", lambda c: (c.kind, c.records, c.key)),
    ("a tuple", lambda c: isinstance(c, tuple)),
    ("after pickling", lambda c: (type(pickle.loads(pickle.dumps(c))) is type(c),
                                  pickle.loads(pickle.dumps(c)).key)),
    ("copied", lambda c: (copy.copy(c).records, copy.deepcopy(c).key)),
    ("joined to answers", lambda c: (*c, (3, "name"))),
]


@pytest.mark.parametrize(("what", "read"), READS, ids=[w for w, _ in READS])
@pytest.mark.parametrize("key", [7, 2**64 - 1, ("key", 3)])
def test_native_common_reads_as_the_reference(what: str, read: object, key: object) -> None:
    assert callable(read)
    got = read(_native_common()("birth_date", 4000, key))
    want = read(PyCommon("birth_date", 4000, key))
    if what == "after pickling":
        assert got == (True, key) == want
    else:
        assert got == want


def test_hit_count_reads_the_records_of_this_process_type() -> None:
    assert hit_count(Common("name", 40, 1)) == 40
    assert hit_count(((1, "name"), (2, "name"))) == 2


def test_native_common_fields_are_read_only_and_all_given() -> None:
    c = _native_common()("name", 40, 1)
    with pytest.raises(AttributeError):
        c.kind = "kana"
    with pytest.raises(TypeError):
        _native_common()("name", 40)
    assert _native_common()(kind="name", records=40, key=1).records == 40


def test_native_common_of_atoms_is_not_walked_by_the_collector() -> None:
    """An index answer (str, int, int) is untracked, as a tuple of atoms is; one with a
    container key is tracked, and collected with a cycle through it."""
    assert not gc.is_tracked(_native_common()("name", 40, 2**63))
    holder: list[object] = []
    c = _native_common()("name", 40, holder)
    assert gc.is_tracked(c)
    holder.append(c)
    del c, holder
    assert gc.collect() >= 1


def test_the_index_makes_the_type_it_is_given() -> None:
    """``index_answers`` builds the native type itself, and calls any other class."""
    import numpy as np

    from fingerprints import _native  # type: ignore[attr-defined]
    from fingerprints.index import ExactIndex

    m = 50
    keys = np.full(m, 5, np.uint64)
    index = ExactIndex(keys, np.arange(m, dtype=np.uint32), np.zeros(m, np.uint8),
                       np.array([0, m], np.uint64), keys.copy(), np.zeros(m, np.uint8))
    first, shift = index.buckets()
    queries = np.array([5], np.uint64)
    where = np.zeros(1, np.intp)
    made: list[tuple[object, ...]] = []
    for cls in (_native_common(), PyCommon):
        at, answers = _native.index_answers(index.keys, first, shift, queries, where,
                                            ["birth_date"], {"birth_date": 0}, index.rows,
                                            index.kinds, 32, cls)
        answer = answers[0]
        assert at == [0] and type(answer) is cls
        made.append((answer.kind, answer.records, answer.key))
    assert made[0] == made[1] == ("birth_date", m, 5)


@pytest.mark.parametrize(("pure", "expected"), [("1", "PyCommon"), ("", "Common")])
def test_the_type_is_chosen_once_at_import(pure: str, expected: str) -> None:
    """A process started with the reference uses the reference class throughout."""
    env = {**os.environ, "LEAKPRINT_PURE_PYTHON": pure}
    out = subprocess.run(
        [sys.executable, "-c", "from matchers.probe import Common; print(Common.__name__)"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected
    assert Common is (PyCommon if native.CORE is None else _native_common())
