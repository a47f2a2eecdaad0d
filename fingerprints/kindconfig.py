"""Rebuild a dataset's normalizer registry from its manifest's ``kind_config``.

The scan side must normalize exactly as the import side did, including a dataset's
own customer_id rule and custom regex kinds, so the rule travels with the set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fingerprints.normalizers import (
    BUILTIN_KINDS,
    CustomerIdNormalizer,
    KindRegistry,
    RegexNormalizer,
    default_registry,
)


def registry_from_config(config: Mapping[str, Any] | None) -> KindRegistry:
    """The registry a set was built with (the default one when nothing was customised)."""
    kinds: Mapping[str, Any] = (config or {}).get("kinds", {})
    cid = kinds.get(CustomerIdNormalizer.kind) or {}
    custom = [
        RegexNormalizer(k, str(v["pattern"]))
        for k, v in kinds.items()
        if k not in BUILTIN_KINDS and isinstance(v, Mapping) and "pattern" in v
    ]
    customer_id = None
    if (cid and not cid.get("default_pattern", True)) or cid.get("check_digit"):
        customer_id = CustomerIdNormalizer(
            None if cid.get("default_pattern", True) else str(cid["pattern"]),
            cid.get("check_digit"),
        )
    if customer_id is None and not custom:
        return default_registry()
    return KindRegistry(customer_id=customer_id, custom=custom)


def import_fields(registry: KindRegistry, kind: str, value: str) -> list[tuple[str, str]]:
    """``fields_for`` with the import side's stricter checks (``Normalizer.valid``:
    phones via ``phonenumbers``' metadata)."""
    pairs = registry.fields_for(kind, value)
    if pairs and kind in registry.checked and not registry.get(kind).valid(pairs[0][1]):
        # Plausible to the fast rules but not valid to the stricter check (a phone
        # number phonenumbers rejects): report the row rather than fingerprint a
        # value that cannot be a customer's.
        return []
    return pairs
