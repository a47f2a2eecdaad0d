"""Regions of a document: each read with its own layout (SPEC 4 step 1).

A page is rarely one table: a paste's page has a menu above the dump, a forum
post has a line of chatter ("続き（2/3）") before a list, a psql result has a
row count under it. Deciding one layout for the whole text lets a few lines of
menu turn a table into prose, or a chatty first line turn a list into a table.
So the text is cut into *regions* — runs of lines of the same shape, also cut
at blank lines (HTML extraction puts one around each ``<pre>``, ``<table>``,
``<textarea>`` and post) — and each region gets its own layout.

Line shapes: ``|``-separated (psql, MySQL, Markdown; their rule lines
``-+-``, ``+---+``, ``|---|`` belong to the table), tab-separated, comma- or
semicolon-separated, JSON objects, list items (``・ - * • ① 1. (1)``),
``key: value`` lines, fixed-width columns (gaps of two or more spaces), and
other text. A line shaped like a list item is always read as one (a window of
prose), never as a space-separated table row because its name holds a space.

Text that a page holds twice (a ``<textarea>`` copy beside the rendered lines)
is read once: a region whose lines were all seen in an earlier region is left
out. Line-number gutters (``1``, ``2``, ``3`` … on lines of their own, as a
paste page's line numbers come out of extraction) are not content.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from fingerprints import native
from fingerprints.native import NativeCore
from matchers.lineshapes import (
    _SHAPES,
    BLANK,
    GUTTER,
    KV,
    LIST,
    PIPE,
    PROSE_SHAPES,
    RULE,
    TEXT,
    line_shape,
)
from matchers.rows import Layout, detect_layout, holds_sql_insert

#: Shapes whose neighbouring regions (across blank lines) are read together:
#: prose windows cross blank lines anyway, and one region costs one probe.
_JOIN_ACROSS_BLANKS: Final = frozenset({LIST, KV, TEXT})
#: A run of lines: first line, end line, shape, and holes (runs of lines of
#: another shape left blank in it, see _absorb_interruptions).
Span = tuple[int, int, str, tuple[tuple[int, int], ...]]
# Lines of another shape that do not cut a table in two (see _absorb_interruptions).
_INTERRUPTION_LINES: Final = 2
# Shapes of lines that are not a region's content.
_NOT_CONTENT: Final = frozenset({BLANK, GUTTER, RULE})
# A region is left out as a copy only when it has at least this many lines.
_COPY_MIN_LINES: Final = 3


@dataclass(frozen=True, slots=True)
class Region:
    """A run of lines of one shape: ``text`` starts at line ``first`` (0-based,
    within the chunk); ``shape`` is the shape of its lines. ``lines`` is
    ``text.split("\n")`` where the cut had it (a table's column scan takes it instead
    of splitting the text once more), else None."""

    first: int
    text: str
    shape: str
    lines: list[str] | None = field(default=None, compare=False, repr=False)


def whole_document(text: str) -> bool:
    """SQL dumps are read as one region: ``INSERT … VALUES`` tuples span lines
    of every shape, and everything outside a statement's tuples is skipped anyway."""
    return holds_sql_insert(text) or text.lstrip()[:1] == "["


