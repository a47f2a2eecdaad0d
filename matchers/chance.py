"""SPEC 12.1: chance-aware confidence of one record hit.

The question a level answers: how likely is it that *these* field values of
*this* customer met in one row or window by coincidence — a stranger's row that
happens to carry our customer's name, or fields of several different people?

Model (Fellegi–Sunter with term-frequency adjustment, as Splink does it): each
matched value ``v`` of kind ``k`` has a u-probability, the chance that a random
person outside the base shares it::

    u(v) = count(v) × PRIOR[k]          (identifiers: phone, e-mail, customer id, custom
                                         kinds — a value names one person, PRIOR = 1/1.25e8
                                         for phone and e-mail, 1e-6 for an id)
    u(v) = max(PRIOR[k], count(v) / N)  (weak kinds: names, kana, birth dates, postal codes,
                                         addresses — namesakes and households share them)

where ``count(v)`` is how many of the set's ``N`` records hold the value (the
exact index knows: records sharing the digest) and ``PRIOR[k]`` the documented
floor for the population outside the base. Correlated fields are counted once,
by their most telling value: ``{name, name_folded, name_kana}`` (a kana reading
follows the name), ``{address, postal_code}`` (the postal code follows the
address). The chance of a coincidental tie of a record is::

    chance = N × ∏ over field groups of min u

(the expected number of customers a random row would tie to on all of them).
Levels are thresholds on it, with the SPEC 12.1 invariants as rules on top:

* ``high``: chance ≤ 1e-9; ``medium``: chance ≤ 1e-6; otherwise ``low``;
* one field group only, or only weak fields (names, kana, birth dates, postal
  codes, addresses: a household or namesake shares them) → ``low`` at most;
* a phone or e-mail plus one more field group of the same record → at least
  ``medium``;
* names, birth dates and postal codes alone are not reported at all (``evidence``).

``docs/design.md`` has the sources of the priors and the numbers behind the
thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Set
from functools import lru_cache
from typing import Final

from fingerprints.normalizers import BUILTIN, CONTACT_KINDS, SUPPORTING_KINDS, shown_kind
from matchers.confidence import NAME, NAME_FOLDED, Confidence, field_set

#: People in Japan: a phone number or e-mail address names one of them.
POPULATION: Final = 1.25e8
PERSON: Final = 1 / POPULATION
#: Floors of the u-probability per kind for people outside the base
#: (``Normalizer.prior``; see design.md).
PRIORS: Final[dict[str, float]] = {kind: cls.prior for kind, cls in BUILTIN.items()}
DEFAULT_PRIOR: Final = 1e-6  # custom kinds
#: Kinds whose value with one more field of the record is at least medium.
PERSONAL_KINDS: Final[frozenset[str]] = CONTACT_KINDS
#: Correlated kinds counted once (by the most telling value of the group).
GROUP: Final[dict[str, str]] = {
    kind: cls.group for kind, cls in BUILTIN.items() if cls.group is not None
}
#: Kinds a namesake or a household shares: alone, together, never above low.
WEAK_FIELD_KINDS: Final[frozenset[str]] = SUPPORTING_KINDS
HIGH_CHANCE: Final = 1e-9
MEDIUM_CHANCE: Final = 1e-6
# The members as module globals: an enum class attribute is several times slower to
# read, and this runs for every record of every row.
_LOW, _MEDIUM, _HIGH = Confidence.LOW, Confidence.MEDIUM, Confidence.HIGH
_LOG_HIGH: Final = math.log10(HIGH_CHANCE)
_LOG_MEDIUM: Final = math.log10(MEDIUM_CHANCE)
# Display order of kinds in an explanation (registry order; a folded name is shown
# as its name).
_ORDER: Final = tuple(dict.fromkeys(map(shown_kind, BUILTIN)))


@lru_cache(maxsize=4096)
def value_weight(kind: str, count: int, records: int) -> float:
    """Match weight ``-log10 u`` of one matched value shared by ``count`` records."""
    count = max(count, 1)
    prior = PRIORS.get(kind, DEFAULT_PRIOR)
    # Weak kinds: the set's own frequency (term-frequency adjustment), floored by
    # the prior; identifiers: each record sharing the value is one more person.
    u = max(prior, count / max(records, 1)) if kind in WEAK_FIELD_KINDS else count * prior
    return -math.log10(min(u, 1.0))


def log_chance(weights: Mapping[str, float], records: int) -> float:
    """``log10`` of the chance of a coincidental tie from per-kind weights (capped at 0)."""
    best: dict[str, float] = {}
    for kind, w in weights.items():
        g = GROUP.get(kind, kind)
        if w > best.get(g, -1.0):
            best[g] = w
    return min(0.0, math.log10(max(records, 1)) - sum(best.values()))


def groups(kinds: Iterable[str]) -> frozenset[str]:
    """The distinct field groups some matched kinds stand for."""
    return frozenset(GROUP.get(k, k) for k in kinds)


def rules(kinds: Iterable[str]) -> tuple[bool, bool]:
    """The SPEC 12.1 invariants for some matched kinds: ``(low at most, medium at
    least)`` — one field group or only weak fields; a phone or e-mail plus more."""
    ks = frozenset(kinds)
    capped = len(groups(ks)) <= 1 or ks <= WEAK_FIELD_KINDS
    return capped, not capped and bool(ks & PERSONAL_KINDS)


def level_of(log10_chance: float, capped: bool, floored: bool) -> Confidence:
    """The level from the chance and :func:`rules`."""
    if capped:
        return _LOW
    if log10_chance <= _LOG_HIGH:
        return _HIGH
    if log10_chance <= _LOG_MEDIUM or floored:
        return _MEDIUM
    return _LOW


def level(kinds: Iterable[str], log10_chance: float) -> Confidence:
    """The level of a record hit from its matched kinds and its chance (SPEC 12.1)."""
    return level_of(log10_chance, *rules(kinds))


def record_level(
    counts: Mapping[str, int], records: int, primary: Set[str]
) -> tuple[Confidence, float]:
    """Level and ``log10`` chance of one record whose values of each kind are shared
    by ``counts[kind]`` of the set's ``records`` records (the scoring, in one call)."""
    fields = field_set(counts, primary)
    weights = {k: value_weight(k, c, records) for k, c in counts.items()
               if k in fields or (k == NAME_FOLDED and NAME in fields)}
    lc = log_chance(weights, records)
    return level(fields, lc), lc


