"""Custom kinds declared in the import mapping with a regex."""

from __future__ import annotations

import re
from typing import ClassVar

from fingerprints.normalizers.base import BUILTIN_KINDS, Normalizer
from fingerprints.text import prepare

__all__ = ["RegexNormalizer"]

_KIND_NAME = re.compile(r"[a-z0-9_]{1,16}")


class RegexNormalizer(Normalizer):
    """A custom kind declared in the import mapping: prepare, strip, full-match."""

    kind: ClassVar[str] = "custom"

    def __init__(
        self, kind: str, pattern: str, *, reserved: frozenset[str] = frozenset(BUILTIN_KINDS)
    ) -> None:
        if not (kind.isascii() and _KIND_NAME.fullmatch(kind)):
            raise ValueError("custom kind names are 1-16 characters of [a-z0-9_]")
        if kind in reserved:
            raise ValueError(f"custom kind {kind!r} clashes with a built-in kind")
        try:
            self._regex = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid pattern for kind {kind!r}: {exc}") from None
        # Each instance is its own kind; the class attribute is only a default.
        object.__setattr__(self, "kind", kind)
        self.pattern = pattern

    def canonical(self, value: str) -> str | None:
        s = prepare(value).strip()
        if not s or self._regex.fullmatch(s) is None:
            return None
        return s

    def config(self) -> dict[str, object]:
        return {"kind": self.kind, "pattern": self.pattern}

    def __repr__(self) -> str:
        return f"RegexNormalizer(kind={self.kind!r}, pattern={self.pattern!r})"
