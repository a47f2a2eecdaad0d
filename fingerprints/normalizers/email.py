"""E-mail addresses: local part as written, domain lower-cased."""

from __future__ import annotations

from typing import ClassVar

from fingerprints.normalizers.base import Normalizer
from fingerprints.text import prepare

__all__ = ["EmailNormalizer"]


class EmailNormalizer(Normalizer):
    """``local@domain`` with the domain lower-cased.

    RFC-invalid local parts (``taro..yamada.@docomo.ne.jp``, issued by carriers
    until about 2009) are accepted on purpose.
    """

    kind: ClassVar[str] = "email"

    def canonical(self, value: str) -> str | None:
        s = prepare(value).strip()
        if s.count("@") != 1 or any(c.isspace() for c in s):
            return None
        local, domain = s.split("@")
        if not local or "." not in domain or domain[0] == "." or domain[-1] == ".":
            return None
        lowered = domain.lower()
        if lowered != domain:
            # Lower-casing a few non-ASCII letters leaves text that NFKC changes
            # again; prepare once more so the result is a fixed point.
            lowered = prepare(lowered)
            if lowered.lower() != lowered:
                return None
        return f"{local}@{lowered}"
