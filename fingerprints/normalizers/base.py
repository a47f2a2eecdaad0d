"""Base class shared by every field normalizer."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from enum import StrEnum
from typing import ClassVar

__all__ = ["CJK_CLASS", "KANJI_CLASS", "Normalizer", "Role", "is_cjk"]


class Role(StrEnum):
    """What a match on a kind says about WHO is in a document (SPEC 4.5, issue 18)."""

    #: Names one customer on its own (custom regex kinds are primary too).
    PRIMARY = "primary"
    #: Shared by many people (a name, a birth date, a 7-digit postal code): a row
    #: holding only weak values is no evidence of any record.
    WEAK = "weak"
    #: Corroborates a primary hit and counts as evidence in a row, but a household
    #: or a building shares it (an address).
    SUPPORTING = "supporting"


class Normalizer(ABC):
    """One field kind: raw value in, canonical form out.

    ``canonical`` returns ``None`` when the value is not a plausible value of the
    kind. Implementations never raise on bad input and never put the value into an
    exception message.
    """

    kind: ClassVar[str]

    # ---- the kind's facts: every other module reads them from the registry
    # (``fingerprints.normalizers``), none repeats them. A built-in kind is one
    # module of this package holding one subclass that sets ``builtin = True``.

    #: A built-in kind (found by the registry); custom regex kinds are not.
    builtin: ClassVar[bool] = False
    #: Position among the built-in kinds (manifests, listings, explanations).
    order: ClassVar[int] = 1000
    role: ClassVar[Role] = Role.PRIMARY
    #: Column headers naming the kind, Japanese and English (matched after
    #: ``fingerprints.headers.header_key``). The first is the header leakprint
    #: itself writes (canary files).
    headers: ClassVar[tuple[str, ...]] = ()
    #: How people call the kind, in English and in Japanese (reports, alerts).
    display: ClassVar[str] = ""
    display_ja: ClassVar[str] = ""
    #: Another kind this one is a form of: shown and counted as that kind
    #: (the variant-folded name is a name).
    shown_as: ClassVar[str | None] = None
    #: Correlated kinds share a group and count once in the chance of a
    #: coincidence (``matchers.chance``); ``None``: a group of its own.
    group: ClassVar[str | None] = None
    #: Floor of the chance that a person outside the customer base has the value
    #: (``matchers.chance``; ``docs/design.md`` has the sources).
    prior: ClassVar[float] = 1e-6
    #: A personal contact point (phone, e-mail): it names one person, so with one
    #: more field of the record it is at least ``medium``; its values hardly
    #: repeat in a dump (misses are not cached); a snippet shows it without its
    #: length; and an import's id column must not hold it.
    contact: ClassVar[bool] = False
    #: A responder may look customers up by it: the help of ``leakprint search
    #: --<kind>`` (``None``: not searchable).
    search_help: ClassVar[str | None] = None
    #: For a primary kind without its own extraction strategy in
    #: ``matchers.candidates``: the regex its values are searched for in text
    #: (custom kinds use their declared pattern).
    search: ClassVar[str | None] = None

    @abstractmethod
    def canonical(self, value: str) -> str | None:
        """Return the canonical form of ``value`` or ``None``."""

    def canonical_many(self, values: Sequence[str]) -> list[str | None]:
        """``[self.canonical(v) for v in values]``; kinds whose values hardly repeat
        (phone numbers, e-mail addresses) override it with whole-column string
        operations that run in C, and their tests hold them to this definition."""
        return list(map(self.canonical, values))

    #: How many pairs ``pairs`` gives (sizing the import's buffers).
    pairs_per_value: ClassVar[int] = 1

    def pairs(self, canonical: str) -> list[tuple[str, str]]:
        """The digestible ``(kind, canonical)`` pairs of one canonical value (a
        name also gives its variant-folded form)."""
        return [(self.kind, canonical)]

    def valid(self, canonical: str) -> bool:
        """The import side's check of a canonical value beyond ``canonical``'s own
        rules (phones: ``phonenumbers``' metadata); ``strict`` uses it."""
        return True

    def strict(self, value: str) -> str | None:
        """``canonical`` as the import applies it: ``None`` also when ``valid`` fails."""
        canonical = self.canonical(value)
        return canonical if canonical is not None and self.valid(canonical) else None

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