def cut_regions(text: str) -> list[Region]:
    """The regions of a text, in order (see the module docstring)."""
    core = native.CORE
    # line_shape is the reference; the native pass gives the same shape per line.
    if core is not None:
        shapes = core.line_shapes(text, _SHAPES)
    else:
        shapes = [line_shape(ln) for ln in text.split("\n")]
    one = _one_region(text, shapes)
    if one is not None:
        return one
    lines: list[str] | None = None
    if GUTTER in shapes:
        lines = text.split("\n")
        _mark_gutters(lines, shapes)
    merged = _merged_spans(shapes)
    if lines is None:
        if len(merged) == 1 and merged[0][:2] == (0, len(shapes)):
            # One region of every line (a dump file's chunk, mostly; a span with
            # holes never comes alone): the text as it is, its lines not made (a
            # table's column scan cuts them from the text).
            return [Region(0, text, merged[0][2])]
        if core is not None and RULE not in shapes:
            return _regions_of_text(core, text, merged, shapes)
        lines = text.split("\n")
    regions: list[Region] = []
    # The content lines of the regions kept, made only once some region may be a
    # copy: a region whose first content line is in no kept region's text is none
    # (a page's prose lines between its table rows, mostly).
    seen: set[str] | None = None
    for a, b, shape, holes in merged:
        if core is not None and holes:
            body = core.blank_holes(lines, a, b, holes)
        else:
            body = lines[a:b]
            for ha, hb in holes:
                body[ha - a : hb - a] = [""] * (hb - ha)
        if GUTTER in shapes[a:b]:
            for j in range(a, b):
                if shapes[j] == GUTTER:
                    body[j - a] = ""
        if seen is not None or _may_be_copy(body, a, b, lines, shapes, regions):
            if seen is None:
                seen = set().union(*(_content(r.text.split("\n"), r.first, lines, shapes)
                                     for r in regions))
            content = _content(body, a, lines, shapes)
            if len(content) >= _COPY_MIN_LINES and content <= seen:
                continue  # a copy of text read already
            seen |= content
        regions.append(Region(a, "\n".join(body), shape, body))
    return regions


def _regions_of_text(core: NativeCore, text: str, merged: list[Span],
                     shapes: list[str]) -> list[Region]:
    """What cut_regions' loop below gives for a text without gutters or rule lines,
    with no str per line: each region's text is made from the text by the native
    ``region_texts`` (its lines joined, its holes' lines empty), and a region's lines
    are split only when it may be a copy. (Without rule lines, ``_content`` and
    ``_may_be_copy`` never read the chunk's lines.)"""
    no_lines: list[str] = []
    regions: list[Region] = []
    seen: set[str] | None = None
    for (a, b, shape, _holes), region_text in zip(merged, core.region_texts(text, merged),
                                                  strict=True):
        if seen is not None or _may_be_copy(_lines_of(region_text), a, b, no_lines, shapes,
                                            regions):
            if seen is None:
                seen = set().union(*(_content(r.text.split("\n"), r.first, no_lines, shapes)
                                     for r in regions))
            content = _content(region_text.split("\n"), a, no_lines, shapes)
            if len(content) >= _COPY_MIN_LINES and content <= seen:
                continue  # a copy of text read already
            seen |= content
        regions.append(Region(a, region_text, shape))
    return regions


def _lines_of(text: str) -> Iterator[str]:
    """``text.split("\n")``, one line at a time (a copy test reads to the first
    content line, not a region's every line)."""
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield text[start:end]
        start = end + 1
    yield text[start:]


def _merged_spans(shapes: list[str]) -> list[Span]:
    """The spans of a chunk's lines with the interruptions of its tables absorbed;
    without a rule line, in C when the native core is there (a dump with a noise
    line every few rows has tens of thousands of spans per chunk)."""
    core = native.CORE
    if RULE in shapes:
        return _absorb_interruptions(_spans(shapes), shapes)
    if core is not None:
        got = core.region_spans(shapes, _SHAPES, _JOIN_ACROSS_BLANKS, _NOT_CONTENT,
                                _INTERRUPTION_LINES)
        if got is not None:
            spans, taken_out = got
            return sorted(spans) if taken_out else spans
    return _absorb_interruptions(_spans_by_run(shapes), shapes)


def _content(body: list[str], a: int, lines: Sequence[str], shapes: Sequence[str]) -> set[str]:
    """The content lines of a region (``body``, from line ``a``), stripped: no blank
    line, hole or gutter, no rule."""
    # (Blank and white-space lines strip to "": one C-level pass, then dropped.)
    content = set(map(str.strip, body))
    content.discard("")
    b = a + len(body)
    if RULE in shapes[a:b]:
        content -= {lines[j].strip() for j in range(a, b) if shapes[j] == RULE}
    return content


