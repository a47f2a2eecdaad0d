"""Base class shared by every field normalizer."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

__all__ = ["BUILTIN_KINDS", "CJK_CLASS", "KANJI_CLASS", "Normalizer", "is_cjk"]

#: Every built-in field kind, in manifest order.
BUILTIN_KINDS: tuple[str, ...] = (
    "phone",
    "email",
    "customer_id",
    "name",
    "name_folded",
    "name_kana",
    "birthdate",
    "postal_code",
    "address",
)


class Normalizer(ABC):
    """One field kind: raw value in, canonical form out.

    ``canonical`` returns ``None`` when the value is not a plausible value of the
    kind. Implementations never raise on bad input and never put the value into an
    exception message.
    """

    kind: ClassVar[str]

    @abstractmethod
    def canonical(self, value: str) -> str | None:
        """Return the canonical form of ``value`` or ``None``."""

    def canonical_many(self, values: Sequence[str]) -> list[str | None]:
        """``[self.canonical(v) for v in values]``; kinds whose values hardly repeat
        (phone numbers, e-mail addresses) override it with whole-column string
        operations that run in C, and their tests hold them to this definition."""
        return list(map(self.canonical, values))

    def config(self) -> dict[str, object]:
        """Settings that change the canonical form (recorded in a set's manifest)."""
        return {"kind": self.kind}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r})"


#: ``is_cjk`` as a regex character class (the tests compare the two on every code
#: point), and its kanji part alone (iteration marks, CJK ideographs, extensions).
KANJI_CLASS = "\u3005-\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
CJK_CLASS = "\u3041-\u30ff\u31f0-\u31ff" + KANJI_CLASS


def is_cjk(ch: str) -> bool:
    """True for a kanji, kana or CJK iteration/compatibility character."""
    cp = ord(ch)
    return (
        0x3005 <= cp <= 0x3007  # 々 〆 〇
        or 0x3041 <= cp <= 0x30FF  # hiragana, katakana
        or 0x31F0 <= cp <= 0x31FF  # small katakana extension
        or 0x3400 <= cp <= 0x4DBF
        or 0x4E00 <= cp <= 0x9FFF
        or 0xF900 <= cp <= 0xFAFF
        or 0x20000 <= cp <= 0x3FFFF
    )
