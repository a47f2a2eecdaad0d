"""Column-wise scanning of line-based tables (CSV, TSV, pipe, space-aligned, lists).

Most of a dump's cells are values that cannot match, and many values repeat
(names, dates, postal codes). So instead of walking row by row, the chunk is
transposed into columns (``zip`` runs in C), each column's *distinct* values are
canonicalized once, all distinct candidate values of the chunk are probed in one
batch, and only then are rows looked at — only the rows in which some value
hit a record, and of rows with the same hit cells only the first. Evidence,
confidence and counts come out exactly as from the row-by-row path
(:meth:`Extractor.table_row`); this is purely a faster order of the same work
(tests/matchers/test_columns.py checks it).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence, Set
from itertools import chain, compress, repeat
from operator import itemgetter, not_

from fingerprints import native
from fingerprints.packed import take
from matchers.candidates import Extractor
from matchers.columnrefs import (
    MEMO_STRONG,
    Resolved,
    column_hits,
    first_rows,
    memo_settle,
    memo_split,
    rows_with,
)
from matchers.columnrefs import shaped_hits as ref_shaped_hits  # (a local's name below)
from matchers.confidence import WEAK_KINDS
from matchers.probe import Hits, Prober
from matchers.rows import Layout
from matchers.shapes import (
    CELL_CACHE_SIZE,
    CELL_PAIRS,
    CELL_PRIMARIES,
    CellResult,
    Pair,
    RowCandidates,
    ShapedCells,
    column_rows,
    evict_oldest_half,
)
from matchers.tables import table_columns

_KIND = itemgetter(0)


class ColumnMemo:
    """What each cell value of a column came to against one prober, across the
    chunks of a stream: its hits as :func:`column_hits` gives them, or ``()``; or,
    for a value whose chunk needed no probe of it, only its candidates (``(its
    CellResult,)``, one item: "unread").

    A dump's names, dates and addresses repeat from chunk to chunk, and against a
    large base most of them hit someone: without the memo every chunk looked each
    of them up again (the candidate cache, the probe's answers, the hit test of
    each candidate). Values with a primary candidate are not kept (they hardly
    repeat, and their counts are per row). The answers of a prober do not change,
    so an entry stays true; the memo is bounded like the candidate cache.

    Most pages of a crawl hit nobody through a strong value, and their names and
    dates are then never probed: without the unread entries every later page
    looked each of them up here and then again in the extractor's cache of cell
    candidates (two lookups in tables of ~10^5 entries, memory-bound: ~1 us a value
    on the crawl benchmark). (Entries are plain tuples, told apart by their length:
    the collector stops tracking a plain tuple of untracked items, never a tuple
    subclass's, and a memo of them would be walked at every full collection.)
    """

    __slots__ = ("_bound", "_columns", "_size")

    def __init__(self, bound: int = CELL_CACHE_SIZE) -> None:
        self._columns: dict[tuple[int, str | None], dict[str, Resolved]] = {}
        self._size = 0
        self._bound = bound

    def column(self, j: int, hint: str | None) -> dict[str, Resolved]:
        """The entries of column ``j`` read with ``hint`` (value -> resolution)."""
        got = self._columns.get((j, hint))
        if got is None:
            got = self._columns[(j, hint)] = {}
        return got

    def __len__(self) -> int:
        return sum(map(len, self._columns.values()))

    def added(self, n: int) -> None:
        """Count ``n`` new entries; past the bound, the older half of each column's go."""
        self._size += n
        if self._size > self._bound:
            for entries in self._columns.values():
                evict_oldest_half(entries)
            self._size = len(self)


def scan_columns(
    ex: Extractor,
    prober: Prober,
    text: str,
    layout: Layout,
    first_line: int,
    memo: ColumnMemo | None = None,
    deferred: Set[str] = frozenset(),
    split: list[str] | None = None,
) -> tuple[list[RowCandidates], dict[Pair, Hits], int, int]:
    """Rows with hits, the probe answers they need, and primary candidate counts
    (all, matched). ``memo`` carries what cell values came to from one chunk of a
    stream to the next (it must belong to ``prober``). Values of the ``deferred``
    kinds (weak ones, never a primary kind) are probed only once some other value
    hit (then the result is the same as with none deferred; the answers returned
    lack theirs when there are no rows). In a column read as a weak kind, the cells
    that can give only weak candidates (:meth:`Extractor.weak_only`) are not even
    read until then, and then only in the rows with a strong hit. ``split`` is
    ``text.split("\n")`` when the caller has it."""
    table = table_columns(text, layout, first_line, split)
    if not len(table):
        return [], {}, 0, 0
    if memo is None:
        memo = ColumnMemo()
    columns = table.columns
    lines = table.lines
    hints = layout.hints or ()
    results: list[dict[str, CellResult]] = []
    news: list[dict[str, CellResult]] = []  # per column: its values not memoized before
    memos: list[dict[str, Resolved]] = []
    known: list[tuple[list[str], list[Resolved]]] = []  # per column: memoized hit values
    shaped_of: dict[int, ShapedCells] = {}
    later: list[tuple[int, str, list[str]]] = []  # (column, hint, cells read once needed)
    n_prim = 0
    deferred = deferred - ex.plan.primary
    lazy = deferred >= WEAK_KINDS
    # Tens of thousands of distinct values per chunk, nearly all of them
    # misses: everything per value below runs in C (map, zip, compress, chain).
    # Columns whose every value is distinct (phone numbers, e-mail addresses): a
    # count over the rows is a sum over the values.
    distinct_columns: set[int] = set()
    # (A column's distinct values, in order: from the native cut when it made them.)
    known_distinct: Sequence[Collection[str]] = table.distinct or list(
        map(dict.fromkeys, columns))
    for j, column in enumerate(columns):
        distinct = known_distinct[j]
        if len(distinct) == len(column):
            distinct_columns.add(j)
        hint = hints[j] if j < len(hints) else None
        entries = memo.column(j, hint)
        memos.append(entries)
        values: Collection[str] = distinct
        if lazy and hint is not None and hint in deferred and ex.hint_first(hint):
            weak_cells, values = ex.weak_only(distinct, hint)
            if weak_cells:
                later.append((j, hint, weak_cells))
        shaped, rest = ex.split_shaped(values)
        found, fresh_found, known_values, known_res, fresh = _read_values(ex, entries, rest, hint)
        news.append(fresh_found)
        known.append((known_values, known_res))
        results.append(found)
        # Primary candidate occurrences: every row's cell counts (a shaped cell's
        # one candidate too; the shaped values are not among ``found``'s).
        shaped_values: list[str] = []
        if shaped is not None and shaped.values:
            shaped_of[j] = shaped
            shaped_values = shaped.values
        found_prim = any(map(CELL_PRIMARIES, found.values()))
        repeats = table.repeats[j] if table.repeats is not None else None
        if j in distinct_columns or (
                repeats is not None and values is distinct and (shaped_values or found_prim)):
            # (Each value one cell: a sum over the values, no dict of them. With few
            # repeats, that sum and one over the repeated cells.)
            n_prim += len(shaped_values) + (
                sum(map(CELL_PRIMARIES, found.values())) if found_prim else 0)
            if repeats:
                n_prim += _repeats_primaries(repeats, found if found_prim else None,
                                             rest if shaped_values else None)
        elif shaped_values or found_prim:
            prim = dict.fromkeys(shaped_values, 1)
            if found_prim:
                prim.update(zip(found, map(CELL_PRIMARIES, found.values()), strict=True))
            n_prim += _over_rows(prim, column, False)
        memo.added(fresh)
    pairs = list(
        chain.from_iterable(
            chain.from_iterable(map(CELL_PAIRS, found.values())) for found in results
        )
    )
    # Strong values first (SPEC 4: a row without a hit of a kind outside WEAK_KINDS
    # is no evidence of anyone). Most tables hit no record through any of them —
    # while their names and birth dates, shared with a large customer base, hit by
    # the hundred — and then the weak values need no probe and no column walk: the
    # result (no rows, no matched primary) is the same. Primary kinds are never
    # deferred, so nothing deferred could have counted as a matched primary.
    # (The weak values are told apart before they are made distinct: mostly they
    # are not probed at all, and hashing a pair reads its tuple and both strings,
    # scattered in memory.)
    is_weak = list(map(deferred.__contains__, map(_KIND, pairs))) if deferred else []
    unique = list(dict.fromkeys(compress(pairs, map(not_, is_weak)) if any(is_weak)
                                else pairs))
    answers = prober.probe(unique)
    hits = dict(zip(unique, answers, strict=True))
    hit_set = set(compress(unique, answers))
    # Bare phone numbers and e-mail addresses: probed as plain lists, and only
    # the few that hit are made into pairs.
    # (per shaped column: value -> its cell hits [(pair, j)], as column_hits makes them)
    shaped_hits: dict[int, dict[str, list[tuple[Pair, int]]]] = {}
    core = native.CORE
    for j, shaped in shaped_of.items():
        at, got = prober.hits_of_kind(shaped.kind, shaped.canonicals)
        if at:
            # (a clean dump's customers' phone numbers hit by the ten thousand a
            # chunk: their canonical forms made strs only now, where they are packed,
            # and their pairs and cells made in C)
            shaped_hits[j] = (core.shaped_hits if core is not None else ref_shaped_hits)(
                shaped.values, at, shaped.kind, take(shaped.canonicals, at), got, j, hits)
    if not hit_set and not shaped_hits and not any(
        any(map(MEMO_STRONG, res)) for _values, res in known
    ):
        # The values not probed are memoized unread (their CellResult in a 1-tuple):
        # the next chunk takes their candidates from the memo, not from the
        # extractor's cache.
        for entries, found in zip(memos, news, strict=True):
            if found:
                kept = list(compress(found, map(not_, map(CELL_PRIMARIES, found.values()))))
                entries.update(zip(kept, zip(map(found.__getitem__, kept)), strict=True))
        return [], hits, n_prim, 0
    # The cells left for later are read now, those in rows with a strong hit only
    # (evidence.collect skips every other row): all they give is of deferred kinds.
    rows: list[int] | None = None  # the rows with a strong hit, once they are known
    if later:
        rows = _strong_rows(columns, results, hit_set, shaped_hits, known, table.distinct)
        later = [(col, col_hint, _in_rows(waiting, columns[col], rows,
                                          table.distinct[col] if table.distinct else None))
                 for col, col_hint, waiting in later]
    late: list[Pair] = []
    for col, col_hint, waiting in later:
        found, _fresh, known_values, known_res, fresh = _read_values(
            ex, memos[col], waiting, col_hint)
        results[col].update(found)
        known[col][0].extend(known_values)
        known[col][1].extend(known_res)
        late += chain.from_iterable(map(CELL_PAIRS, found.values()))
        memo.added(fresh)
    weak = list(dict.fromkeys(chain(compress(pairs, is_weak), late))) if late or any(is_weak) \
        else []
    if weak:
        answers = prober.probe(weak)
        hits.update(zip(weak, answers, strict=True))
        hit_set.update(compress(weak, answers))

    # Per column: cell value -> its candidates that hit, as ((kind, canonical), column),
    # in the cell's own order (it decides the cell's label in a snippet). Only the
    # few values with a hit are visited in Python.
    n_matched = 0
    hit_columns: list[int] = []
    hit_cells: dict[int, dict[str, list[tuple[Pair, int]]]] = {}
    strong: list[set[str] | None] = []  # per hit column: its values with a strong hit
    read_hits = core.column_hits if core is not None else column_hits
    for j, found in enumerate(results):
        cell_hits, strong_values, matched_values = read_hits(
            found, hit_set, hits, j, WEAK_KINDS, memos[j], known[j] if known[j][0] else None
        )
        shaped_cells = shaped_hits.get(j)
        if shaped_cells:
            cell_hits.update(shaped_cells)
            strong_values.update(shaped_cells)  # phone and e-mail are primary kinds
            matched_values.update(dict.fromkeys(shaped_cells, 1))
        if not cell_hits:
            continue
        if matched_values:
            n_matched += _over_rows(matched_values, columns[j], j in distinct_columns,
                                    table.repeats[j] if table.repeats is not None else None)
        hit_cells[j] = cell_hits
        hit_columns.append(j)
        strong.append(strong_values or None)
    if not any(strong):
        # Names, kana and birth dates only: no evidence of anyone (evidence.collect
        # would skip every one of these rows).
        return [], hits, n_prim, n_matched

    # Only candidates that hit are kept: nothing after this (evidence, snippet)
    # looks at the others.
    picked = (core.first_rows if core is not None else first_rows)(
        [columns[j] for j in hit_columns], [hit_cells[j] for j in hit_columns], strong, rows
    )
    joiner = layout.delimiter or ("  " if layout.kind == "aligned" else " ")
    picked_rows, founds = picked
    return column_rows(lines, picked_rows, founds, table, layout, joiner), hits, n_prim, n_matched


def _strong_rows(
    columns: Sequence[Sequence[str]],
    results: Sequence[Mapping[str, CellResult]],
    hit_set: Set[Pair],
    shaped_hits: Mapping[int, Collection[str]],
    known: Sequence[tuple[list[str], list[Resolved]]],
    distinct: list[list[str]] | None = None,
) -> list[int]:
    """The rows with a hit of a strong kind, before the deferred values are probed
    (so every pair in ``hit_set`` is of a kind not deferred, and strong): through a
    probed candidate, a bare phone number or e-mail address, or a memoized value.
    ``distinct`` is the table's (:class:`~matchers.tables.Table`) where the native cut
    made it: the native core then tests cells by address where it can."""
    sets: list[set[str] | None] = []
    for j in range(len(columns)):
        found = results[j]
        strong: set[str] = set()
        if hit_set and found:
            strong.update(compress(found, map(not_, map(hit_set.isdisjoint,
                                                         map(CELL_PAIRS, found.values())))))
        strong.update(shaped_hits.get(j, ()))
        values, res = known[j]
        if values:
            strong.update(compress(values, map(MEMO_STRONG, res)))
        sets.append(strong or None)
    core = native.CORE
    if core is None:
        return rows_with(columns, sets)
    return core.rows_with(list(columns), sets, distinct)


def _in_rows(values: list[str], column: list[str], rows: list[int],
             distinct: list[str] | None = None) -> list[str]:
    """Those of a column's distinct ``values`` that are in one of ``rows``.
    ``distinct`` is the column's distinct values where the native cut made them (equal
    cells one object): the native core then compares addresses, not strings."""
    if len(rows) == len(column):
        # Every row (a hit-dense table: each row has a strong hit): every value.
        return values
    core = native.CORE
    if core is not None and distinct is not None:
        got = core.in_rows(values, column, rows, distinct)
        if got is not None:
            return got
    there = set(map(column.__getitem__, rows))
    return list(compress(values, map(there.__contains__, values)))


def _read_values(
    ex: Extractor, entries: dict[str, Resolved], values: Iterable[str], hint: str | None
) -> tuple[dict[str, CellResult], dict[str, CellResult], list[str], list[Resolved], int]:
    """What some distinct values of a column come to, from its memo ``entries`` or
    the extractor: (the values with candidates to probe -> their CellResult, those of
    them not memoized before, the memoized values with hits and their entries, how
    many entries are new). Values with no candidate at all are settled in the memo."""
    core = native.CORE
    unread: dict[str, CellResult] | None
    if core is not None:
        # The same lists in one pass (fingerprints/_memo.c).
        fresh_values, known_values, known_res, unread = core.memo_split(entries, values)
    else:
        fresh_values, known_values, known_res, unread = memo_split(entries, values)
    # (Not through the extractor's cell cache: this memo remembers them.)
    fresh_found = found = ex.cells(fresh_values, hint, cached=False)
    if unread is not None:
        found = unread
        found.update(fresh_found)  # (the fresh values are the fewer)
    settle = core.memo_settle if core is not None else memo_settle
    fresh = len(fresh_found) + settle(entries, fresh_values, fresh_found)
    return found, fresh_found, known_values, known_res, fresh


def _repeats_primaries(repeats: list[str], found: Mapping[str, CellResult] | None,
                       rest: Collection[str] | None) -> int:
    """The primary candidates of a column's repeated cells (all of its distinct values
    read): a shaped cell's one where the column has shaped cells (``rest``, its other
    values, given), and those of the cells with candidates (``found``, when any has a
    primary)."""
    n = 0
    if rest is not None:
        others = rest if isinstance(rest, Set) else set(rest)
        n += len(repeats) - sum(map(others.__contains__, repeats))
    if found is not None:
        n += sum(map(CELL_PRIMARIES, filter(None, map(found.get, repeats))))
    return n


def _over_rows(counts: Mapping[str, int], column: Sequence[str], distinct: bool,
               repeats: Sequence[str] | None = None) -> int:
    """The sum over a column's cells of their value's count (0 for a value without
    one; every value counted is one of the column's): over the values themselves when
    every cell's value is distinct, and over its ``repeats`` too where they are known."""
    if distinct:
        return sum(counts.values())
    if repeats is not None:
        return sum(counts.values()) + sum(map(counts.get, repeats, repeat(0)))
    return sum(map(counts.get, column, repeat(0)))


