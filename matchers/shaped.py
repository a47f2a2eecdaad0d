"""The column fast path of :class:`matchers.candidates.Extractor`: a column of bare
phone numbers or e-mail addresses.

Every dump has such columns, and their values hardly repeat, so they are searched
for those shapes as a whole: each cell that has the shape (``PHONE_CELL_RE`` /
``EMAIL_CELL_RE`` on the trimmed, prepared cell) is canonicalized by the normalizer
``Extractor._cell`` would call and gives exactly one candidate of that kind.

:meth:`ColumnShapes.reference` is the specification; with the native core
(``fingerprints.native.CORE``) one C pass (``shaped_column``, ``_native_cells.h``)
does the same work, international phone forms (``+81…``, ``0081…``) included; a cell
holding a character the native preparation does not know is prepared by ``prepare``,
called from C for that cell. ``tests/matchers/test_native_shaped.py`` holds both to
the same results.
"""

from __future__ import annotations

from collections.abc import Collection
from itertools import compress, islice
from operator import not_
from typing import Final

from fingerprints import native
from fingerprints.normalizers.email import EmailNormalizer
from fingerprints.normalizers.phone import FIXED_PREFIXES, PhoneNormalizer
from fingerprints.packed import PackedStrs
from fingerprints.text import prepare
from matchers.shapes import (
    EMAIL,
    EMAIL_CELL_RE,
    PHONE,
    PHONE_CELL_RE,
    Canonicalizer,
    ShapedCells,
)

__all__ = ["SHAPE_SAMPLE", "ColumnShapes"]

#: How many of a column's values are looked at to decide whether the search pays.
SHAPE_SAMPLE: Final = 32


class ColumnShapes:
    """The shaped cells of columns, for a set that holds phones and/or e-mails."""

    def __init__(self, phone: Canonicalizer | None, email: Canonicalizer | None,
                 max_chars: int) -> None:
        self._phone = phone
        self._email = email
        # Longer cells are left to the per-cell path (it skips them).
        self._max_chars = max_chars
        # The native pass implements these two normalizers' rules, nothing else.
        self._native = (phone is None or type(phone) is PhoneNormalizer) and (
            email is None or type(email) is EmailNormalizer
        )

    def split(self, values: Collection[str]) -> tuple[ShapedCells | None, Collection[str]]:
        """The shaped cells of one column's values (None when the column is not one
        of bare phones or e-mails), and the other values, in order."""
        core = native.CORE
        if core is None or not self._native:
            shaped = self.reference(values)
            if shaped is None or not shaped.values:
                return shaped, values
            taken = set(shaped.values)
            return shaped, list(compress(values, map(not_, map(taken.__contains__, values))))
        got = core.shaped_column(
            values, self._phone is not None, self._email is not None, FIXED_PREFIXES, prepare,
            SHAPE_SAMPLE, self._max_chars,
        )
        if got is None:
            return None, values
        is_phone, cells, blob, ends, rest = got
        # (Position by position with their canonical forms, packed: only those that hit
        # are made strs.)
        return ShapedCells(PHONE if is_phone else EMAIL, cells, PackedStrs(blob, ends)), rest

    def reference(self, values: Collection[str]) -> ShapedCells | None:
        """The shaped cells of a column, in Python (the specification)."""
        sample = list(islice(values, SHAPE_SAMPLE))
        phones = self._phone is not None and sum(
            1 for v in sample if PHONE_CELL_RE.fullmatch(prepare(v.strip()))
        ) * 2 > len(sample)
        emails = self._email is not None and sum(1 for v in sample if "@" in v) * 2 > len(sample)
        if not (phones or emails):
            return None
        # Exactly what ``Extractor._cell`` looks at: each value trimmed, then prepared
        # — here for the whole column at once (``prepare`` works line by line).
        raw = list(values)
        stripped = list(map(str.strip, raw))
        if max(map(len, stripped), default=0) > self._max_chars:
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
            prepared = prepare("\n".join(compress(stripped, wide))).split("\n")
            if len(prepared) != sum(wide):
                return None
            cells = stripped.copy()
            for i, cell in zip(compress(range(len(cells)), wide), prepared, strict=True):
                cells[i] = cell
        kind, shape, normalizer = (
            (PHONE, PHONE_CELL_RE, self._phone) if phones else (EMAIL, EMAIL_CELL_RE, self._email)
        )
        assert normalizer is not None
        shaped = list(map(shape.fullmatch, cells))
        canons = normalizer.canonical_many(list(compress(cells, shaped)))
        keep = list(map(bool, canons))  # canonical forms are never empty
        return ShapedCells(
            kind, list(compress(compress(raw, shaped), keep)), list(filter(None, canons))
        )
