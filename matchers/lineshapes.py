"""The shape of one line of a chunk (SPEC 4 step 1): what :mod:`matchers.regions`
cuts a chunk into regions by. ``|``-separated (psql, MySQL, Markdown; their rule
lines ``-+-``, ``+---+``, ``|---|``), tab-, comma- or semicolon-separated, JSON
objects, list items (``・ - * • ① 1. (1)``), ``key: value`` lines, fixed-width
columns (gaps of two or more spaces), line-number gutters, blank lines and other
text. :func:`line_shape` is the reference of the native ``line_shapes``
(``fingerprints/_native_lines.h``), which numbers the shapes in the order of
``_SHAPES``.
"""

from __future__ import annotations

import re
from typing import Final

# Shapes of one line.
BLANK: Final = "blank"
RULE: Final = "rule"  # ----+----, +----+, |---|---|
GUTTER: Final = "gutter"  # a line number on its own
PIPE: Final = "pipe"
TAB: Final = "tab"
COMMA: Final = "comma"
SEMI: Final = "semi"
JSON: Final = "json"
LIST: Final = "list"
KV: Final = "kv"
ALIGNED: Final = "aligned"
TEXT: Final = "text"
#: The shapes in the order the native ``line_shapes`` numbers them (_native_lines.h).
_SHAPES: Final = (BLANK, RULE, GUTTER, PIPE, TAB, COMMA, SEMI, JSON, LIST, KV, ALIGNED, TEXT)

#: Shapes read as prose windows whatever detect_layout would say of them.
PROSE_SHAPES: Final = frozenset({LIST, KV})

_RULE_RE = re.compile(r"[\s|+:=\-]*[-=]{3}[\s|+:=\-]*\Z")
_LIST_RE = re.compile(
    r"(?:[・•●○◆◇■□▪▫▸►▶※→☆★]|[-*+](?=\s)|[\u2460-\u2473\u3251-\u325f\u32b1-\u32bf]"
    r"|[0-9]{1,3}[.)．）](?![0-9])|[（(][0-9]{1,3}[)）])"
)
# What a list item can start with besides a digit (see _LIST_RE).
_LIST_FIRST = frozenset("・•●○◆◇■□▪▫▸►▶※→☆★-*+（(") | frozenset(
    chr(c) for c in (*range(0x2460, 0x2474), *range(0x3251, 0x3260), *range(0x32B1, 0x32C0))
)
_KV_RE = re.compile(r"[^\s:：=|,]{1,24}\s*(?:[:：]|\s=\s?)\s*\S")
_ALIGNED_GAPS = re.compile(r"\S(?: {2,}|\t)(?=\S)")
_NUMBER_LINE = re.compile(r"[0-9]{1,6}\Z")


def line_shape(line: str) -> str:
    """The shape of one line (see the module docstring)."""
    s = line.strip()
    if not s:
        return BLANK
    if "," in s and "|" not in s and "\t" not in s:
        # The common line of a CSV dump, decided in as few steps as possible.
        first = s[0]
        if first == "{":
            return JSON
        if (first in _LIST_FIRST or first.isdigit()) and _LIST_RE.match(s):
            return LIST
        return KV if _KV_RE.match(s) else COMMA
    if s.count("|") >= 2:
        return RULE if _RULE_RE.match(s) else PIPE
    if _RULE_RE.match(s) and ("+" in s or "|" in s or len(s) >= 5):
        return RULE
    if _NUMBER_LINE.match(s):
        return GUTTER
    if s[0] == "{":
        return JSON
    if "\t" in s:
        return TAB
    if _LIST_RE.match(s):
        return LIST
    if s.count(";") >= 2:
        return SEMI
    if _KV_RE.match(s):
        return KV
    if len(_ALIGNED_GAPS.findall(s)) >= 2:
        return ALIGNED
    return TEXT