def _may_be_copy(body: Iterable[str], a: int, b: int, lines: Sequence[str],
                 shapes: Sequence[str], regions: Sequence[Region]) -> bool:
    """False when the region of lines a:b (``body``) cannot be a copy of the
    ``regions`` kept before it: its first content line is in none of their texts (so
    not in their content lines)."""
    if not regions:
        return False
    rules = ({lines[j].strip() for j in range(a, b) if shapes[j] == RULE}
             if RULE in shapes[a:b] else ())
    for line in body:
        first = line.strip()
        if first and first not in rules:
            return any(first in region.text for region in regions)
    return False  # no content: not a copy


def _spans(shapes: Sequence[str]) -> list[tuple[int, int, str]]:
    """Runs of lines of one shape, as (first line, end line, shape): blank lines
    and gutters join a run (blank lines only where the shape joins across them),
    a rule belongs to the table it is drawn in."""
    spans: list[tuple[int, int, str]] = []
    cur: str | None = None
    start = 0
    blank_run = False
    for i, shape in enumerate(shapes):
        if shape in (BLANK, GUTTER):
            blank_run = blank_run or shape == BLANK
            continue
        if shape == RULE:
            # A rule belongs to the table it is drawn in (before or after it).
            if cur in (None, PIPE, RULE):
                if cur is None:
                    cur, start = RULE, i
                blank_run = False
                continue
            shape = PIPE if _next_shape(shapes, i) == PIPE else cur
        if cur == RULE and shape == PIPE:
            cur = PIPE
        same = shape == cur and (not blank_run or shape in _JOIN_ACROSS_BLANKS)
        if not same:
            if cur is not None:
                spans.append((start, i, cur))
            cur, start = shape, i
        blank_run = False
    if cur is not None:
        spans.append((start, len(shapes), cur))
    return spans


def _spans_by_run(shapes: Sequence[str]) -> list[tuple[int, int, str]]:
    """:func:`_spans` of shapes without a rule, a run of equal shapes at a time (a
    dump's chunk has a hundred thousand lines): after the first line of a run, the
    others change nothing there."""
    spans: list[tuple[int, int, str]] = []
    cur: str | None = None
    start = i = 0
    blank_run = False
    for shape, run in itertools.groupby(shapes):
        if shape in (BLANK, GUTTER):
            blank_run = blank_run or shape == BLANK
        else:
            if shape != cur or (blank_run and shape not in _JOIN_ACROSS_BLANKS):
                if cur is not None:
                    spans.append((start, i, cur))
                cur, start = shape, i
            blank_run = False
        i += len(list(run))
    if cur is not None:
        spans.append((start, len(shapes), cur))
    return spans


def _one_region(text: str, shapes: list[str]) -> list[Region] | None:
    """The region of a text whose lines all have one shape, blank ones aside (a
    post, a dump's chunk): what cut_regions' loop finds for it, without the loop.
    None when the loop is needed (several shapes, rules, gutters, blank lines that
    cut a table)."""
    blanks = shapes.count(BLANK)
    if blanks == len(shapes):
        return None
    first = next(i for i, s in enumerate(shapes) if s != BLANK) if blanks else 0
    shape = shapes[first]
    if shape in (GUTTER, RULE) or shapes.count(shape) + blanks != len(shapes):
        return None
    if blanks and shape not in _JOIN_ACROSS_BLANKS:
        # Blank lines cut a table: only leading and trailing ones are allowed.
        last = len(shapes) - 1
        while shapes[last] == BLANK:
            last -= 1
        if last - first + 1 != len(shapes) - blanks:
            return None
    return [Region(first, "\n".join(text.split("\n")[first:]) if first else text, shape)]


