"""``[customer_id]`` and ``[[kind]]`` of ``leakprint.toml``: the deployment's own
customer-number rule and custom field kinds, applied by ``fingerprint import``.

The rule a set was built with is recorded in its manifest and travels with it (the
scan side rebuilds it from there, ``fingerprints.kindconfig``), so changing these
settings affects the next import only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fingerprints.normalizers import CustomerIdNormalizer, KindRegistry, RegexNormalizer


class KindSettingsError(ValueError):
    """A one-line problem with ``[customer_id]`` or ``[[kind]]`` (no value quoted)."""


@dataclass(frozen=True)
class KindSettings:
    """What the file declares; ``registry()`` is the import's normalizers."""

    customer_id_pattern: str | None = None
    check_digit: str | None = None
    #: ``(name, pattern)`` of each custom kind, in file order.
    custom: tuple[tuple[str, str], ...] = ()

    @property
    def customised(self) -> bool:
        return bool(self.customer_id_pattern or self.check_digit or self.custom)

    def registry(self) -> KindRegistry | None:
        """The import's registry, or ``None`` for the built-in defaults."""
        if not self.customised:
            return None
        customer_id = None
        if self.customer_id_pattern or self.check_digit:
            customer_id = CustomerIdNormalizer(self.customer_id_pattern, self.check_digit)
        return KindRegistry(
            customer_id=customer_id,
            custom=[RegexNormalizer(name, pattern) for name, pattern in self.custom],
        )


def kind_settings(data: Mapping[str, Any]) -> KindSettings:
    """Read and check ``[customer_id]`` and ``[[kind]]`` of a parsed file."""
    cid = data.get("customer_id", {})
    kinds = data.get("kind", [])
    if not isinstance(cid, Mapping):
        raise KindSettingsError("[customer_id] must be a table")
    if not isinstance(kinds, list) or not all(isinstance(k, Mapping) for k in kinds):
        raise KindSettingsError("kind must be an array of tables: [[kind]]")
    pattern = cid.get("pattern")
    check = cid.get("check_digit")
    if pattern is not None and not isinstance(pattern, str):
        raise KindSettingsError("customer_id.pattern must be a string")
    if check is not None and not isinstance(check, str):
        raise KindSettingsError("customer_id.check_digit must be a string")
    custom: list[tuple[str, str]] = []
    for n, table in enumerate(kinds, 1):
        name, kind_pattern = table.get("name"), table.get("pattern")
        if not isinstance(name, str) or not isinstance(kind_pattern, str):
            raise KindSettingsError(f"[[kind]] number {n} needs a name and a pattern (strings)")
        custom.append((name, kind_pattern))
    settings = KindSettings(pattern or None, check or None, tuple(custom))
    try:
        settings.registry()  # every check of the normalizers, now rather than at import
    except ValueError as exc:
        raise KindSettingsError(str(exc)) from None
    return settings
