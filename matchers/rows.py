"""Text -> rows (SPEC 4 step 1).

A document (or one chunk of a large one) is given a :class:`Layout`: delimited
lines (CSV / TSV / pipe / semicolon, quoted CSV handled), space-aligned columns,
whitespace-separated tokens, JSON lines, a JSON array of objects, SQL ``INSERT``
tuples, or prose. Every layout except prose yields :class:`Row` objects made of
cells; prose is handled as windows of +-300 characters around each primary
candidate (:mod:`matchers.prose`), because only the candidates say where a
"row" is in free text. JSON and SQL rows are parsed in :mod:`matchers.structured`.

A header row (or JSON keys, or the column list of an ``INSERT``) is mapped to
field kinds with the same fuzzy table as the customer-file import
(:mod:`matchers.headers`), so that cells of a ``電話番号`` column are tried as
phone numbers first; the header may follow a title or comment line.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from fingerprints import native
from matchers.headers import header_hints

LayoutKind = Literal["delimited", "aligned", "spaced", "lines", "jsonl", "json", "sql", "prose"]

PROSE_RADIUS: Final = 300  # characters either side of a primary candidate (EDM's 300)
_SAMPLE_LINES: Final = 60
_SAMPLE_CHARS: Final = 64 * 1024
# A header row is looked for, and left out, among the first lines of a document:
# a title, a comment or a line of the post may come before it ("# dump 1").
HEADER_LINES: Final = 5
_DELIMITERS: Final = ("\t", "|", ",", ";")
# A layout must fit at least this share of the sampled lines.
_LAYOUT_SHARE: Final = 0.6


@dataclass(frozen=True, slots=True)
class Layout:
    """How one document (or a run of chunks of it) is cut into rows."""

    kind: LayoutKind
    delimiter: str = ""
    # Kind hint and header text per column, from a recognised header row.
    hints: tuple[str | None, ...] | None = None
    header: tuple[str, ...] | None = None


@dataclass(slots=True)
class Row:
    """One row of a tabular document: its cells and their kind hints."""

    line: int  # 1-based line of the document where the row starts
    cells: list[str]
    hints: Sequence[str | None] | None = None
    keys: Sequence[str] | None = None  # header / JSON key / SQL column per cell
    joiner: str = ","  # how the snippet puts the cells back together
    # Whitespace-separated tokens: a name "山田 太郎" is two tokens, so pairs of
    # neighbouring cells are tried as well.
    pairs: bool = False
    style: str = "table"  # "table", "json" or "sql": how the snippet is laid out


# -------------------------------------------------------------------------- layout

SQL_INSERT = re.compile(
    r"INSERT\s+(?:IGNORE\s+)?INTO\s+[`\"\[]?[\w.]+[`\"\]]?\s*(?:\(([^)]*)\))?\s*VALUES\s*",
    re.I,
)
_ALIGNED_SPLIT = re.compile(r"\s{2,}|\t")
_SPACED_SPLIT = re.compile(r"\s+")
_MAY_ALIGN = re.compile(r"\s(?:\s|(?<=\t))")  # where _ALIGNED_SPLIT can match


def holds_sql_insert(text: str) -> bool:
    """Whether ``SQL_INSERT`` matches somewhere in ``text``. Its IGNORECASE search
    costs a page of Japanese text ~0.1 ms; the native pre-test (does the text hold
    "insert" in any case?) rules most text out in a tenth of that."""
    core = native.CORE
    return (core is None or core.may_hold_insert(text)) and SQL_INSERT.search(text) is not None


def detect_layout(text: str, previous: Layout | None = None) -> Layout:
    """Decide the layout from a sample of the text.

    ``previous`` is the layout of the chunk before (streaming): a chunk that
    fits it keeps it, so that a header seen in the first chunk still hints the
    columns of the later ones.
    """
    sample = text[:_SAMPLE_CHARS]
    sample_lines = sample.splitlines()
    lines = list(filter(str.strip, sample_lines[:_SAMPLE_LINES]))
    if not lines:
        return previous or Layout("prose")
    head = sample.lstrip()
    head_lines = sample_lines[:HEADER_LINES]
    if holds_sql_insert(sample) or (previous is not None and previous.kind == "sql"):
        return _sql_layout(previous)
    if previous is not None and previous.kind in ("json", "jsonl"):
        return previous
    if previous is not None and _fits(previous, lines):
        return previous
    starts = sum(ln.lstrip().startswith("{") for ln in lines) if "{" in sample else 0
    if head.startswith("[") and "{" in head[:2000]:
        return Layout("json")
    if starts >= _LAYOUT_SHARE * len(lines):
        return Layout("jsonl")
    delimited = _detect_delimiter(lines, [d for d in _DELIMITERS if d in sample])  # (else 0s)
    if delimited is not None:
        return _with_header(Layout("delimited", delimited), head_lines, previous)
    if len(lines) < 2:
        # One line says little about columns; as prose it still gets +-300 windows.
        return Layout("prose")
    # len(str.split()) counts _SPACED_SPLIT's cells (str.isspace runs, no blank line); a
    # run holds one _ALIGNED_SPLIT gap at most: few lines of 3 spaced cells, no alignment;
    # and no gap at all without two white space characters in a row or a tab.
    spaced = [len(ln.split()) for ln in lines]
    enough = sum(map((3).__le__, spaced)) >= _LAYOUT_SHARE * len(lines)
    if enough and _MAY_ALIGN.search("\n".join(lines)) is not None:
        aligned = [len(_ALIGNED_SPLIT.split(ln.strip())) for ln in lines]
        if sum(n >= 3 for n in aligned) >= _LAYOUT_SHARE * len(lines):
            return _with_header(Layout("aligned"), head_lines, previous)
    mode = max(set(spaced), key=spaced.count)
    if mode >= 3 and spaced.count(mode) >= _LAYOUT_SHARE * len(lines):
        return _with_header(Layout("spaced"), head_lines, previous)
    if len(lines) >= 2 and sum(map(_list_item, lines)) >= 0.8 * len(lines):
        return _with_header(Layout("lines"), head_lines, previous)
    return Layout("prose")


def _list_item(line: str) -> bool:
    """A short line that is one value (a one-column list), not a sentence or "key: value"."""
    s = line.strip()
    # (Five substring tests: frozenset.isdisjoint would make a str of each character.)
    return 0 < len(s) <= 40 and not ("。" in s or "、" in s or ":" in s or "!" in s or "?" in s)


def _sql_layout(previous: Layout | None) -> Layout:
    if previous is not None and previous.kind == "sql":
        return previous
    return Layout("sql")


def _fits(layout: Layout, lines: Sequence[str]) -> bool:
    """A later chunk keeps the layout of the one before when its lines fit it."""
    if layout.kind != "delimited":
        return False
    width = len(layout.header) - 1 if layout.header else 1
    share = sum(ln.count(layout.delimiter) >= width for ln in lines) / len(lines)
    return share >= _LAYOUT_SHARE


def _detect_delimiter(lines: Sequence[str], delims: Sequence[str] = _DELIMITERS) -> str | None:
    best: tuple[float, str] | None = None
    for delim in delims:
        counts = [ln.count(delim) for ln in lines]
        nonzero = [c for c in counts if c]
        if not nonzero:
            continue
        mode = max(set(nonzero), key=nonzero.count)
        # Quoted CSV cells may hold extra commas, so "at least the mode" counts.
        share = sum(c >= mode for c in counts) / len(lines)
        # Two columns (one separator) are believed only when nearly every line has it.
        needed = _LAYOUT_SHARE if mode >= 2 or delim == "\t" else 0.9
        if share >= needed and (best is None or share > best[0]):
            best = (share, delim)
    return best[1] if best else None


def _with_header(layout: Layout, head_lines: Sequence[str], previous: Layout | None) -> Layout:
    """``layout`` with the hints of a header row among ``head_lines``, if there is one
    (after the first line, only a row naming two kinds or more is taken for one)."""
    first = True
    for line in head_lines:
        if not line.strip():
            continue
        cells = split_cells(line, layout)
        hints = header_hints(cells)
        if hints is not None and (first or sum(h is not None for h in hints) >= 2):
            return Layout(layout.kind, layout.delimiter, hints, tuple(c.strip() for c in cells))
        if layout.kind == "lines":
            break  # a one-column list: only its first line can name the column
        first = False
    if (
        previous is not None
        and previous.kind == layout.kind
        and previous.delimiter == layout.delimiter
        and previous.hints is not None
    ):
        return previous
    return layout


def split_cells(line: str, layout: Layout) -> list[str]:
    """Cells of one line of a tabular layout."""
    if layout.kind == "delimited":
        if '"' in line and layout.delimiter != "\t":
            try:
                return next(csv.reader([line], delimiter=layout.delimiter))
            except (csv.Error, StopIteration):
                pass
        return line.split(layout.delimiter)
    if layout.kind == "aligned":
        return _ALIGNED_SPLIT.split(line.strip())
    if layout.kind == "lines":
        return [line.strip()]
    return _SPACED_SPLIT.split(line.strip())


# ---------------------------------------------------------------------------- rows


def split_rows(
    text: str, layout: Layout, first_line: int = 1, *, continues: bool = False
) -> Iterator[Row]:
    """Rows of a non-prose layout.

    ``first_line`` is the document line of ``text[0]``; ``continues`` says the
    text is a later chunk of a document whose earlier chunk had this layout.
    """
    # structured.py builds on this module (Row, SQL_INSERT), hence the late import.
    from matchers import structured

    if layout.kind in ("delimited", "aligned", "spaced", "lines"):
        yield from _table_rows(text, layout, first_line)
    elif layout.kind == "jsonl":
        yield from structured.jsonl_rows(text, first_line)
    elif layout.kind == "json":
        yield from structured.json_rows(text, first_line)
    elif layout.kind == "sql":
        yield from structured.sql_rows(text, first_line, continues=continues)


def is_header_row(layout: Layout, line_index: int, cells: Sequence[str]) -> bool:
    """True for the layout's header row itself (it carries no data)."""
    header = layout.header
    return (
        header is not None
        and line_index < HEADER_LINES
        and len(cells) == len(header)
        and tuple(map(str.strip, cells)) == header
    )


def split_lines(text: str, layout: Layout, first_line: int) -> tuple[list[list[str]], list[int]]:
    """:func:`table_cells` line by line, for layouts whose cells are not plain splits."""
    delim = layout.delimiter
    plain = layout.kind == "delimited" and delim != "\t"
    rows: list[list[str]] = []
    lines: list[int] = []
    for i, line in enumerate(text.split("\n")):
        if not line or line.isspace():
            continue
        if layout.kind == "delimited" and not (plain and '"' in line):
            cells = line.split(delim)
        else:
            cells = split_cells(line, layout)
        if is_header_row(layout, i, cells):
            continue
        rows.append(cells)
        lines.append(first_line + i)
    return rows, lines


def _table_rows(text: str, layout: Layout, first_line: int) -> Iterator[Row]:
    joiner = layout.delimiter or ("  " if layout.kind == "aligned" else " ")
    hints = layout.hints
    header = layout.header
    pairs = layout.kind == "spaced"
    for i, line in enumerate(text.split("\n")):
        if not line or line.isspace():
            continue
        cells = split_cells(line, layout)
        if is_header_row(layout, i, cells):
            continue
        yield Row(first_line + i, cells, hints, header, joiner, pairs)
