"""E-mail addresses: local part as written, domain lower-cased."""

from __future__ import annotations

import re
from typing import ClassVar

from fingerprints.normalizers.base import Normalizer, Role
from fingerprints.text import prepare

__all__ = ["EmailNormalizer"]

# ``re``'s ``\s`` on str patterns is exactly ``str.isspace`` per character (the
# tests check every code point); one search instead of a Python loop per character.
_SPACE = re.compile(r"\s")


class EmailNormalizer(Normalizer):
    """``local@domain`` with the domain lower-cased.

    RFC-invalid local parts (``taro..yamada.@docomo.ne.jp``, issued by carriers
    until about 2009) are accepted on purpose.
    """

    kind: ClassVar[str] = "email"
    builtin: ClassVar[bool] = True
    order: ClassVar[int] = 20
    role: ClassVar[Role] = Role.PRIMARY
    headers: ClassVar[tuple[str, ...]] = (
        "メールアドレス",
        "メール",
        "eメール",
        "e-mail",
        "email",
        "mail",
        "mail address",
        "email address",
        "メアド",
        "pcメール",
        "携帯メール",
    )
    display: ClassVar[str] = "e-mail address"
    display_ja: ClassVar[str] = "メールアドレス"
    prior: ClassVar[float] = 1 / 1.25e8  # one person of Japan's 125 million
    contact: ClassVar[bool] = True
    search_help: ClassVar[str | None] = "An e-mail address (hashed locally)."

    def canonical(self, value: str) -> str | None:
        s = prepare(value).strip()
        if s.count("@") != 1 or _SPACE.search(s) is not None:
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
