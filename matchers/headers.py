"""Column headers in scanned text -> field kinds.

The same fuzzy table the customer-file import maps its columns with
(``fingerprints.headers``), so that the cells of a dump's ``電話番号`` or ``ﾌﾘｶﾞﾅ``
column are tried as that kind first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from fingerprints.headers import match_header

# A header cell never holds four digits in a row (a value does: year, phone, postcode).
_DIGITS4 = re.compile(r"\d{4}")


@lru_cache(maxsize=4096)
def _header_match(name: str) -> tuple[str | None, bool]:
    name = name.strip().strip("\"'`[]")
    if not name or len(name) > 40:
        return None, False
    found = match_header(name)
    if found is None or found.ambiguous:
        return None, False
    return found.kind, found.score >= 100.0


def header_kind(name: str) -> str | None:
    """The field kind a column header stands for, via the import's fuzzy table
    (``None`` when unknown or ambiguous)."""
    return _header_match(name)[0]


def known_header(name: str) -> bool:
    """True when ``name`` is, up to case and punctuation, an alias of the header table."""
    return _header_match(name)[1]


def header_hints(cells: Sequence[str]) -> tuple[str | None, ...] | None:
    """Kinds of a header row, or ``None`` when the row does not look like a header."""
    if not cells:
        return None
    for cell in cells:
        if "@" in cell or _DIGITS4.search(cell):
            return None
    kinds = tuple(header_kind(c) for c in cells)
    known = sum(k is not None for k in kinds)
    if known >= 2 or (known == 1 and len(cells) <= 3):
        return kinds
    return None


