"""Field normalizers: one small class per field kind (SPEC 3.2).

Each normalizer's ``canonical(value)`` takes a raw value and returns its canonical
form or ``None``. The same functions run on customer records (import) and on
scraped text (scan); ``NORMALIZER_VERSION`` is recorded in every fingerprint set
and must be bumped whenever any canonical form changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from fingerprints.normalizers.address import AddressNormalizer
from fingerprints.normalizers.base import BUILTIN_KINDS, Normalizer
from fingerprints.normalizers.birthdate import BirthdateNormalizer
from fingerprints.normalizers.custom import RegexNormalizer
from fingerprints.normalizers.customer_id import CustomerIdNormalizer
from fingerprints.normalizers.email import EmailNormalizer
from fingerprints.normalizers.kana import NameKanaNormalizer
from fingerprints.normalizers.name import NameFoldedNormalizer, NameNormalizer
from fingerprints.normalizers.phone import PhoneNormalizer
from fingerprints.normalizers.postal import PostalCodeNormalizer

__all__ = [
    "BUILTIN_KINDS",
    "NORMALIZER_VERSION",
    "PRIMARY_KINDS",
    "SUPPORTING_KINDS",
    "AddressNormalizer",
    "BirthdateNormalizer",
    "CustomerIdNormalizer",
    "EmailNormalizer",
    "KindRegistry",
    "NameFoldedNormalizer",
    "NameKanaNormalizer",
    "NameNormalizer",
    "Normalizer",
    "PhoneNormalizer",
    "PostalCodeNormalizer",
    "RegexNormalizer",
    "default_registry",
    "fields_for",
]

NORMALIZER_VERSION = 1

#: Kinds that identify a customer on their own (custom regex kinds are primary too).
PRIMARY_KINDS: frozenset[str] = frozenset({"phone", "email", "customer_id"})
#: Kinds that only corroborate a primary hit.
SUPPORTING_KINDS: frozenset[str] = frozenset(
    {"name", "name_folded", "name_kana", "birthdate", "postal_code", "address"}
)


class KindRegistry:
    """The normalizers of one dataset: built-ins, its customer_id rule, custom kinds."""

    def __init__(
        self,
        customer_id: CustomerIdNormalizer | None = None,
        custom: Iterable[RegexNormalizer] = (),
    ) -> None:
        self._name_folded = NameFoldedNormalizer()
        builtins: list[Normalizer] = [
            PhoneNormalizer(),
            EmailNormalizer(),
            customer_id if customer_id is not None else CustomerIdNormalizer(),
            NameNormalizer(),
            self._name_folded,
            NameKanaNormalizer(),
            BirthdateNormalizer(),
            PostalCodeNormalizer(),
            AddressNormalizer(),
        ]
        self._by_kind: dict[str, Normalizer] = {n.kind: n for n in builtins}
        self._custom: list[str] = []
        for normalizer in custom:
            if normalizer.kind in self._by_kind:
                raise ValueError(f"kind {normalizer.kind!r} is declared twice")
            self._by_kind[normalizer.kind] = normalizer
            self._custom.append(normalizer.kind)

    def get(self, kind: str) -> Normalizer:
        """The normalizer of ``kind``; ``KeyError`` for an unknown kind."""
        try:
            return self._by_kind[kind]
        except KeyError:
            raise KeyError(f"unknown field kind {kind!r}") from None

    def kinds(self) -> tuple[str, ...]:
        """All kinds: built-ins in ``BUILTIN_KINDS`` order, then custom kinds."""
        return tuple(self._by_kind)

    def custom_kinds(self) -> tuple[str, ...]:
        return tuple(self._custom)

    def primary_kinds(self) -> frozenset[str]:
        """``PRIMARY_KINDS`` plus this registry's custom kinds."""
        return PRIMARY_KINDS | frozenset(self._custom)

    def is_primary(self, kind: str) -> bool:
        return kind in PRIMARY_KINDS or kind in self._custom

    def fields_for(self, kind: str, value: str) -> list[tuple[str, str]]:
        """Expand one cell into its digestible ``(kind, canonical)`` pairs.

        A ``name`` cell gives both ``name`` and ``name_folded`` (even when equal);
        other kinds give one pair, or ``[]`` when the value is not plausible.
        """
        canonical = self.get(kind).canonical(value)
        if canonical is None:
            return []
        if kind == "name":
            return [("name", canonical), ("name_folded", self._name_folded.fold(canonical))]
        return [(kind, canonical)]

    def config(self) -> dict[str, object]:
        """What a fingerprint set's manifest records about normalization."""
        return {
            "normalizer_version": NORMALIZER_VERSION,
            "kinds": {kind: n.config() for kind, n in self._by_kind.items()},
        }


_DEFAULT: KindRegistry | None = None


def default_registry() -> KindRegistry:
    """A shared registry with the built-in kinds and the default customer_id rule."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = KindRegistry()
    return _DEFAULT


def fields_for(
    kind: str, value: str, registry: KindRegistry | None = None
) -> list[tuple[str, str]]:
    """Module-level form of ``KindRegistry.fields_for`` (docs/architecture.md)."""
    return (registry if registry is not None else default_registry()).fields_for(kind, value)
