"""A second reading, as prose, of the lines a white-space table explains poorly.

Cells guessed from white space cut "山田 太郎さん" in two: a row of such a table
can tie fewer fields to a record than its line holds. Those lines are read again
as prose windows (:mod:`matchers.prose`), each on its own, and per record the
stronger evidence wins.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from itertools import chain
from typing import Final

from fingerprints.text import prepare
from matchers.candidates import Extractor
from matchers.evidence import collect
from matchers.probe import Hits, Prober, answers_epoch, known_answers, record_key_arrays
from matchers.prose import prose_candidates, prose_windows
from matchers.rows import PROSE_RADIUS
from matchers.shapes import Pair, RowCandidates

__all__ = ["WHITESPACE_TABLES", "Reading", "with_prose"]

# A line whose row reading tied fewer fields to a record than the line has
# non-empty cells (counting up to this many) is read as prose as well, when it
# holds at least PROSE_RETRY_MIN_CHARS characters; at most PROSE_RETRY_LINES
# such lines per region (bounded extra work).
PROSE_RETRY_FIELDS: Final = 3
# Layouts whose cells are guessed from white space (a name "山田 太郎さん" is two
# tokens): only their rows can explain a line poorly.
WHITESPACE_TABLES: Final = frozenset({"spaced", "aligned", "lines"})
PROSE_RETRY_MIN_CHARS: Final = 16
PROSE_RETRY_LINES: Final = 5000


@dataclass(slots=True)
class Reading:
    """One region read: its rows, per row the text a prose span points into,
    the probe answers the rows need, and primary candidate counts."""

    rows: list[RowCandidates]
    texts: list[str]
    hits: dict[Pair, Hits]
    n_prim: int
    n_matched: int


def with_prose(
    reading: Reading, text: str, first_line: int, ex: Extractor, prober: Prober,
    primary: Set[str],
) -> Reading:
    """Lines whose row reading tied fewer fields to a record than the line
    has cells (up to three): read them as prose windows too. Per record the stronger
    evidence wins (evidence.collect keeps each record's best row). ``ex`` and
    ``prober`` are the matcher's, ``primary`` its primary kinds."""
    if not reading.rows:
        return reading
    evidence = collect(reading.rows, reading.hits, primary,
                       records=prober.record_count,
                       record_keys=prober.record_keys,
                       key_arrays=record_key_arrays(prober))
    rows = reading.rows

    def explained(nfields: int, rc: RowCandidates) -> bool:
        row = rc.table_row()
        cells = sum(1 for c in row.cells if c.strip()) if row is not None else 0
        return nfields >= min(PROSE_RETRY_FIELDS, cells)

    weak = sorted(
        {ev.line for ev in evidence.values() if not explained(ev.nfields, rows[ev.row_index])}
    )
    if not weak:
        return reading
    lines = text.split("\n")
    picked = [
        n - first_line
        for n in weak[:PROSE_RETRY_LINES]
        if 0 <= n - first_line < len(lines)
        and len(lines[n - first_line].strip()) >= PROSE_RETRY_MIN_CHARS
    ]
    if not picked:
        return reading
    # Each line prepared and searched on its own: windows stay inside their
    # line, since a neighbouring weak line is another record.
    prepared = [prepare(lines[i]).replace("\n", " ") for i in picked]
    prose = "\n".join(prepared)
    answers, epoch = known_answers(prober), answers_epoch(prober)
    cands = [prose_candidates(ex, line, PROSE_RADIUS, answers, epoch)
             for line in prepared]
    unique = [
        p
        for p in dict.fromkeys(chain.from_iterable(c.pairs() for c in cands))
        if p not in reading.hits
    ]
    hits = dict(reading.hits)
    hits.update(zip(unique, prober.probe(unique), strict=True))
    rows = []
    offset = 0
    for i, line, c in zip(picked, prepared, cands, strict=True):
        line_no = first_line + i
        for rc in prose_windows(c, lambda _p: line_no, PROSE_RADIUS, hits):  # noqa: B023
            lo, hi = rc.span or (0, len(line))
            rc.span = (lo + offset, hi + offset)
            rc.found = [(pair, where + offset) for pair, where in rc.found]
            if rc.first is not None:
                rc.first += offset
            rows.append(rc)
        offset += len(line) + 1
    # The prose rows are a second reading of the same lines: their primary
    # candidates were counted by the row reading already.
    return Reading(
        reading.rows + rows,
        reading.texts + [prose] * len(rows),
        hits,
        reading.n_prim,
        reading.n_matched,
    )
