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

from collections import Counter
from collections.abc import Callable, Sequence, Set
from itertools import chain, compress, repeat, zip_longest
from operator import itemgetter, not_

from matchers.candidates import CellResult, Extractor, Pair, RowCandidates
from matchers.probe import Hits
from matchers.rows import Layout, Row, table_cells

_PAIRS = itemgetter(0)  # of a CellResult: its (kind, canonical) values
_NPRIM = itemgetter(1)  # of a CellResult: how many of them are primary candidates


def scan_columns(
    ex: Extractor,
    probe: Callable[[Sequence[Pair]], list[Hits]],
    text: str,
    layout: Layout,
    first_line: int,
    primary: Set[str],
) -> tuple[list[RowCandidates], dict[Pair, Hits], int, int]:
    """Rows with hits, the probe answers, and primary candidate counts (all, matched)."""
    rows, lines = table_cells(text, layout, first_line)
    if not rows:
        return [], {}, 0, 0
    columns = list(zip_longest(*rows, fillvalue=""))
    hints = layout.hints or ()
    results: list[dict[str, CellResult]] = []
    n_prim = 0
    prim_columns: list[tuple[int, dict[str, int]]] = []  # columns with primary candidates
    # Tens of thousands of distinct values per chunk, nearly all of them
    # misses: everything per value below runs in C (map, zip, compress, chain).
    for j, column in enumerate(columns):
        found = ex.column(dict.fromkeys(column), hints[j] if j < len(hints) else None)
        results.append(found)
        if any(map(_NPRIM, found.values())):
            # Primary candidate occurrences: every row's cell counts.
            prim_of = dict(zip(found, map(_NPRIM, found.values()), strict=True))
            n_prim += sum(map(prim_of.get, column, repeat(0)))
            prim_columns.append((j, prim_of))
    unique = list(
        dict.fromkeys(
            chain.from_iterable(
                chain.from_iterable(map(_PAIRS, found.values())) for found in results
            )
        )
    )
    answers = probe(unique)
    hits = dict(zip(unique, answers, strict=True))
    hit_set = set(compress(unique, answers))

    # Per column: cell value -> its candidates that hit, as ((kind, canonical), column),
    # in the cell's own order (it decides the cell's label in a snippet). Only the
    # few values with a hit are visited in Python.
    n_matched = 0
    hit_columns: list[int] = []
    hit_cells: dict[int, dict[str, list[tuple[Pair, int]]]] = {}
    marks: list[list[str | None]] = []  # per hit column: each row's value if it hit
    for j, found in enumerate(results):
        if not found or hit_set.isdisjoint(chain.from_iterable(map(_PAIRS, found.values()))):
            continue
        misses = map(hit_set.isdisjoint, map(_PAIRS, found.values()))
        cell_hits: dict[str, list[tuple[Pair, int]]] = {}
        counts: Counter[str] | None = None
        for value in compress(found, map(not_, misses)):
            pairs, nprim, _label = found[value]
            if len(pairs) == 1:
                cell_hits[value] = [(pairs[0], j)]  # it is the one that hit
                matched = nprim
            else:
                cell_hits[value] = [(pair, j) for pair in pairs if hits[pair]]
                matched = 0
                for pair in pairs[:nprim]:
                    if hits[pair]:
                        matched += 1
            if matched:
                if counts is None:
                    counts = Counter(columns[j])
                n_matched += counts[value] * matched
        hit_cells[j] = cell_hits
        hit_columns.append(j)
        marks.append([v if v in cell_hits else None for v in columns[j]])
    if not marks:
        return [], hits, n_prim, n_matched

    # The evidence of a row is fixed by the (column, value) cells that hit in it:
    # a row whose hit cells equal those of an earlier row adds nothing (same
    # records, same kinds, a later line), so each distinct set is scored once, at
    # its first row. In particular a row with hits in one cell only is scored once
    # per distinct (column, value). A row's set is the tuple of its hit values per
    # hit column (None where it did not hit); the first row of each distinct
    # tuple is found by C-level zips (reversed, so that the first row wins).
    signatures = list(zip(*marks, strict=True))
    first = dict(zip(reversed(signatures), range(len(signatures) - 1, -1, -1), strict=True))
    first.pop((None,) * len(marks), None)
    # Only candidates that hit are kept: nothing after this (evidence, snippet)
    # looks at the others.
    joiner = layout.delimiter or ("  " if layout.kind == "aligned" else " ")
    out: list[RowCandidates] = []
    for i in sorted(first.values()):
        cells = rows[i]
        cols = [j for j, v in zip(hit_columns, signatures[i], strict=True) if v is not None]
        if len(cols) == 1:
            j = cols[0]
            row_found = hit_cells[j][cells[j]]
            nprim = results[j][cells[j]][1]
        else:
            row_found = []
            for j in cols:
                row_found += hit_cells[j][cells[j]]
            nprim = 0
            for j, prim_of in prim_columns:
                if j < len(cells):
                    nprim += prim_of.get(cells[j], 0)
        row = Row(lines[i], cells, layout.hints, layout.header, joiner)
        out.append(RowCandidates(lines[i], row_found, nprim, row))
    return out, hits, n_prim, n_matched
