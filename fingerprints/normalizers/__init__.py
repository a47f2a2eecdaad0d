"""Field normalizers: one small class per field kind (SPEC 3.2), and the registry
of the kinds: the one place every other module reads a kind's facts from.

Each normalizer's ``canonical(value)`` takes a raw value and returns its canonical
form or ``None``. The same functions run on customer records (import) and on
scraped text (scan); ``NORMALIZER_VERSION`` is recorded in every fingerprint set
and must be bumped whenever any canonical form changes.

A built-in kind is one module of this package holding one ``Normalizer`` subclass
with ``builtin = True`` and its facts (role, header synonyms, display names,
chance prior …, see :class:`~fingerprints.normalizers.base.Normalizer`). The
modules are found here, so adding a kind touches no other file; the tables below
are built from them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from fingerprints.normalizers.address import AddressNormalizer
from fingerprints.normalizers.base import Normalizer, Role
from fingerprints.normalizers.birthdate import BirthdateNormalizer
from fingerprints.normalizers.custom import RegexNormalizer
from fingerprints.normalizers.customer_id import CustomerIdNormalizer
from fingerprints.normalizers.email import EmailNormalizer
from fingerprints.normalizers.kana import NameKanaNormalizer
from fingerprints.normalizers.name import NameFoldedNormalizer, NameNormalizer
from fingerprints.normalizers.phone import PhoneNormalizer
from fingerprints.normalizers.postal import PostalCodeNormalizer

__all__ = [
    "BUILTIN",
    "BUILTIN_KINDS",
    "CONTACT_KINDS",
    "NORMALIZER_VERSION",
    "PRIMARY_KINDS",
    "SEARCHABLE_KINDS",
    "SUPPORTING_KINDS",
    "WEAK_KINDS",
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
    "Role",
    "default_registry",
    "fields_for",
    "shown_kind",
]

NORMALIZER_VERSION = 1


def _discover() -> tuple[type[Normalizer], ...]:
    """Every built-in normalizer class of this package's modules, in ``order``."""
    found: dict[str, type[Normalizer]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Normalizer)
                and value.__module__ == module.__name__
                and value.builtin
            ):
                if value.kind in found:
                    raise RuntimeError(f"kind {value.kind!r} is declared twice")
                found[value.kind] = value
    return tuple(sorted(found.values(), key=lambda cls: (cls.order, cls.kind)))


#: The built-in kinds' normalizer classes, by kind, in ``order``.
BUILTIN: Mapping[str, type[Normalizer]] = MappingProxyType({c.kind: c for c in _discover()})
#: Every built-in field kind, in manifest order.
BUILTIN_KINDS: tuple[str, ...] = tuple(BUILTIN)
#: Kinds that identify a customer on their own (custom regex kinds are primary too).
PRIMARY_KINDS: frozenset[str] = frozenset(k for k, c in BUILTIN.items() if c.role is Role.PRIMARY)
#: Kinds shared by many people: alone in a row they are no evidence of a record.
WEAK_KINDS: frozenset[str] = frozenset(k for k, c in BUILTIN.items() if c.role is Role.WEAK)
#: Kinds that only corroborate a primary hit (weak ones and the address).
SUPPORTING_KINDS: frozenset[str] = frozenset(BUILTIN_KINDS) - PRIMARY_KINDS
#: Personal contact points (see ``Normalizer.contact``).
CONTACT_KINDS: frozenset[str] = frozenset(k for k, c in BUILTIN.items() if c.contact)
#: Kinds a responder may look customers up by, in order.
SEARCHABLE_KINDS: tuple[str, ...] = tuple(k for k, c in BUILTIN.items() if c.search_help)


_SHOWN_AS: dict[str, str] = {k: c.shown_as for k, c in BUILTIN.items() if c.shown_as}


def shown_kind(kind: str) -> str:
    """The kind as a responder reads it (the variant-folded name is ``name``)."""
    return _SHOWN_AS.get(kind, kind)


class KindRegistry:
    """The normalizers of one dataset: built-ins, its customer_id rule, custom kinds."""

    def __init__(
        self,
        customer_id: CustomerIdNormalizer | None = None,
        custom: Iterable[RegexNormalizer] = (),
    ) -> None:
        builtins = [
            customer_id if customer_id is not None and cls.kind == customer_id.kind else cls()
            for cls in BUILTIN.values()
        ]
        self._by_kind: dict[str, Normalizer] = {n.kind: n for n in builtins}
        self._custom: list[str] = []
        for normalizer in custom:
            if normalizer.kind in self._by_kind:
                raise ValueError(f"kind {normalizer.kind!r} is declared twice")
            self._by_kind[normalizer.kind] = normalizer
            self._custom.append(normalizer.kind)
        self._expanding = frozenset(
            kind for kind, n in self._by_kind.items() if type(n).pairs is not Normalizer.pairs
        )
        #: Kinds whose import applies ``Normalizer.valid`` beyond ``canonical``.
        self.checked: frozenset[str] = frozenset(
            kind for kind, n in self._by_kind.items() if type(n).valid is not Normalizer.valid
        )

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
        try:  # ``get`` inlined: this runs for every candidate cell
            normalizer = self._by_kind[kind]
        except KeyError:
            raise KeyError(f"unknown field kind {kind!r}") from None
        canonical = normalizer.canonical(value)
        if canonical is None:
            return []
        if kind in self._expanding:
            return normalizer.pairs(canonical)
        return [(kind, canonical)]  # ``Normalizer.pairs``, without the call (hot path)

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
