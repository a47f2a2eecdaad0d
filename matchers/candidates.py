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

Prose (windows, substrings of unspaced Japanese) is in :mod:`matchers.prose`; the
patterns and the candidate types are in :mod:`matchers.shapes`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from itertools import compress, repeat
from operator import is_
from typing import Final

from fingerprints import native
from fingerprints.normalizers.address import AddressNormalizer
from fingerprints.normalizers.birthdate import BirthdateNormalizer
from fingerprints.normalizers.kana import NameKanaNormalizer
from fingerprints.normalizers.name import NameFoldedNormalizer, NameNormalizer, fold_name
from fingerprints.normalizers.phone import PhoneNormalizer
from fingerprints.normalizers.postal import PostalCodeNormalizer
from fingerprints.text import prepare
from matchers.primaries import PrimarySearch
from matchers.rows import Row
from matchers.shaped import ColumnShapes
from matchers.shapes import (
    ADDRESS,
    ADDRESS_MARK_RE,
    BIRTHDATE,
    CELL_CACHE_SIZE,
    CELL_PAIRS,
    CJK_RE,
    CUSTOMER_ID,
    DIGIT_RE,
    EMAIL,
    EMAIL_CELL_RE,
    ERA_DATE_RE,
    KANA_ONLY_RE,
    NAME,
    NAME_KANA,
    PHONE,
    PHONE_CELL_RE,
    PHONE_START,
    POSTAL,
    POSTAL_RE,
    CellResult,
    KindPlan,
    Pair,
    Registry,
    RowCandidates,
    ShapedCells,
    evict_oldest_half,
)

# Ten ASCII digits anywhere: what a phone number (``DIGIT_RUN_RE``) needs at least.
# (Possessive: giving back a non-digit never lets ``[0-9]`` match, so the match is
# the same, without backtracking through a cell of fewer digits: an address costs
# about half as much.)
TEN_DIGITS_RE: Final = re.compile(r"(?:[^0-9]*+[0-9]){10}")
# The kinds whose built-in normalizer's ``canonical`` is the native core's function of
# the prepared value (fingerprints/_canon.c, _canon_names.c): the normalizer's class and
# that function's name.
_NATIVE_CANON: Final = {NAME: (NameNormalizer, "canon_name"),
                        NAME_KANA: (NameKanaNormalizer, "canon_kana"),
                        BIRTHDATE: (BirthdateNormalizer, "canon_birthdate"),
                        POSTAL: (PostalCodeNormalizer, "canon_postal")}
# Cells longer than this are not tried as anything but an address.
_MAX_CELL: Final = 200
# "Not in the cache" (a CellResult with no pairs, told apart by identity).
_UNSEEN: CellResult = ((), -1, "")


# ----------------------------------------------------------------- extractor


