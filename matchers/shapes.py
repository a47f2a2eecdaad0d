"""What the extractor looks for, and what it gives.

The names of the field kinds, what the extractor needs of the normalizers, the
cheap patterns over *prepared* text that decide which text is worth handing to a
normalizer (they tolerate full-width digits and dash variants because
``fingerprints.text.prepare`` has folded them already), and the candidate types
that :mod:`matchers.candidates` produces and :mod:`matchers.columns`,
:mod:`matchers.prose` and :mod:`matchers.evidence` consume.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice, repeat
from operator import itemgetter
from typing import Any, Final, Protocol, TypeVar, cast

from fingerprints import native
from fingerprints.normalizers import (
    AddressNormalizer,
    BirthdateNormalizer,
    CustomerIdNormalizer,
    EmailNormalizer,
    NameKanaNormalizer,
    NameNormalizer,
    PhoneNormalizer,
    PostalCodeNormalizer,
)
from fingerprints.normalizers.base import CJK_CLASS
from matchers.rows import Layout, Row
from matchers.tables import Table

# The kinds with an extraction strategy of their own in ``matchers.candidates``
# (any other primary kind is searched for by its ``Normalizer.search`` pattern, any
# other supporting kind is read under its header synonyms).
PHONE: Final = PhoneNormalizer.kind
EMAIL: Final = EmailNormalizer.kind
CUSTOMER_ID: Final = CustomerIdNormalizer.kind
NAME: Final = NameNormalizer.kind
NAME_KANA: Final = NameKanaNormalizer.kind
BIRTHDATE: Final = BirthdateNormalizer.kind
POSTAL: Final = PostalCodeNormalizer.kind
ADDRESS: Final = AddressNormalizer.kind


# ------------------------------------------------------------- what it needs


class Canonicalizer(Protocol):
    """One normalizer of ``fingerprints.normalizers``."""

    def canonical(self, value: str) -> str | None: ...

    def canonical_many(self, values: Sequence[str]) -> list[str | None]: ...


class Registry(Protocol):
    """What the matcher needs of ``fingerprints.normalizers.KindRegistry``."""

    def fields_for(self, kind: str, value: str) -> list[tuple[str, str]]:
        """Digestible ``(kind, canonical)`` pairs of one raw value (empty if implausible)."""
        ...

    def get(self, kind: str) -> Canonicalizer:
        """The normalizer of ``kind`` (``fields_for`` of phone and e-mail is
        ``[(kind, normalizer.canonical(value))]``, or ``[]`` for ``None``)."""
        ...


# ------------------------------------------------------------------- patterns

CJK_RE = re.compile(f"[{CJK_CLASS}]")
KANA_ONLY_RE = re.compile(r"[\u3041-\u30ff\u31f0-\u31ff ]+")
DIGIT_RE = re.compile(r"[0-9]")
# A run of 10+ digits with the separators phone numbers are written with (single
# '-', '.', ' ' and parentheses between digits). ASCII-only look-behind: a kanji
# label right before the number (電話090…) must not hide it. Written
#   (?<![A-Za-z0-9_@\-])\+?\(?[0-9](?:[-. ]?\)?[-. ]?\(?[0-9]){9,}
# but begun with a class, which ``re`` scans text for quickly (half the time of a
# post's phones): the first character, the look-behind behind it, and what follows
# it by what it was (tests/matchers/test_digit_run.py holds it to the plain form).
DIGIT_RUN_RE = re.compile(
    r"[+(0-9](?<![A-Za-z0-9_@\-].)(?:(?<=\+)\(?[0-9]|(?<=\()[0-9]|(?<=[0-9]))"
    r"(?:[-. ]?\)?[-. ]?\(?[0-9]){9,}"
)
PHONE_CELL_RE = re.compile(r"\+?\(?[0-9][0-9()\-. ]{8,18}[0-9]")
PHONE_START: Final = frozenset("+(0123456789")  # what a PHONE_CELL_RE match starts with
EMAIL_CELL_RE = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z0-9\-]+")
NON_DIGITS = str.maketrans("", "", " -().+")
EMAIL_LOCAL_RE = re.compile(r"[A-Za-z0-9._%+\-!#$&'*/=?^`{|}~]{1,64}\Z")
EMAIL_DOMAIN_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62})(?:\.[A-Za-z0-9\-]{1,63})+")
ID_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*")
POSTAL_RE = re.compile(
    r"(?:〒|〶|郵便番号[:：]?)\s?[0-9]{3}[- ]?[0-9]{4}(?![0-9])"
    r"|(?<![0-9\-])[0-9]{3}-[0-9]{4}(?![0-9\-])"
)
ADDRESS_MARK_RE = re.compile(r"[都道府県市区町村郡]")
ERA_DATE_RE = re.compile(r"(?:[MTSHR]\.?|明治|大正|昭和|平成|令和)(?:[0-9]{1,2}|元)[年./\-]")


# ------------------------------------------------------------------- results

#: What one cell gave: its (kind, canonical) values, how many of them are primary
#: candidates, and the kind the cell was read as (for the snippet).
CellResult = tuple[tuple[tuple[str, str], ...], int, str]
#: A CellResult's (kind, canonical) values, and how many of them are primary.
CELL_PAIRS = itemgetter(0)
CELL_PRIMARIES = itemgetter(1)
#: Distinct cells remembered across chunks (about 100 MB at most); when full, the
#: older half is dropped, so memory stays bounded and recent values stay warm.
CELL_CACHE_SIZE: Final = 300_000


def evict_oldest_half(cache: dict[Any, Any]) -> None:
    """Drop the first-inserted half of a dict (dicts keep insertion order)."""
    for key in list(islice(cache, len(cache) // 2)):
        del cache[key]


#: A candidate value: ``(kind, canonical)``.
Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class ShapedCells:
    """Cells of one column that are bare values of one primary kind: ``values``
    (in the order given) and their canonical forms, position by position (packed
    where the native core made them: :class:`fingerprints.packed.PackedStrs`)."""

    kind: str
    values: list[str]
    canonicals: Sequence[str]


@dataclass(slots=True)
class RowCandidates:
    """The candidates of one row (or prose window).

    ``found`` holds ``((kind, canonical), cell index)``; in prose the "cell" is
    the start offset of the value in the text.
    """

    line: int
    found: list[tuple[Pair, int]]
    row: Row | None = None
    span: tuple[int, int] | None = None  # prose: window in the text
    # prose windows cut after probing: ``found`` holds only the values that hit,
    # and this is where the window's first candidate of any kind starts.
    first: int | None = None
    # A column scan's row is made only when asked for (a snippet, the prose retry):
    # (table, row index, layout, joiner). Nearly all rows with hits never are.
    source: tuple[Table, int, Layout, str] | None = field(
        default=None, compare=False, repr=False
    )

    def table_row(self) -> Row | None:
        """The row (None for a prose window), made now if it was left for later."""
        if self.row is None and self.source is not None:
            table, i, layout, joiner = self.source
            self.row = Row(table.lines[i], table.cells(i), layout.hints, layout.header, joiner)
        return self.row


_T = TypeVar("_T")


@lru_cache(maxsize=16)
def _plain_slots(cls: Hashable) -> tuple[str, ...] | None:
    """The fields of a slots dataclass whose ``__init__`` only stores its arguments
    (every field in it, no ``__post_init__``), in order; None for any other class."""
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)
            and "__slots__" in cls.__dict__
            and not hasattr(cls, "__post_init__")):
        return None
    fields = dataclasses.fields(cls)
    if not all(f.init for f in fields):
        return None
    return tuple(f.name for f in fields)


def slots_objects(cls: type[_T], *columns: Sequence[Any]) -> list[_T]:
    """``list(map(cls, *columns))``: one instance per position, given every field of a
    slots dataclass positionally, in order. With the native core the fields are set
    in its slots directly (``fingerprints/_objects.c``), without a call of
    ``__init__`` per instance (most of the cost of a hit-dense chunk's hundred
    thousand record hits); ``tests/matchers/test_slots_objects.py`` holds the two to
    the same objects."""
    core = native.CORE
    names = _plain_slots(cast(Hashable, cls))
    if core is None or names is None or len(names) != len(columns):
        return list(map(cls, *columns))
    return core.slots_objects(cls, names, columns)


def column_rows(
    lines: Sequence[int], picked: Sequence[int], founds: Sequence[list[tuple[Pair, int]]],
    table: Table, layout: Layout, joiner: str,
) -> list[RowCandidates]:
    """``RowCandidates(lines[i], found, source=(table, i, layout, joiner))`` for each
    picked row ``i`` and its ``found``: the rows a column scan scores.

    A hit-dense dump has a scored row for nearly every line (60,000 a 9 MB dump):
    they are made by :func:`slots_objects` (``tests/matchers/test_columns.py`` holds
    them to the constructor's)."""
    n = len(picked)
    nones = [None] * n
    return slots_objects(RowCandidates, list(map(lines.__getitem__, picked)), founds, nones,
                         nones, nones, list(zip(repeat(table, n), picked, repeat(layout, n),
                                                repeat(joiner, n), strict=True)))


@dataclass(frozen=True, slots=True)
class KindPlan:
    """Which kinds the fingerprint set holds, and the lengths of their values."""

    lengths: Mapping[str, frozenset[int]]
    primary: frozenset[str]
    # Custom kinds: a search pattern for each (made from its declared regex).
    custom: Mapping[str, re.Pattern[str]] = field(default_factory=dict)

    def has(self, kind: str) -> bool:
        return bool(self.lengths.get(kind))

    def length_ok(self, kind: str, n: int) -> bool:
        lengths = self.lengths.get(kind)
        return lengths is not None and n in lengths
