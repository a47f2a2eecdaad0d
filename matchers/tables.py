"""A delimited table by columns, for the column-wise scan (:mod:`matchers.columns`).

:func:`table_columns` cuts a table's rows (header left out) into columns: with the
native core from the text itself (``text_columns``, ``fingerprints/_columns.c``: no
str per line, each repeated value of a column one object, its rows' texts made only
when asked for, :class:`TextRows`); else from its lines, split once and sliced by
column. :func:`table_cells` gives the same rows as lists of cells, as
:func:`matchers.rows.split_rows` gives them one by one.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import itemgetter

from fingerprints import native
from matchers.rows import HEADER_LINES, Layout, is_header_row, split_lines

__all__ = ["Table", "TextRows", "table_cells", "table_columns"]

_BOUNDS = struct.Struct("=qq")  # a row's [start, end) in its text, as text_columns gives it


@dataclass(frozen=True, slots=True)
class Table:
    """A line-based table by columns (short rows padded with ""), for the
    column-wise scan; ``cells(i)`` is row ``i`` as :func:`table_cells` gives it."""

    columns: list[list[str]]
    lines: list[int]
    _rows: list[list[str]] | None
    _texts: Sequence[str]
    _delimiter: str
    #: Per column, its distinct values in the order they first occur, where the native
    #: cut made them (else None).
    distinct: list[list[str]] | None = None
    #: Per column, its cells that are not their value's first occurrence, in row order
    #: (None for a column with many), where the native cut made them (else None).
    repeats: list[list[str] | None] | None = None

    def cells(self, i: int) -> list[str]:
        if self._rows is not None:
            return self._rows[i]
        return self._texts[i].split(self._delimiter)

    def __len__(self) -> int:
        return len(self.lines)


def table_columns(text: str, layout: Layout, first_line: int = 1,
                  split: list[str] | None = None) -> Table:
    """The rows of a line-based table (header left out), transposed into columns.
    ``split`` is ``text.split("\n")`` when the caller has it (not changed here).

    When every row is one line split on the delimiter (no quoting), the native core
    cuts the columns from the text itself, each repeated value of a column one
    object (``text_columns``: no str per line; ``split`` is then not needed). The
    reference joins the lines by the delimiter and splits them once, each column a
    slice with a step of that flat list: a few C-level passes instead of one list
    per row.
    """
    delim = layout.delimiter
    if (
        layout.kind != "delimited"
        or delim is None
        or (delim != "\t" and '"' in text)
    ):
        rows, lines = split_lines(text, layout, first_line)
        return Table(_transpose(rows), lines, rows, [], "")
    core = native.CORE
    if core is not None and len(delim) == 1:
        # The same table cut from the text itself (fingerprints/_columns.c): no str
        # made, stripped and filtered per line only to be cut again.
        drop = _header_rows(text, layout, delim) if layout.header is not None else ()
        got = core.text_columns(text, delim, first_line, drop)
        if got is not None:
            columns, distinct, repeats, numbers, bounds = got
            if not numbers:
                return Table([], numbers, None, [], delim)
            return Table(columns, numbers, None, TextRows(text, bounds), delim, distinct, repeats)
    all_lines = split if split is not None else text.split("\n")
    content = list(map(str.strip, all_lines))  # "" (false) for a blank line
    lines = list(compress(range(first_line, first_line + len(all_lines)), content))
    texts = list(compress(all_lines, content))
    if layout.header is not None:
        drop = [
            n
            for n, line in enumerate(lines[:HEADER_LINES])
            if is_header_row(layout, line - first_line, texts[n].split(delim))
        ]
        for n in reversed(drop):
            del texts[n], lines[n]
    if not texts:
        return Table([], lines, None, texts, delim)
    if core is not None and len(delim) == 1:
        # The same columns, each repeated value one str object (fingerprints/_columns.c);
        # width 0: the cut counts the delimiters (one more than a row's most).
        cut = core.split_columns(texts, delim, 0, True)
        if cut is not None:
            return Table(cut[0], lines, None, texts, delim, cut[1], cut[2])
    counts = list(map(str.count, texts, repeat(delim)))
    most = max(counts)
    width = most + 1
    padded = texts
    if min(counts) != most:
        padded = texts.copy()
        for i in compress(range(len(texts)), map(most.__ne__, counts)):
            padded[i] = texts[i] + delim * (most - counts[i])
    flat = delim.join(padded).split(delim)
    return Table([flat[j::width] for j in range(width)], lines, None, texts, delim)


def _header_rows(text: str, layout: Layout, delim: str) -> list[int]:
    """The indices of the lines of ``text`` that :func:`table_columns` leaves out as
    the header: among its first ``HEADER_LINES`` lines (``is_header_row`` looks no
    further), those not blank whose cells are the header's."""
    head: list[str] = []
    start = 0
    while len(head) < HEADER_LINES:
        # (Line by line: a split at most HEADER_LINES times would copy the rest.)
        end = text.find("\n", start)
        head.append(text[start:] if end < 0 else text[start:end])
        if end < 0:
            break
        start = end + 1
    return [i for i, line in enumerate(head)
            if line.strip() and is_header_row(layout, i, line.split(delim))]


class TextRows(Sequence[str]):
    """The rows of a table cut from a text (``text_columns``): row ``i`` is the text
    between its bounds, made only when asked for (a snippet's row, mostly)."""

    __slots__ = ("_bounds", "_text")

    def __init__(self, text: str, bounds: bytes) -> None:
        self._text = text
        self._bounds = bounds  # (int64 pairs, read where a row is asked for)

    def __len__(self) -> int:
        return len(self._bounds) // _BOUNDS.size

    def __eq__(self, other: object) -> bool:
        # (Equal to the rows as a list, as the reference's table holds them.)
        if isinstance(other, TextRows | list):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # (a list's rows are no key either)

    def __getitem__(self, i: int) -> str:  # type: ignore[override]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        start, end = _BOUNDS.unpack_from(self._bounds, i % len(self) * _BOUNDS.size)
        return self._text[start:end]


def _transpose(rows: list[list[str]]) -> list[list[str]]:
    """Columns of ``rows``, short rows padded with "" (like ``zip_longest``, but
    one C-level pass per column instead of one iterator per row)."""
    if not rows:
        return []
    lengths = list(map(len, rows))
    width = max(lengths)
    if min(lengths) != width:
        rows = rows.copy()
        for i in compress(range(len(rows)), map(width.__ne__, lengths)):
            rows[i] = [*rows[i], *repeat("", width - lengths[i])]
    return [list(map(itemgetter(j), rows)) for j in range(width)]


def table_cells(
    text: str, layout: Layout, first_line: int = 1
) -> tuple[list[list[str]], list[int]]:
    """All rows of a line-based table as lists of cells, and their line numbers.

    The header row is left out. This is the bulk form of :func:`split_rows`; the
    column-wise scan uses :func:`table_columns`, which gives the same rows.
    """
    table = table_columns(text, layout, first_line)
    return [table.cells(i) for i in range(len(table))], table.lines
