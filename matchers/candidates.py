"""Candidate values in prepared text (SPEC 4 step 2).

Primary kinds are found by cheap patterns over *prepared* text (``fingerprints.text
.prepare`` turns full-width digits into ASCII and folds dash-like characters
between digits to ``-``, so the patterns tolerate both): one digit-run regex
classified by digit count for phones, an ASCII e-mail pattern anchored on ``@``,
for ``customer_id`` alphanumeric tokens of the lengths the set holds, and for
custom kinds their own declared regex. Supporting kinds
are tried on the cells of the same row, header hints first. Every value is then
canonicalized by the import side's own normalizers (``KindRegistry.fields_for``);
there is no second implementation here, the patterns only decide what is worth
handing to them.

Prose (windows, substrings of unspaced Japanese) is in :mod:`matchers.prose`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress, islice, repeat
from operator import is_, itemgetter, not_
from typing import Any, Final, Protocol

from fingerprints.text import prepare, prepare_full
from matchers.rows import Row

PHONE: Final = "phone"
EMAIL: Final = "email"
CUSTOMER_ID: Final = "customer_id"
NAME: Final = "name"
NAME_KANA: Final = "name_kana"
BIRTHDATE: Final = "birthdate"
POSTAL: Final = "postal_code"
ADDRESS: Final = "address"

# Cells longer than this are not tried as anything but an address.
_MAX_CELL: Final = 200


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

CJK_CLASS: Final = "\u3005-\u3007\u3041-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
KANJI_CLASS: Final = "\u3005-\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{CJK_CLASS}]")
_KANA_ONLY = re.compile(r"[\u3041-\u30ff\u31f0-\u31ff ]+")
_DIGIT = re.compile(r"[0-9]")
# A run of 10+ digits with the separators phone numbers are written with (single
# '-', '.', ' ' and parentheses between digits). ASCII-only look-behind: a kanji
# label right before the number (電話090…) must not hide it.
_DIGIT_RUN = re.compile(r"(?<![A-Za-z0-9_@\-])\+?\(?[0-9](?:[-. ]?\)?[-. ]?\(?[0-9]){9,}")
_PHONE_CELL = re.compile(r"\+?\(?[0-9][0-9()\-. ]{8,18}[0-9]")
_PHONE_START: Final = frozenset("+(0123456789")  # what a _PHONE_CELL match starts with
_EMAIL_CELL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z0-9\-]+")
# How many of a column's values are looked at to decide whether those searches pay.
_SHAPE_SAMPLE: Final = 32
_NON_DIGITS = str.maketrans("", "", " -().+")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9._%+\-!#$&'*/=?^`{|}~]{1,64}\Z")
_EMAIL_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62})(?:\.[A-Za-z0-9\-]{1,63})+")
_ID_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*")
POSTAL_RE = re.compile(
    r"(?:〒|〶|郵便番号[:：]?)\s?[0-9]{3}[- ]?[0-9]{4}(?![0-9])"
    r"|(?<![0-9\-])[0-9]{3}-[0-9]{4}(?![0-9\-])"
)
_ADDRESS_MARK = re.compile(r"[都道府県市区町村郡]")
_ERA_DATE = re.compile(r"(?:[MTSHR]\.?|明治|大正|昭和|平成|令和)(?:[0-9]{1,2}|元)[年./\-]")
# ------------------------------------------------------------------- results


#: What one cell gave: its (kind, canonical) values, how many of them are primary
#: candidates, and the kind the cell was read as (for the snippet).
CellResult = tuple[tuple[tuple[str, str], ...], int, str]
#: Distinct cells remembered across chunks (about 100 MB at most); when full, the
#: older half is dropped, so memory stays bounded and recent values stay warm.
CELL_CACHE_SIZE: Final = 300_000


def evict_oldest_half(cache: dict[Any, Any]) -> None:
    """Drop the first-inserted half of a dict (dicts keep insertion order)."""
    for key in list(islice(cache, len(cache) // 2)):
        del cache[key]


#: A candidate value: ``(kind, canonical)``.
Pair = tuple[str, str]
# "Not in the cache" (a CellResult with no pairs, told apart by identity).
_UNSEEN: CellResult = ((), -1, "")
_PAIRS = itemgetter(0)


@dataclass(frozen=True, slots=True)
class ShapedCells:
    """Cells of one column that are bare values of one primary kind: ``values``
    (in column order, as a dict used as an ordered set) and their canonical forms,
    position by position."""

    kind: str
    values: dict[str, None]
    canonicals: list[str]


@dataclass(slots=True)
class RowCandidates:
    """The candidates of one row (or prose window).

    ``found`` holds ``((kind, canonical), cell index)``; in prose the "cell" is
    the start offset of the value in the text.
    """

    line: int
    found: list[tuple[Pair, int]]
    primary: int = 0  # primary candidate occurrences in this row
    row: Row | None = None
    span: tuple[int, int] | None = None  # prose: window in the text


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


# ----------------------------------------------------------------- extractor


class Extractor:
    """Finds candidates of the kinds a fingerprint set holds and canonicalizes them."""

    def __init__(self, registry: Registry, plan: KindPlan) -> None:
        self.fields = registry.fields_for
        self.plan = plan
        self._cache: dict[tuple[str | None, str], CellResult] = {}
        self._phone = plan.has(PHONE)
        self._email = plan.has(EMAIL)
        self._cid = plan.has(CUSTOMER_ID)
        # Lengths of the customer IDs the set holds: a token can only be one when,
        # without its '-' separators (all the canonical form drops from a token),
        # it has one of these lengths.
        self._cid_lengths = plan.lengths.get(CUSTOMER_ID, frozenset())
        self._name_range = _length_range(plan.lengths.get(NAME, frozenset()))
        # Custom kinds (declared with a regex at import) are primary: searched for
        # with their own pattern in text and tried on every cell.
        self._custom = {k: p for k, p in plan.custom.items() if plan.has(k)}
        # The same normalizers ``fields_for`` calls, for the column fast path.
        self._phone_many = registry.get(PHONE).canonical_many
        self._email_many = registry.get(EMAIL).canonical_many

    # ------------------------------------------------------------ primaries

    def primaries(self, text: str) -> list[tuple[str, str, int, int]]:
        """Primary candidates of prepared ``text`` as ``(kind, canonical, start, end)``."""
        out: list[tuple[str, str, int, int]] = []
        if self._phone:
            self._phones(text, out)
        if self._email and "@" in text:
            self._emails(text, out)
        if self._cid:
            self._customer_ids(text, out)
        for kind, pattern in self._custom.items():
            for m in pattern.finditer(text):
                for k, canon in self.fields(kind, m.group()):
                    out.append((k, canon, m.start(), m.end()))
        return out

    def _phones(self, text: str, out: list[tuple[str, str, int, int]]) -> None:
        fields = self.fields
        for m in _DIGIT_RUN.finditer(text):
            run = m.group()
            n = len(run.translate(_NON_DIGITS))
            if n < 10:
                continue
            if text.startswith("@", m.end()):
                continue  # the local part of an e-mail address (090…@docomo.ne.jp)
            got = fields(PHONE, run) if n <= 15 else []
            if got:
                for kind, canon in got:
                    out.append((kind, canon, m.start(), m.end()))
            elif " " in run or "." in run:
                # Space-separated neighbours ("0312345678 19850401") merge into one run.
                pos = m.start()
                for piece in re.split(r"[ .]", run):
                    if len(piece.translate(_NON_DIGITS)) >= 10:
                        for kind, canon in fields(PHONE, piece):
                            out.append((kind, canon, pos, pos + len(piece)))
                    pos += len(piece) + 1

    def _emails(self, text: str, out: list[tuple[str, str, int, int]]) -> None:
        fields = self.fields
        at = text.find("@")
        while at != -1:
            local = _EMAIL_LOCAL.search(text, max(0, at - 64), at)
            domain = _EMAIL_DOMAIN.match(text, at + 1)
            if local is not None and domain is not None:
                start, end = local.start(), domain.end()
                for kind, canon in fields(EMAIL, text[start:end]):
                    out.append((kind, canon, start, end))
                at = text.find("@", end)
            else:
                at = text.find("@", at + 1)

    def _customer_ids(self, text: str, out: list[tuple[str, str, int, int]]) -> None:
        lengths = self._cid_lengths
        fields = self.fields
        for m in _ID_TOKEN.finditer(text):
            tok = m.group()
            if len(tok) - tok.count("-") not in lengths or _DIGIT.search(tok) is None:
                continue
            for kind, canon in fields(CUSTOMER_ID, tok):
                out.append((kind, canon, m.start(), m.end()))

    # ------------------------------------------------------------ table rows

    def table_row(self, row: Row) -> RowCandidates | None:
        """Candidates of one tabular row (``None`` when it has none).

        Cells are read as written; only a cell not seen before is prepared and
        canonicalized (values repeat a lot in dumps: names, dates, postal codes).
        This loop runs for every cell of a dump, so it does as little as it can.
        """
        hints = row.hints
        cache = self._cache
        found: list[tuple[Pair, int]] = []
        nprim = 0
        for i, raw in enumerate(row.cells):
            hint = hints[i] if hints is not None and i < len(hints) else None
            res = cache.get((hint, raw))
            if res is None:
                res = self._cell_cached(raw, hint)
            if res[0]:
                for pair in res[0]:
                    found.append((pair, i))
                nprim += res[1]
        if row.pairs:
            self._neighbour_pairs(row.cells, found)
        if not found:
            return None
        return RowCandidates(row.line, found, nprim, row)

    def labels(self, row: Row) -> dict[int, str]:
        """The kind each cell of ``row`` was read as (only needed for a snippet)."""
        hints = row.hints
        out: dict[int, str] = {}
        for i, raw in enumerate(row.cells):
            hint = hints[i] if hints is not None and i < len(hints) else None
            label = self._cell(raw, hint)[2]
            if label:
                out[i] = label
        return out

    def column(self, values: Collection[str], hint: str | None) -> dict[str, CellResult]:
        """What each of some distinct cells of one column gives, for those that give
        any candidate: exactly :meth:`cell` per value, in fewer Python steps."""
        found, shaped = self.column_parts(values, hint)
        if shaped is not None:
            kind = shaped.kind
            for value, canon in zip(shaped.values, shaped.canonicals, strict=True):
                found[value] = ((kind, canon),), 1, kind
        return found

    def column_parts(
        self, values: Collection[str], hint: str | None
    ) -> tuple[dict[str, CellResult], ShapedCells | None]:
        """:meth:`column` in two parts: the cells that give candidates, and apart
        from them (as plain lists) the bare phone numbers or e-mail addresses.

        A column of bare phone numbers or e-mail addresses (every dump has them,
        and their values hardly repeat) is searched for those shapes as a whole;
        each cell found is canonicalized by the normalizer ``_cell`` would call,
        and gives exactly one candidate of that kind (``((kind, canonical),), 1,
        kind`` in :meth:`cell`'s terms).
        """
        shaped = self._shaped_cells(values) if self._phone or self._email else None
        rest: Iterable[str] = values
        if shaped is not None and shaped.values:
            rest = compress(values, map(not_, map(shaped.values.__contains__, values)))
        # Values seen before (names and dates repeat) come from the cache, looked
        # up in C-level passes; only the others go through ``_cell``.
        values_left = list(rest)
        known = list(map(self._cache.get, zip(repeat(hint), values_left), repeat(_UNSEEN)))
        found = dict(compress(zip(values_left, known, strict=True), map(_PAIRS, known)))
        for value in compress(values_left, map(is_, known, repeat(_UNSEEN))):
            res = self._cell_cached(value, hint)
            if res[0]:
                found[value] = res
        return found, shaped

    def _shaped_cells(self, values: Collection[str]) -> ShapedCells | None:
        sample = list(islice(values, _SHAPE_SAMPLE))
        phones = self._phone and sum(
            1 for v in sample if _PHONE_CELL.fullmatch(prepare(v.strip()))
        ) * 2 > len(sample)
        emails = self._email and sum(1 for v in sample if "@" in v) * 2 > len(sample)
        if not (phones or emails):
            return None
        # Exactly what ``_cell`` looks at: each value trimmed, then prepared — here
        # for the whole column at once (``prepare`` works line by line).
        raw = list(values)
        stripped = list(map(str.strip, raw))
        if max(map(len, stripped), default=0) > _MAX_CELL * 4:
            return None  # ``_cell`` skips such a cell: leave this column to it
        joined = "\n".join(stripped)
        if joined.count("\n") != len(raw) - 1:
            return None  # a value holds a line break: one line is not one cell
        if joined.isascii():
            cells = stripped
        else:
            # Only the non-ASCII values need preparing (``prepare`` leaves ASCII
            # alone): NFKC over those alone, not over the whole column.
            wide = list(map(not_, map(str.isascii, stripped)))
            prepared = prepare_full("\n".join(compress(stripped, wide))).split("\n")
            if len(prepared) != sum(wide):
                return None
            cells = stripped.copy()
            for i, cell in zip(compress(range(len(cells)), wide), prepared, strict=True):
                cells[i] = cell
        kind, shape, many = (
            (PHONE, _PHONE_CELL, self._phone_many) if phones
            else (EMAIL, _EMAIL_CELL, self._email_many)
        )
        shaped = list(map(shape.fullmatch, cells))
        canons = many(list(compress(cells, shaped)))
        keep = list(map(bool, canons))  # canonical forms are never empty
        return ShapedCells(
            kind,
            dict.fromkeys(compress(compress(raw, shaped), keep)),
            list(filter(None, canons)),
        )

    def cell(self, raw: str, hint: str | None) -> CellResult:
        """What one cell gives (cached across chunks, except one-off primaries)."""
        res = self._cache.get((hint, raw))
        return res if res is not None else self._cell_cached(raw, hint)

    def _cell_cached(self, raw: str, hint: str | None) -> CellResult:
        res = self._cell(raw, hint)
        # Phone numbers, e-mail addresses and postal addresses rarely repeat:
        # caching them would only push out the names and dates that do.
        if not res[1] and res[2] != ADDRESS:
            cache = self._cache
            if len(cache) >= CELL_CACHE_SIZE:
                evict_oldest_half(cache)
            cache[(hint, raw)] = res
        return res

    def _cell(self, raw: str, hint: str | None) -> CellResult:
        cell = raw.strip()
        if not cell or len(cell) > _MAX_CELL * 4:
            return (), 0, ""
        if not cell.isascii():
            # The same common steps the normalizers start with; prepared once here
            # so the cheap patterns below only need to know ASCII digits and '-'.
            cell = prepare(cell)
        plan = self.plan
        # Fast path for the cells every dump has: a bare phone number or e-mail address.
        # (The cheap character tests first: most cells are names, dates, addresses.)
        if self._phone and cell[0] in _PHONE_START and _PHONE_CELL.fullmatch(cell):
            got = self.fields(PHONE, cell)
            if got:
                return tuple(got), len(got), PHONE
        elif self._email and "@" in cell and _EMAIL_CELL.fullmatch(cell):
            got = self.fields(EMAIL, cell)
            if got:
                return tuple(got), len(got), EMAIL
        found: list[tuple[str, str]] = []
        prim = 0
        label = ""
        has_digit = _DIGIT.search(cell) is not None
        if "@" in cell or (has_digit and (len(cell) >= 10 or self._cid)) or self._custom:
            hits = self.primaries(cell)
            if hits:
                prim = len(hits)
                found.extend((k, c) for k, c, _s, _e in hits)
                label = hits[0][0]
        if hint is not None and hint not in plan.primary and hint != label:
            got = self.fields(hint, cell) if plan.has(hint) else []
            if got:
                found.extend(got)
                return tuple(found), prim, label or hint
        if prim and not _CJK.search(cell):
            return tuple(found), prim, label
        for kind in self._kinds_for(cell, has_digit):
            got = self.fields(kind, cell)
            if got:
                found.extend(got)
                label = label or kind
                break
        if "〒" in cell and POSTAL not in {k for k, _ in found} and plan.has(POSTAL):
            m = POSTAL_RE.search(cell)
            if m is not None:
                found.extend(self.fields(POSTAL, m.group()))
        return tuple(found), prim, label or hint or ""

    def _kinds_for(self, cell: str, has_digit: bool) -> list[str]:
        """Supporting kinds worth trying on one cell, cheapest guess first."""
        plan = self.plan
        kinds: list[str] = []
        cjk = _CJK.search(cell) is not None
        if cjk:
            n = len(cell) - cell.count(" ")
            if has_digit:
                if _ERA_DATE.search(cell) or ("年" in cell and "月" in cell and n <= 14):
                    kinds.append(BIRTHDATE)
                if "〒" in cell or "郵便" in cell:
                    kinds.append(POSTAL)
                kinds.append(ADDRESS)
            else:
                if _KANA_ONLY.fullmatch(cell) and plan.length_ok(NAME_KANA, n):
                    kinds.append(NAME_KANA)
                if self._name_range[0] <= n <= self._name_range[1]:
                    kinds.append(NAME)
                if n >= 4 and _ADDRESS_MARK.search(cell):
                    kinds.append(ADDRESS)
        elif has_digit:
            digits = sum(c.isdigit() for c in cell)
            if digits == 7 and len(cell) <= 10:
                kinds.append(POSTAL)
            if _ERA_DATE.match(cell) or (5 <= digits <= 8 and len(cell) <= 12):
                kinds.append(BIRTHDATE)
        return [k for k in kinds if plan.has(k)]

    def _neighbour_pairs(self, cells: Sequence[str], found: list[tuple[Pair, int]]) -> None:
        """Whitespace layouts split "山田 太郎" in two; try neighbouring cells joined."""
        for i in range(len(cells) - 1):
            a, b = prepare(cells[i]), prepare(cells[i + 1])
            if not (_CJK.search(a) and _CJK.search(b)) or _DIGIT.search(a) or _DIGIT.search(b):
                continue
            joined = f"{a} {b}"
            n = len(a) + len(b)
            kinds = []
            if _KANA_ONLY.fullmatch(joined) and self.plan.length_ok(NAME_KANA, n):
                kinds.append(NAME_KANA)
            if self.plan.length_ok(NAME, n):
                kinds.append(NAME)
            for kind in kinds:
                got = self.fields(kind, joined)
                if got:
                    for pair in got:
                        found.append((pair, i))
                    break


def _length_range(lengths: frozenset[int], pad: int = 0) -> tuple[int, int]:
    if not lengths:
        return (1, 0)
    return (max(1, min(lengths) - pad), max(lengths) + pad)
