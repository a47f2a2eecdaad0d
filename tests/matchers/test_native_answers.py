"""The native index's answer for a few records (``Postings``, ``fingerprints/_answers.c``)
reads as the reference's tuple of ``(record, kind)`` tuples wherever an answer is read
(issue 12)."""

from __future__ import annotations

import copy
import pickle
import sys
from typing import Any

import pytest

from fingerprints import native

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")


def _postings(kind: str, rows: list[int]) -> Any:
    from fingerprints import _native  # type: ignore[attr-defined]

    return _native.Postings(kind, rows)


#: (what is asked of an answer, a function of it): each gives the same for both.
READS = [
    ("truth", bool),
    ("length", len),
    ("first record", lambda h: h[0]),
    ("last record", lambda h: h[-1]),
    ("first record's kind", lambda h: h[0][1]),
    ("a slice", lambda h: h[1:]),
    ("records listed", list),
    ("unpacked", lambda h: [(record, kind) for record, kind in h]),
    ("as a tuple", tuple),
    ("equal to the tuple", lambda h: (h == tuple(h), tuple(h) == h, h != tuple(h))),
    ("equal to another", lambda h: h == ((0, "name"),)),
    ("hash", hash),
    ("repr", repr),
    ("joined to answers", lambda h: h + ((9, "name"),)),  # noqa: RUF005 (the + itself)
    ("membership", lambda h: (h[0] in h, (10**6, "x") in h)),
    ("as a dict key", lambda h: {h: 1}[tuple(h)]),
    ("pickled", lambda h: pickle.loads(pickle.dumps(h))),
    ("copied", lambda h: (copy.copy(h) == h, copy.deepcopy(h))),
    ("sorted", sorted),
]


@pytest.mark.parametrize(("what", "read"), READS, ids=[w for w, _ in READS])
@pytest.mark.parametrize("rows", [[5], [3, 1, 4, 1], [0, 2**32 - 1, 70_000]])
def test_postings_read_as_the_reference_tuple(what: str, read: Any, rows: list[int]) -> None:
    want = tuple((r, "name") for r in rows)
    assert read(_postings("name", rows)) == read(want)


def test_postings_pickle_as_the_tuple_and_keep_their_kind() -> None:
    p = _postings("birthdate", [7, 8])
    assert type(pickle.loads(pickle.dumps(p))) is tuple
    assert p.kind == "birthdate"
    assert sys.getsizeof(p) < sys.getsizeof(tuple(p))


@pytest.mark.parametrize("rows", [[-1], [2**32], ["3"], 5])
def test_postings_rows_are_uint32(rows: Any) -> None:
    with pytest.raises((OverflowError, TypeError)):
        _postings("name", rows)


def test_postings_index_out_of_range() -> None:
    p = _postings("name", [1, 2])
    with pytest.raises(IndexError):
        p[2]
    with pytest.raises(IndexError):
        p[-3]
