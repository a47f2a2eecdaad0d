"""Custom kinds declared with a regex (``[kinds.<name>]`` in ``leakprint.toml``)."""

from __future__ import annotations

import re
from typing import ClassVar

from fingerprints.normalizers.base import Normalizer, Role
from fingerprints.text import prepare

__all__ = ["RegexNormalizer"]

_KIND_NAME = re.compile(r"[a-z0-9_]{1,16}")


class RegexNormalizer(Normalizer):
    """A custom kind: prepare, strip, full-match. Primary; searched for in text by
    its own pattern."""

    kind: ClassVar[str] = "custom"
    role: ClassVar[Role] = Role.PRIMARY

    def __init__(
        self, kind: str, pattern: str, *, reserved: frozenset[str] | None = None
    ) -> None:
        if reserved is None:
            # (The registry imports this module: the built-in kinds are read late.)
            from fingerprints.normalizers import BUILTIN_KINDS

            reserved = frozenset(BUILTIN_KINDS)
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
        object.__setattr__(self, "search", pattern)
        object.__setattr__(self, "display", kind)
        object.__setattr__(self, "display_ja", kind)
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
