"""Each kind's facts are declared on its normalizer and read from the registry."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import fingerprints.normalizers as normalizers
from fingerprints.headers import ALIASES, match_header
from fingerprints.normalizers import (
    BUILTIN,
    BUILTIN_KINDS,
    CONTACT_KINDS,
    PRIMARY_KINDS,
    SEARCHABLE_KINDS,
    SUPPORTING_KINDS,
    WEAK_KINDS,
    KindRegistry,
    Normalizer,
    PhoneNormalizer,
    RegexNormalizer,
    Role,
    shown_kind,
)


def test_the_tables_built_from_the_normalizers() -> None:
    # The values these tables had when each module declared them by hand.
    assert PRIMARY_KINDS == {"phone", "email", "customer_id"}
    assert WEAK_KINDS == {"name", "name_folded", "name_kana", "birthdate", "postal_code"}
    assert SUPPORTING_KINDS == WEAK_KINDS | {"address"}
    assert CONTACT_KINDS == {"phone", "email"}
    assert SEARCHABLE_KINDS == ("phone", "email", "name")
    assert BUILTIN_KINDS == ("phone", "email", "customer_id", "name", "name_folded",
                             "name_kana", "birthdate", "address", "postal_code")


def test_every_normalizer_module_is_found() -> None:
    """Discovery finds the one built-in class of every kind module (a new module
    is the whole of adding a kind)."""
    declared = set()
    for info in pkgutil.iter_modules(normalizers.__path__):
        module = importlib.import_module(f"fingerprints.normalizers.{info.name}")
        declared |= {
            v.kind for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, Normalizer)
            and v.__module__ == module.__name__ and v.builtin
        }
    assert declared == set(BUILTIN)


@pytest.mark.parametrize("kind", BUILTIN_KINDS)
def test_every_builtin_declares_its_facts(kind: str) -> None:
    cls = BUILTIN[kind]
    assert isinstance(cls.role, Role)
    assert cls.display and cls.display_ja
    assert 0 < cls.prior < 1
    if cls.shown_as is None:
        assert cls.headers, "a kind that is read from columns needs header synonyms"
        assert match_header(cls.headers[0]).kind == kind  # type: ignore[union-attr]
    else:
        assert cls.shown_as in BUILTIN and not cls.headers
    assert ALIASES.get(kind, ()) == cls.headers


def test_shown_kind() -> None:
    assert shown_kind("name_folded") == "name"
    assert shown_kind("name_kana") == "name_kana"
    assert shown_kind("flets_id") == "flets_id"


def test_a_registry_search_pattern_and_role_for_custom_kinds() -> None:
    custom = RegexNormalizer("flets_id", "CAF[0-9]{10}")
    r = KindRegistry(custom=[custom])
    assert r.get("flets_id").search == "CAF[0-9]{10}"
    assert r.get("flets_id").role is Role.PRIMARY
    assert all(r.get(k).search is None for k in BUILTIN_KINDS)
    assert r.is_primary("flets_id")


def test_phone_strict_is_canonical_plus_the_import_check() -> None:
    """One truth: ``strict`` is what the import keeps (``import_fields``)."""
    from fingerprints.kindconfig import import_fields

    p = PhoneNormalizer()
    reg = KindRegistry()
    assert reg.checked == {"phone"}
    for raw in ("090-1234-5678", "03-1234-5678", "0120-123-456", "+81 90 1234 5678",
                "0990-12-3456", "05-0000-0000", "0612345678"):
        kept = import_fields(reg, "phone", raw)
        assert (kept[0][1] if kept else None) == p.strict(raw), raw


@pytest.mark.parametrize("kind", BUILTIN_KINDS)
def test_pairs_per_value_is_what_pairs_gives(kind: str) -> None:
    cls = BUILTIN[kind]
    assert len(cls().pairs("山田太郎")) == cls.pairs_per_value
