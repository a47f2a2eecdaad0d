"""SPEC section 4 step 5: confidence of one record hit, and of a whole finding.

A record hit's level is set by ``matchers.chance`` (SPEC 12.1, chance-aware),
which replaced the small-base counting rule of SPEC 4.5 ("two fields =
medium"). What stays here (each line is a SPEC sentence or a documented choice):

* Fields are counted per record, from the evidence of ONE row or window.
  ``name`` and ``name_folded`` are one field ("name").
* Choice for the folded name (SPEC leaves it open): a name matched *only* through
  its folded form (variant kanji folded) is weaker evidence; it counts as a
  supporting field only when a primary field of the same record is present, and
  otherwise it does not count at all (a folded name + an address is ``low``).
* Choice (SPEC 4 step 4 read with the rule above): a record's evidence in a row
  counts only when it holds some field other than a name, kana name, folded
  name, birth date or postal code (``WEAK_KINDS``; issue 18: a 7-digit postal
  code is shared by about a thousand people). A large customer base shares those with a
  good part of the country, so a row of them names nobody; a record seen only
  that way is no hit at all, and such rows add nothing to any record's fields.
* A finding is ``bulk`` when it holds >= 10 distinct records at ``medium`` or above,
  or when >= 20 distinct records matched through primary kinds *and* the primary
  candidates that matched make up at least half of all primary candidates of the
  document (a list made of our customers, not a random list containing a few).
* The finding's confidence is the highest record confidence, raised to ``high``
  when the finding is ``bulk``.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from enum import StrEnum
from typing import Any, Final

from fingerprints.normalizers import WEAK_KINDS, NameFoldedNormalizer, NameNormalizer

__all__ = [
    "BULK_MEDIUM_RECORDS",
    "BULK_PRIMARY_RECORDS",
    "LEVELS",
    "NAME",
    "NAME_FOLDED",
    "RANK",
    "WEAK_KINDS",
    "Confidence",
    "field_set",
    "finding_confidence",
    "is_bulk",
    "max_confidence",
]


class Confidence(StrEnum):
    """A confidence level, ordered ``low < medium < high`` (the one declaration of
    the levels). Members are ``str``: their values are the strings stored in the
    database, printed in JSON and accepted on the command line, and a member equals
    its string (``Confidence.HIGH == "high"``)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """1 for ``low`` … 3 for ``high``."""
        return RANK[self]

    @property
    def display_ja(self) -> str:
        """The level in a Japanese report (高/中/低)."""
        return _JA[self]

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The level strings, lowest first (``click.Choice``, config checks)."""
        return tuple(level.value for level in cls)

    @classmethod
    def descending(cls) -> tuple[Confidence, ...]:
        """The levels, highest first (listings, alerts)."""
        return tuple(reversed(cls))

    @classmethod
    def rank_of(cls, level: str | None) -> int:
        """The rank of a level string, 0 for ``None`` or an unknown string."""
        return _VALUE_RANK.get(level or "", 0)

    # Ordered by rank, not alphabetically (``str`` would put "high" < "low").
    def __lt__(self, other: Any) -> bool:
        return self.rank < _rank(other)

    def __le__(self, other: Any) -> bool:
        return self.rank <= _rank(other)

    def __gt__(self, other: Any) -> bool:
        return self.rank > _rank(other)

    def __ge__(self, other: Any) -> bool:
        return self.rank >= _rank(other)


def _rank(other: Any) -> int:
    if isinstance(other, str) and other in RANK:
        return RANK[other]
    raise TypeError(f"not a confidence level: {other!r}")


_JA: Final[dict[Confidence, str]] = {
    Confidence.LOW: "低",
    Confidence.MEDIUM: "中",
    Confidence.HIGH: "高",
}
#: The levels, lowest first.
LEVELS: Final[tuple[Confidence, ...]] = tuple(Confidence)
#: Rank of each level. Keyed by the members: the matcher's hot paths index it with
#: members, found by identity; a stored string finds its level too, more slowly (a
#: member compares in Python, its ordering being by rank), hence ``_VALUE_RANK``.
RANK: Final[dict[str, int]] = {level: n for n, level in enumerate(Confidence, 1)}
_VALUE_RANK: Final[dict[str, int]] = {level.value: n for n, level in enumerate(Confidence, 1)}

NAME: Final = NameNormalizer.kind
NAME_FOLDED: Final = NameFoldedNormalizer.kind
# ``WEAK_KINDS`` (``Role.WEAK`` in the registry): kinds that are no evidence of a
# record on their own in a row (see the docstring).

BULK_MEDIUM_RECORDS: Final = 10
BULK_PRIMARY_RECORDS: Final = 20


def field_set(kinds: Iterable[str], primary: Set[str]) -> frozenset[str]:
    """The distinct *fields* a set of matched kinds stands for.

    ``name_folded`` merges into ``name``; a folded-only name is dropped unless a
    primary kind is present (see the module docstring).
    """
    ks = set(kinds)
    if NAME_FOLDED in ks:
        ks.discard(NAME_FOLDED)
        if NAME not in ks and ks & primary:
            ks.add(NAME)
    return frozenset(ks)


def max_confidence(levels: Iterable[str | None]) -> Confidence | None:
    """The highest of some confidences (``None`` when there are none)."""
    best: str | None = None
    for level in levels:
        if level is not None and (best is None or RANK[level] > RANK[best]):
            best = level
    return None if best is None else Confidence(best)


def is_bulk(
    *,
    medium_or_above_records: int,
    primary_records: int,
    matched_primary_candidates: int,
    primary_candidates: int,
) -> bool:
    """SPEC 4.5 ``bulk``.

    ``matched_primary_candidates`` / ``primary_candidates`` count primary candidate
    occurrences in the document (the share is what tells a list of our customers
    from a random list).
    """
    if medium_or_above_records >= BULK_MEDIUM_RECORDS:
        return True
    return (
        primary_records >= BULK_PRIMARY_RECORDS
        and primary_candidates > 0
        and 2 * matched_primary_candidates >= primary_candidates
    )


def finding_confidence(record_levels: Iterable[str], *, bulk: bool) -> Confidence | None:
    """Highest record confidence, raised to ``high`` for a bulk finding."""
    best = max_confidence(record_levels)
    if best is None:
        return None
    return Confidence.HIGH if bulk else best
