"""Map CSV/TSV column headers (Japanese and English) to field kinds.

Used by the importer and by the matcher's header-row detection. Exact alias hits
win; otherwise rapidfuzz's ``fuzz.ratio`` over normalized header text with a
cutoff. Ambiguity is reported, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fingerprints.normalizers import BUILTIN
from fingerprints.text import prepare

__all__ = [
    "ALIASES",
    "AMBIGUITY_MARGIN",
    "SCORE_CUTOFF",
    "ColumnMapping",
    "HeaderMatch",
    "header_key",
    "map_columns",
    "match_header",
]

SCORE_CUTOFF = 85.0
#: Two kinds whose best scores are this close make a header ambiguous.
AMBIGUITY_MARGIN = 5.0

#: Each built-in kind's header synonyms (``Normalizer.headers``), in the order
#: that decides which kind keeps a key two kinds' synonyms share.
ALIASES: dict[str, tuple[str, ...]] = {
    kind: cls.headers for kind, cls in BUILTIN.items() if cls.headers
}

_NOISE = re.compile(r"[\s\-_・.:()\[\]{}「」【】『』<>*※#/]+")
_TRAILING_DIGITS = re.compile(r"[0-9]+$")


def header_key(name: str) -> str:
    """NFKC-prepared, lower-cased, without white space, punctuation or a trailing
    number (``住所２`` and ``住所`` are one header)."""
    key = _NOISE.sub("", prepare(name).lower())
    stripped = _TRAILING_DIGITS.sub("", key)
    return stripped or key


_KEY_TO_KIND: dict[str, str] = {}
for _kind, _aliases in ALIASES.items():
    for _alias in _aliases:
        _KEY_TO_KIND.setdefault(header_key(_alias), _kind)
_KEYS: list[str] = list(_KEY_TO_KIND)


@dataclass(frozen=True)
class HeaderMatch:
    """Best kind for a header; ``candidates`` lists every kind when ambiguous."""

    kind: str
    score: float
    alias: str
    candidates: tuple[str, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


@dataclass
class ColumnMapping:
    """Result of ``map_columns``: decided columns, ambiguous ones, unmapped ones."""

    kinds: dict[int, str] = field(default_factory=dict)
    ambiguous: list[tuple[int, str, list[str]]] = field(default_factory=list)
    unmapped: list[int] = field(default_factory=list)


def match_header(name: str) -> HeaderMatch | None:
    """The kind a column header names, or ``None`` below the cutoff.

    When the best two kinds score within ``AMBIGUITY_MARGIN`` the result has
    ``ambiguous`` set and lists both in ``candidates``.
    """
    key = header_key(name)
    if not key:
        return None
    kind = _KEY_TO_KIND.get(key)
    if kind is not None:
        return HeaderMatch(kind, 100.0, key, (kind,))
    # Imported here: a spawned scan worker (matchers.parallel) reads rows with the
    # layout its parent found and never matches a header by similarity.
    from rapidfuzz import fuzz, process

    hits = process.extract(
        key, _KEYS, scorer=fuzz.ratio, score_cutoff=SCORE_CUTOFF, limit=len(_KEYS)
    )
    best_per_kind: dict[str, tuple[float, str]] = {}
    for alias, score, _ in hits:
        alias_kind = _KEY_TO_KIND[alias]
        if alias_kind not in best_per_kind or score > best_per_kind[alias_kind][0]:
            best_per_kind[alias_kind] = (float(score), alias)
    if not best_per_kind:
        return None
    ranked = sorted(best_per_kind.items(), key=lambda kv: -kv[1][0])
    top_kind, (top_score, top_alias) = ranked[0]
    close = tuple(k for k, (s, _) in ranked if top_score - s <= AMBIGUITY_MARGIN)
    return HeaderMatch(top_kind, top_score, top_alias, close)


def map_columns(headers: list[str]) -> ColumnMapping:
    """Map a header row to kinds. Columns whose header is ambiguous, and every
    column of a kind claimed by more than one column, go to ``ambiguous``."""
    mapping = ColumnMapping()
    claimed: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        match = match_header(header)
        if match is None:
            mapping.unmapped.append(index)
        elif match.ambiguous:
            mapping.ambiguous.append((index, header, list(match.candidates)))
        else:
            claimed.setdefault(match.kind, []).append(index)
    for kind, columns in claimed.items():
        if len(columns) == 1:
            mapping.kinds[columns[0]] = kind
        else:
            mapping.ambiguous.extend((c, headers[c], [kind]) for c in columns)
    mapping.ambiguous.sort()
    return mapping