_SUPER = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


@lru_cache(maxsize=1024)
def _label(kinds: frozenset[str]) -> str:
    """``phone + name``: the kinds in display order (a record hit's few kind sets
    recur for every record, so each is spelled once)."""
    ks = set(map(shown_kind, kinds))
    ordered = [k for k in _ORDER if k in ks] + sorted(ks.difference(_ORDER))
    return " + ".join(ordered)


def explain(kinds: Iterable[str], log10_chance: float) -> str:
    """Why a record has its level, e.g. ``phone + name: chance ≈ 1 in 10⁹`` (never a value)."""
    return _why(kinds if isinstance(kinds, frozenset) else frozenset(kinds),
                max(0, round(-log10_chance)))


@lru_cache(maxsize=4096)
def _why(kinds: frozenset[str], exponent: int) -> str:
    """:func:`explain` of a kind set and a rounded exponent (a dump's tens of thousands
    of record hits share a few dozen sentences)."""
    label = _label(kinds)
    if exponent <= 0:
        return f"{label}: a coincidence is likely"
    return f"{label}: chance ≈ 1 in 10{str(exponent).translate(_SUPER)}"


__all__ = [
    "DEFAULT_PRIOR",
    "GROUP",
    "HIGH_CHANCE",
    "MEDIUM_CHANCE",
    "PERSONAL_KINDS",
    "POPULATION",
    "PRIORS",
    "WEAK_FIELD_KINDS",
    "explain",
    "groups",
    "level",
    "level_of",
    "log_chance",
    "record_level",
    "rules",
    "value_weight",
]
