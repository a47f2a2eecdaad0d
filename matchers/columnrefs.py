"""The Python references of the column scan's native passes (issue 15).

:mod:`matchers.columns` calls the native functions when the core is built
(``fingerprints/_rows.c``, ``_memo.c``, ``_hits.c``) and these otherwise; the
differential tests (``tests/matchers/test_native_rows.py``, ``test_native_memo.py``,
``test_native_hits.py``) hold the native ones to them. Also the shape of what the
column memo keeps (:data:`Resolved`), which both sides read.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence, Set
from itertools import chain, compress, repeat
from operator import itemgetter, not_
from typing import Any

from matchers.probe import Hits
from matchers.shapes import CELL_PAIRS, CELL_PRIMARIES, CellResult, Pair

#: A memoized cell value: ``(its hits as column_hits lists them, whether one is of a
#: strong kind, (pair, answer) of each)``, ``()`` for a value without a hit, or
#: ``(its CellResult,)`` while its answers are unknown (never for a value with a
#: primary candidate). The lengths tell them apart (3, 0, 1; and 2 is _MISSING).
Resolved = (tuple[()] | tuple[list[tuple[Pair, int]], bool, tuple[tuple[Pair, Hits], ...]]
            | tuple[CellResult])
_MISSING: Any = (None, None)  # not memoized (a length no entry has)
_CELL_LIST = itemgetter(0)
_ONE, _TWO, _THREE = (1).__eq__, (2).__eq__, (3).__eq__
#: Whether a memo entry of three says strong.
MEMO_STRONG = itemgetter(1)
_ANSWERS = itemgetter(2)


def rows_with(columns: Sequence[Sequence[str]], sets: Sequence[Set[str] | None]) -> list[int]:
    """The indices, ascending, of the rows in which the cell of some column is in that
    column's set (None: no set): the reference of the native ``rows_with``
    (``fingerprints/_rows.c``; one pass over the rows, no set of row numbers)."""
    rows: set[int] = set()
    for column, strong in zip(columns, sets, strict=True):
        if strong:
            rows.update(compress(range(len(column)), map(strong.__contains__, column)))
    return sorted(rows)


def memo_split(
    entries: dict[str, Resolved], values: Iterable[str]
) -> tuple[list[str], list[str], list[Resolved], dict[str, CellResult] | None]:
    """The values without an entry, those with hits and their entries, and the unread
    ones (value -> its CellResult; None when there are none): the reference of the
    native ``memo_split`` (``fingerprints/_memo.c``)."""
    rest = list(values)
    resolved: list[Any] = list(map(entries.get, rest, repeat(_MISSING)))
    sizes = list(map(len, resolved))
    fresh_values = list(compress(rest, map(_TWO, sizes)))
    hit = list(map(_THREE, sizes))
    known_values, known_res = list(compress(rest, hit)), list(compress(resolved, hit))
    unread = None
    if 1 in sizes:
        ones = list(map(_ONE, sizes))
        unread = dict(zip(compress(rest, ones), map(_CELL_LIST, compress(resolved, ones)),
                          strict=True))
    return fresh_values, known_values, known_res, unread


def memo_settle(entries: dict[str, Resolved], fresh: list[str],
                 found: Mapping[str, CellResult]) -> int:
    """Each of the ``fresh`` values without candidates (not in ``found``) memoized as
    a miss; how many: the reference of the native ``memo_settle``."""
    added = 0
    for value in fresh:
        if value not in found:
            entries[value] = ()
            added += 1
    return added


def first_rows(
    columns: Sequence[Sequence[str]],
    cells: Sequence[Mapping[str, list[tuple[Pair, int]]]],
    strong: Sequence[Set[str] | None],
    kept_rows: Sequence[int] | None = None,
) -> tuple[list[int], list[list[tuple[Pair, int]]]]:
    """The rows a column scan scores, as (row indices, their hits): the reference of
    the native ``first_rows`` (``fingerprints/_rows.c``). ``columns`` are the hit
    columns, ``cells`` per hit column value -> its hits, ``strong`` per hit column the
    values with a strong hit (or None).

    The evidence of a row is fixed by the (column, value) cells that hit in it: a
    row whose hit cells equal those of an earlier row adds nothing (same records,
    same kinds, a later line), so each distinct set is scored once, at its first
    row. In particular a row with hits in one cell only is scored once per distinct
    (column, value). A row's set is the tuple of its hit values per hit column (None
    where it did not hit); the first row of each distinct tuple is found by C-level
    zips (reversed, so that the first row wins). Rows without a strong hit
    (evidence.collect skips them) are left out first; ``kept_rows``, when the caller
    has them (:func:`rows_with` of the same strong sets), are those with one.
    """
    if kept_rows is None:
        keep = list(map(any, zip(*(map(s.__contains__, col)
                                   for col, s in zip(columns, strong, strict=True) if s),
                                 strict=True)))
    else:
        keep = [False] * (len(columns[0]) if columns else 0)
        for i in kept_rows:
            keep[i] = True
    kept = list(compress(range(len(keep)), keep))
    marks = []  # per hit column: each kept row's value if it hit, else None
    for col, cell in zip(columns, cells, strict=True):
        same = dict(zip(cell, cell, strict=True))
        marks.append(map(same.get, compress(col, keep)))
    signatures = list(zip(*marks, strict=True))
    first = dict(zip(reversed(signatures), reversed(kept), strict=True))
    rows: list[int] = []
    founds: list[list[tuple[Pair, int]]] = []
    # (Row numbers are distinct: sorting never compares two signatures.)
    for i, signature in sorted(zip(first.values(), first, strict=True)):
        found: list[tuple[Pair, int]] = []
        for cell, value in zip(cells, signature, strict=True):
            if value is not None:
                found += cell[value]
        rows.append(i)
        founds.append(found)
    return rows, founds


def shaped_hits(values: Sequence[str], at: Sequence[int], kind: str, canons: Sequence[str],
                answers: Sequence[Hits], j: int, hits: dict[Pair, Hits]
                ) -> dict[str, list[tuple[Pair, int]]]:
    """The hit cells of a column of bare phone numbers or e-mail addresses: for each
    position ``at[k]`` into ``values``, the pair ``(kind, canons[k])`` goes into
    ``hits`` with ``answers[k]``, and the value gets its cell hits ``[(pair, j)]`` (as
    :func:`column_hits` gives a cell's): the reference of the native ``shaped_hits``
    (``fingerprints/_hits.c``)."""
    pairs = [(kind, canon) for canon in canons]
    hits.update(zip(pairs, answers, strict=True))
    return {values[i]: [(pair, j)] for i, pair in zip(at, pairs, strict=True)}


def column_hits(
    found: Mapping[str, CellResult],
    hit_set: Set[Pair],
    hits: dict[Pair, Hits],
    j: int,
    weak: Set[str],
    memo: dict[str, Resolved] | None = None,
    known: tuple[list[str], list[Resolved]] | None = None,
) -> tuple[dict[str, list[tuple[Pair, int]]], set[str], dict[str, int]]:
    """One column's cells with a hit: value -> its candidates that hit, as
    ``((kind, canonical), j)`` in the cell's own order (it decides the cell's label
    in a snippet); the values with a hit of a kind outside ``weak``; and per value
    its primary candidates that hit: the reference of the native ``column_hits``
    (``fingerprints/_hits.c``).

    ``memo`` (a :class:`matchers.columns.ColumnMemo` column) is given each value
    without a primary candidate: its resolution, or ``()`` when nothing of it hit.
    ``known`` (values, their memo entries) are the column's memoized values with hits:
    each is a cell with hits as its entry says, strong when it says so, and its
    answers go into ``hits``."""
    got = _found_hits(found, hit_set, hits, j, weak, memo)
    if known is not None:
        values, res = known
        cell_hits, strong_values, _matched = got
        cell_hits.update(zip(values, map(_CELL_LIST, res), strict=True))
        strong_values.update(compress(values, map(MEMO_STRONG, res)))
        hits.update(chain.from_iterable(map(_ANSWERS, res)))
    return got


def _found_hits(
    found: Mapping[str, CellResult],
    hit_set: Set[Pair],
    hits: Mapping[Pair, Hits],
    j: int,
    weak: Set[str],
    memo: dict[str, Resolved] | None,
) -> tuple[dict[str, list[tuple[Pair, int]]], set[str], dict[str, int]]:
    """:func:`column_hits` of the values read in this chunk (``found``)."""
    cell_hits: dict[str, list[tuple[Pair, int]]] = {}
    strong_values: set[str] = set()
    matched_values: dict[str, int] = {}
    if not found or hit_set.isdisjoint(chain.from_iterable(map(CELL_PAIRS, found.values()))):
        if memo is not None:
            memo.update(zip(compress(found, map(not_, map(CELL_PRIMARIES, found.values()))),
                            repeat(())))
        return cell_hits, strong_values, matched_values
    hit_at = list(map(not_, map(hit_set.isdisjoint, map(CELL_PAIRS, found.values()))))
    if memo is not None:
        # (Values with a primary candidate, or with a hit, are not misses to keep.)
        keep = map(not_, map(CELL_PRIMARIES, found.values()))
        memo.update(zip(compress(found, map(operator.and_, map(not_, hit_at), keep)),
                        repeat(())))
    for value in compress(found, hit_at):
        pairs, nprim, _label = found[value]
        strong = False
        if len(pairs) == 1:
            pair = pairs[0]  # it is the one that hit
            got = cell_hits[value] = [(pair, j)]
            if pair[0] not in weak:
                strong_values.add(value)
                strong = True
            matched = nprim
            if memo is not None and not nprim:
                memo[value] = (got, strong, ((pair, hits[pair]),))
                continue
        else:
            got = cell_hits[value] = [(pair, j) for pair in pairs if hits[pair]]
            for pair, _j in got:
                if pair[0] not in weak:
                    strong_values.add(value)
                    strong = True
                    break
            matched = 0
            for pair in pairs[:nprim]:
                if hits[pair]:
                    matched += 1
        if matched:
            matched_values[value] = matched
        if memo is not None and not nprim:
            memo[value] = (got, strong, tuple([(pair, hits[pair]) for pair, _j in got]))
    return cell_hits, strong_values, matched_values
