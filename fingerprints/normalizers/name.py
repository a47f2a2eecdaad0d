"""Person names: the written (kanji) form and its variant-folded twin."""

from __future__ import annotations

import functools
import re
from array import array
from collections.abc import Callable
from importlib import resources
from typing import ClassVar

from fingerprints import native
from fingerprints.normalizers.base import Normalizer, Role
from fingerprints.text import prepare

__all__ = ["NameFoldedNormalizer", "NameNormalizer", "fold_name", "load_variant_table"]

# Punctuation that occurs inside real names (foreign names in katakana, iteration
# marks are letters already).
_NAME_PUNCT = frozenset("・ー-'.")
_MARKS = frozenset("ー々ゝゞヽヾ〻")


def _squeeze(value: str) -> str:
    return "".join(prepare(value).split())


def _name(value: str) -> str | None:
    """The ``name`` form of a raw value, or None when it is not plausible."""
    core = native.CORE
    if core is not None:
        return core.canon_name(prepare(value))
    name = _squeeze(value)
    return name if _plausible(name) else None


def _plausible(name: str) -> bool:
    if len(name) < 2:
        return False
    letters = 0
    for c in name:
        if c.isalpha():
            # Marks that only lengthen or repeat do not make a name on their own.
            if c not in _MARKS:
                letters += 1
        elif c not in _NAME_PUNCT:
            # Digits, '@' and any other symbol rule the value out.
            return False
    return letters > 0


class NameNormalizer(Normalizer):
    """A name with all white space removed: ``山田 太郎`` → ``山田太郎``."""

    kind: ClassVar[str] = "name"
    builtin: ClassVar[bool] = True
    order: ClassVar[int] = 40
    role: ClassVar[Role] = Role.WEAK
    headers: ClassVar[tuple[str, ...]] = (
        "氏名",
        "お名前",
        "名前",
        "顧客名",
        "契約者名",
        "契約者氏名",
        "氏名漢字",
        "漢字氏名",
        "お客様名",
        "お客さま名",
        "会員名",
        "利用者名",
        "name",
        "full name",
        "fullname",
        "customer name",
        "氏名(漢字)",
    )
    display: ClassVar[str] = "name"
    display_ja: ClassVar[str] = "氏名"
    group: ClassVar[str | None] = "name"
    prior: ClassVar[float] = 1e-7  # a full kanji name: from a handful up to thousands nationally
    search_help: ClassVar[str | None] = "A kanji name (hashed locally)."

    def canonical(self, value: str) -> str | None:
        return _name(value)

    pairs_per_value: ClassVar[int] = 2

    def pairs(self, canonical: str) -> list[tuple[str, str]]:
        """Both the written and the variant-folded form (even when equal)."""
        return [(self.kind, canonical), (NameFoldedNormalizer.kind, fold_name(canonical))]


@functools.cache
def load_variant_table() -> dict[int, str]:
    """The reviewed variant→standard kanji table, as a ``str.translate`` map."""
    text = (
        resources.files("fingerprints")
        .joinpath("data/variant_kanji.tsv")
        .read_text(encoding="utf-8")
    )
    table: dict[int, str] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2 or len(parts[0]) != 1 or len(parts[1]) != 1:
            raise ValueError(f"variant_kanji.tsv line {lineno}: expected variant<TAB>standard")
        table[ord(parts[0])] = parts[1]
    return table


class NameFoldedNormalizer(Normalizer):
    """The name form with variant kanji folded (髙→高, 﨑→崎, 齋→斎 …).

    A match on this form alone is weaker evidence than one on ``name``.
    """

    kind: ClassVar[str] = "name_folded"
    builtin: ClassVar[bool] = True
    order: ClassVar[int] = 50
    role: ClassVar[Role] = Role.WEAK
    display: ClassVar[str] = "name"
    display_ja: ClassVar[str] = "氏名"
    shown_as: ClassVar[str | None] = "name"
    group: ClassVar[str | None] = "name"
    prior: ClassVar[float] = 1e-6  # variant kanji folded: weaker than the exact name

    def canonical(self, value: str) -> str | None:
        name = _name(value)
        return None if name is None else fold_name(name)

    def fold(self, name: str) -> str:
        """Fold an already canonical ``name`` form (no re-validation)."""
        return fold_name(name)


def fold_name(name: str) -> str:
    """Fold an already canonical ``name`` form (no re-validation)."""
    core = native.CORE
    if core is not None:
        return core.fold_variants(_variant_pairs(), name)
    # Few names hold a variant kanji: one search, and the translation only then.
    if _variant_search()(name) is None:
        return name
    return name.translate(load_variant_table())


@functools.cache
def _variant_search() -> Callable[[str], re.Match[str] | None]:
    """``search`` of a pattern matching any variant kanji of the table."""
    chars = "".join(chr(cp) for cp in load_variant_table())
    return re.compile(f"[{re.escape(chars)}]").search


@functools.cache
def _variant_pairs() -> bytes:
    """The variant table for the native core: sorted (variant, standard) code point
    pairs as native-order uint32."""
    pairs = array("I")
    for cp, standard in sorted(load_variant_table().items()):
        pairs.extend((cp, ord(standard)))
    return pairs.tobytes()