class Extractor:
    """Finds candidates of the kinds a fingerprint set holds and canonicalizes them."""

    def __init__(self, registry: Registry, plan: KindPlan) -> None:
        self.fields = registry.fields_for
        self.plan = plan
        self._cache: dict[tuple[str | None, str], CellResult] = {}
        # Prose substrings' pairs per kind and value, kept across documents
        # (matchers.prose; bounded there).
        self.prose_cache: dict[str, dict[str, list[Pair]]] = {}
        # The native core's counterpart per kind (fingerprints/_prose.c; bounded too).
        self.prose_tables: dict[str, object] = {}
        self._phone = plan.has(PHONE)
        self._email = plan.has(EMAIL)
        # The native core decides an address cell the way the built-in normalizer
        # does (fingerprints/_native_address_cells.h); another normalizer runs its own.
        self._address_cells = type(registry.get(ADDRESS)) is AddressNormalizer
        # It decides a name, kana, birth date or postal code cell the same way,
        # through the kind's canonical form (fingerprints/_native_kind_cells.h), for
        # the built-in normalizers only: their ``canonical`` calls that native form.
        self._kind_cells = frozenset(
            kind for kind, (cls, _name) in _NATIVE_CANON.items() if type(registry.get(kind)) is cls
        )
        self._cid = plan.has(CUSTOMER_ID)
        # Lengths of the customer IDs the set holds: a token can only be one when,
        # without its '-' separators (all the canonical form drops from a token),
        # it has one of these lengths.
        self._cid_lengths = plan.lengths.get(CUSTOMER_ID, frozenset())
        self._name_range = _length_range(plan.lengths.get(NAME, frozenset()))
        # Custom kinds (declared with a regex at import) are primary: searched for
        # with their own pattern in text and tried on every cell.
        self._custom = {k: p for k, p in plan.custom.items() if plan.has(k)}
        self._search = PrimarySearch(
            registry.fields_for, phone=self._phone, email=self._email,
            customer_id=self._cid_lengths if self._cid else None, custom=self._custom,
            native_phone=self._phone and type(registry.get(PHONE)) is PhoneNormalizer,
        )
        # The column fast path, with the same normalizers ``fields_for`` calls.
        self._shapes = ColumnShapes(
            registry.get(PHONE) if self._phone else None,
            registry.get(EMAIL) if self._email else None,
            _MAX_CELL * 4,
        )

    # ------------------------------------------------------------ primaries

    def primaries(self, text: str) -> list[tuple[str, str, int, int]]:
        """Primary candidates of prepared ``text`` as ``(kind, canonical, start, end)``."""
        return self._search.find(text)

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
        for i, raw in enumerate(row.cells):
            hint = hints[i] if hints is not None and i < len(hints) else None
            res = cache.get((hint, raw))
            if res is None:
                res = self._cell_cached(raw, hint)
            if res[0]:
                for pair in res[0]:
                    found.append((pair, i))
        if row.pairs:
            self._neighbour_pairs(row.cells, found)
        if not found:
            return None
        return RowCandidates(row.line, found, row)

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
        shaped, rest = self.split_shaped(values)
        return self.cells(rest, hint), shaped

    def split_shaped(self, values: Collection[str]
                     ) -> tuple[ShapedCells | None, Collection[str]]:
        """The bare phone numbers or e-mail addresses of one column's distinct
        values (see :meth:`column_parts`), and the other values."""
        return self._shapes.split(values) if self._phone or self._email else (None, values)

    def cells(self, values: Iterable[str], hint: str | None, *, cached: bool = True
              ) -> dict[str, CellResult]:
        """:meth:`cell` of each of some distinct values, for those that give a
        candidate. ``cached=False`` neither looks the values up in the cell cache
        nor adds them: for a caller that remembers them itself (the column scan's
        memo, which a value reaches only when it is new there)."""
        if not cached:
            found: dict[str, CellResult] = {}
            rest: Iterable[str] = values
            if hint is not None and self.hint_first(hint):
                rest = self._hinted(values, hint, found, keep=False)
            cell = self._cell
            for value in rest:
                res = cell(value, hint)
                if res[0]:
                    found[value] = res
            return found
        # Values seen before (names and dates repeat) come from the cache, looked
        # up in C-level passes; only the others go through ``_cell``.
        values_left = list(values)
        known = list(map(self._cache.get, zip(repeat(hint), values_left), repeat(_UNSEEN)))
        found = dict(compress(zip(values_left, known, strict=True), map(CELL_PAIRS, known)))
        unseen: Iterable[str] = compress(values_left, map(is_, known, repeat(_UNSEEN)))
        if hint is not None and self.hint_first(hint):
            unseen = self._hinted(unseen, hint, found)
        for value in unseen:
            res = self._cell_cached(value, hint)
            if res[0]:
                found[value] = res
        return found

    def hint_first(self, hint: str) -> bool:
        """Whether :meth:`_hinted` may decide cells of a column read with ``hint``."""
        plan = self.plan
        return (hint not in plan.primary and plan.has(hint)
                and not self._cid and not self._custom)

    def _hinted(self, values: Iterable[str], hint: str, found: dict[str, CellResult],
                keep: bool = True) -> list[str]:
        """:meth:`_cell` of the cells of a hinted column that its hint's kind reads
        and that cannot hold a primary candidate (no ``@``, fewer than ten digits; no
        customer ID or custom kind in the set), without its other tests: the result
        is then ``(the kind's pairs, 0, hint)`` (a column of names, dates or
        addresses is mostly such cells). Those are added to ``found`` and (with
        ``keep``) the cache; the others are returned, for ``_cell``."""
        core = native.CORE
        decided: dict[str, CellResult] = {}
        if core is not None and hint == ADDRESS and self._address_cells:
            # Most cells of an address column are decided by the key alone, in C;
            # the rest (a character the native preparation does not know, a key it
            # cannot decide) go through the loop below as before.
            decided, values = core.address_cells(list(values), hint, _MAX_CELL * 4)
        elif core is not None and hint in self._kind_cells:
            # Names, kana, birth dates and postal codes the same way, through the
            # kind's native canonical form (a name with its folded form).
            name = hint == NAME
            decided, values = core.kind_cells(
                list(values), hint, _MAX_CELL * 4, getattr(core, _NATIVE_CANON[hint][1]),
                fold_name if name else None, NameFoldedNormalizer.kind if name else None)
        if decided:
            found.update(decided)
            if keep:
                self._keep_many(hint, decided)
        fields, ten, prepared = self.fields, TEN_DIGITS_RE.match, _prepared
        kept: dict[str, CellResult] = {}
        rest: list[str] = []
        for raw in values:
            cell = prepared(raw)
            if not cell or "@" in cell or ten(cell):
                rest.append(raw)
                continue
            got = fields(hint, cell)
            if not got:
                rest.append(raw)
                continue
            kept[raw] = tuple(got), 0, hint
        if kept:
            found.update(kept)
            if keep:
                self._keep_many(hint, kept)
        return rest

    def weak_only(self, values: Collection[str], hint: str) -> tuple[list[str], list[str]]:
        """Split some distinct cells of a column read with ``hint`` (one
        :meth:`hint_first` allows) into those whose candidates can only be of weak
        kinds (``WEAK_KINDS``: no primary candidate, no address), without finding
        them, and the others.

        What :meth:`_cell` can find in a cell is bounded by cheap tests on the
        prepared cell: a primary candidate needs an ``@`` or ten digits (no
        customer ID or custom kind here: ``hint_first``); an address needs the
        hint, or CJK with a digit, or four CJK characters with an address mark
        (tested here on any non-ASCII character instead of CJK: more cells go to
        the others, never fewer). Anything else it finds is of the hint's kind or a
        name, kana, birth date or postal code. A column scan reads the first group
        only once some strong value hit (most pages hit nobody). The native core
        (``weak_cells``) may send more cells to the others, never fewer."""
        core = native.CORE
        if core is not None:
            return core.weak_cells(list(values), _MAX_CELL * 4)
        weak: list[str] = []
        others: list[str] = []
        ten, digit_at, mark_at = TEN_DIGITS_RE.match, DIGIT_RE.search, ADDRESS_MARK_RE.search
        for raw in values:
            cell = _prepared(raw)
            if (not cell or "@" in cell or ten(cell)
                    or (not cell.isascii() and (digit_at(cell) or (
                        len(cell) - cell.count(" ") >= 4 and mark_at(cell))))):
                others.append(raw)
            else:
                weak.append(raw)
        return weak, others

    def cell(self, raw: str, hint: str | None) -> CellResult:
        """What one cell gives (cached across chunks, except one-off primaries)."""
        res = self._cache.get((hint, raw))
        return res if res is not None else self._cell_cached(raw, hint)

    def _cell_cached(self, raw: str, hint: str | None) -> CellResult:
        res = self._cell(raw, hint)
        # Phone numbers and e-mail addresses rarely repeat: caching them would only
        # push out the names and dates that do. Postal addresses are cached: they
        # repeat wherever a customer holds several contracts or a household shares
        # one, they are the costliest cells to normalize, and where they do not
        # repeat (measured on crawled pages) caching them costs nothing.
        if not res[1]:
            self._keep(hint, raw, res)
        return res

    def _keep(self, hint: str | None, raw: str, res: CellResult) -> None:
        """Cache what a cell gave (bounded: the older half goes when full)."""
        cache = self._cache
        if len(cache) >= CELL_CACHE_SIZE:
            evict_oldest_half(cache)
        cache[(hint, raw)] = res

    def _keep_many(self, hint: str | None, results: dict[str, CellResult]) -> None:
        """:meth:`_keep` of many cells at once (the older half goes when full)."""
        cache = self._cache
        if len(cache) + len(results) > CELL_CACHE_SIZE:
            evict_oldest_half(cache)
        cache.update(zip(zip(repeat(hint), results), results.values(), strict=True))

    def _cell(self, raw: str, hint: str | None) -> CellResult:
        cell = _prepared(raw)
        if not cell:
            return (), 0, ""
        plan = self.plan
        # Fast path for the cells every dump has: a bare phone number or e-mail address.
        # (The cheap character tests first: most cells are names, dates, addresses.)
        # (An ISO date has a phone's shape but eight digits: no phone has fewer than ten.)
        if (self._phone and cell[0] in PHONE_START and PHONE_CELL_RE.fullmatch(cell)
                and TEN_DIGITS_RE.match(cell)):
            got = self.fields(PHONE, cell)
            if got:
                return tuple(got), len(got), PHONE
        elif self._email and "@" in cell and EMAIL_CELL_RE.fullmatch(cell):
            got = self.fields(EMAIL, cell)
            if got:
                return tuple(got), len(got), EMAIL
        found: list[tuple[str, str]] = []
        prim = 0
        label = ""
        has_digit = DIGIT_RE.search(cell) is not None
        # A phone number needs ten digits (``DIGIT_RUN_RE``): addresses and dates,
        # the usual cells with digits, have fewer and skip the search.
        if ("@" in cell or (has_digit and (self._cid or TEN_DIGITS_RE.match(cell)))
                or self._custom):
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
        if prim and not CJK_RE.search(cell):
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
        cjk = CJK_RE.search(cell) is not None
        if cjk:
            n = len(cell) - cell.count(" ")
            if has_digit:
                if ERA_DATE_RE.search(cell) or ("年" in cell and "月" in cell and n <= 14):
                    kinds.append(BIRTHDATE)
                if "〒" in cell or "郵便" in cell:
                    kinds.append(POSTAL)
                kinds.append(ADDRESS)
            else:
                if KANA_ONLY_RE.fullmatch(cell) and plan.length_ok(NAME_KANA, n):
                    kinds.append(NAME_KANA)
                if self._name_range[0] <= n <= self._name_range[1]:
                    kinds.append(NAME)
                if n >= 4 and ADDRESS_MARK_RE.search(cell):
                    kinds.append(ADDRESS)
        elif has_digit:
            digits = sum(c.isdigit() for c in cell)
            if digits == 7 and len(cell) <= 10:
                kinds.append(POSTAL)
            if ERA_DATE_RE.match(cell) or (5 <= digits <= 8 and len(cell) <= 12):
                kinds.append(BIRTHDATE)
        return [k for k in kinds if plan.has(k)]

    def _neighbour_pairs(self, cells: Sequence[str], found: list[tuple[Pair, int]]) -> None:
        """Whitespace layouts split "山田 太郎" in two; try neighbouring cells joined."""
        for i in range(len(cells) - 1):
            a, b = prepare(cells[i]), prepare(cells[i + 1])
            if (not (CJK_RE.search(a) and CJK_RE.search(b))
                    or DIGIT_RE.search(a) or DIGIT_RE.search(b)):
                continue
            joined = f"{a} {b}"
            n = len(a) + len(b)
            kinds = []
            if KANA_ONLY_RE.fullmatch(joined) and self.plan.length_ok(NAME_KANA, n):
                kinds.append(NAME_KANA)
            if self.plan.length_ok(NAME, n):
                kinds.append(NAME)
            for kind in kinds:
                got = self.fields(kind, joined)
                if got:
                    for pair in got:
                        found.append((pair, i))
                    break


def _prepared(raw: str) -> str:
    """A cell stripped and prepared, or "" when it is empty once prepared (only
    zero-width characters: a BOM, U+200B) or longer than a cell can be (measured
    before preparing)."""
    cell = raw.strip()
    if len(cell) > _MAX_CELL * 4:
        return ""
    # The same common steps the normalizers start with; prepared once here so the
    # cheap patterns of ``_cell`` only need to know ASCII digits and '-'.
    return cell if cell.isascii() else prepare(cell)


def _length_range(lengths: frozenset[int]) -> tuple[int, int]:
    if not lengths:
        return (1, 0)
    return (max(1, min(lengths)), max(lengths))