def _absorb_interruptions(
    spans: list[tuple[int, int, str]], shapes: Sequence[str]
) -> list[Span]:
    """A few lines of another shape inside a table (a comment, a forum's noise
    line, a row that lost its delimiters) do not cut it in two: when the shape
    before and after is the same, with no blank line in between, the table is one
    region with those lines left blank in it (holes), and the lines are a region
    of their own as well. At most two lines, or 5 % of the table around them."""
    out: list[tuple[int, int, str]] = []
    holes_of: list[list[tuple[int, int]]] = []  # per span of out (a list: thousands in a dump)
    extra: list[Span] = []
    i = 0
    while i < len(spans):
        a, b, shape = spans[i]
        if out and i + 1 < len(spans):
            first, end, prev_shape = out[-1]
            nxt = spans[i + 1]
            content = b - a - sum(map(_NOT_CONTENT.__contains__, shapes[a:b]))
            allowed = max(_INTERRUPTION_LINES, (end - first + nxt[1] - nxt[0]) // 20)
            if (
                prev_shape == nxt[2]
                and prev_shape not in _JOIN_ACROSS_BLANKS
                and content <= allowed
                and BLANK not in shapes[a - 1 : nxt[0]]
            ):
                out[-1] = (first, nxt[1], prev_shape)
                holes_of[-1].append((a, b))
                extra.append((a, b, shape, ()))
                i += 2
                continue
        out.append((a, b, shape))
        holes_of.append([])
        i += 1
    merged: list[Span] = [(a, b, shape, tuple(holes))
                          for (a, b, shape), holes in zip(out, holes_of, strict=True)]
    # The lines taken out of tables are read together per shape: one region
    # whose other lines are holes (a dump with a noise line every few rows would
    # otherwise be hundreds of one-line regions).
    by_shape: dict[str, list[tuple[int, int]]] = {}
    for a, b, shape, _h in extra:
        by_shape.setdefault(shape, []).append((a, b))
    for shape, runs in by_shape.items():
        gaps = tuple((b0, a1) for (_a0, b0), (a1, _b1) in itertools.pairwise(runs))
        merged.append((runs[0][0], runs[-1][1], shape, gaps))
    return sorted(merged) if by_shape else merged


def _next_shape(shapes: Sequence[str], i: int) -> str | None:
    for s in shapes[i + 1 :]:
        if s not in (BLANK, GUTTER, RULE):
            return s
    return None


def _mark_gutters(lines: Sequence[str], shapes: list[str]) -> None:
    """Number-only lines are line numbers when they count up one by one;
    otherwise they are text (a one-column list of ids)."""
    # (Stripped as line_shape strips: int() trims less white space, e.g. not U+001F.)
    numbered = [(i, int(lines[i].strip())) for i, s in enumerate(shapes) if s == GUTTER]
    for n, (i, value) in enumerate(numbered):
        before = numbered[n - 1][1] if n else None
        after = numbered[n + 1][1] if n + 1 < len(numbered) else None
        if before != value - 1 and after != value + 1:
            shapes[i] = TEXT


def region_layouts(
    regions: Sequence[Region], previous: Layout | None
) -> Iterator[tuple[Region, Layout]]:
    """Each region with its layout. A region continues the layout of the last
    region of the same shape (or, for the first region read as a table, of the
    previous chunk), so a header seen above a blank line or a few lines of chatter
    still names the columns below."""
    last: dict[str, Layout] = {}
    # A line or two of chatter at the top of a chunk (a prose region) does not end
    # the table the previous chunk was reading: the first table region carries it.
    first = True
    for region in regions:
        if region.shape in PROSE_SHAPES:
            layout = Layout("prose")
        else:
            carry = last.get(region.shape, previous if first else None)
            if carry is not None and carry.kind in ("sql", "json"):
                carry = None
            layout = detect_layout(region.text, carry)
        yield region, layout
        last[region.shape] = layout
        if layout.kind != "prose":
            first = False
