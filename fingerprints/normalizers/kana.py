"""Kana readings (フリガナ): katakana, no spaces or ``・``, small kana enlarged."""

from __future__ import annotations

from typing import ClassVar

from fingerprints import native
from fingerprints.normalizers.base import Normalizer, Role
from fingerprints.text import prepare

__all__ = ["NameKanaNormalizer", "to_katakana"]

_HIRA_TO_KATA = {cp: cp + 0x60 for cp in range(0x3041, 0x3097)}
_HIRA_TO_KATA.update({0x309D: 0x30FD, 0x309E: 0x30FE})  # ゝ ゞ → ヽ ヾ

# Bank (全銀) kana forbids small kana, so data derived from bank records spells
# キユウヨ for キュウヨ; enlarging makes both spellings one value.
_SMALL = "ァアィイゥウェエォオッツャヤュユョヨヮワヵカヶケ"
_SMALL_EXT = "ㇰクㇱシㇲスㇳトㇴヌㇵハㇶヒㇷフㇸヘㇹホㇺムㇻラㇼリㇽルㇾレㇿロ"
_ENLARGE = {ord(a): b for a, b in zip(_SMALL[::2], _SMALL[1::2], strict=True)}
_ENLARGE.update({ord(a): b for a, b in zip(_SMALL_EXT[::2], _SMALL_EXT[1::2], strict=True)})

_DROP = {ord(c): None for c in "・=゠"}

_TABLE: dict[int, int | str | None] = {}
_TABLE.update(_HIRA_TO_KATA)
_TABLE.update(_DROP)


def to_katakana(text: str) -> str:
    """Hiragana → katakana by code point offset; other characters unchanged."""
    return text.translate(_HIRA_TO_KATA)


def _is_katakana(c: str) -> bool:
    cp = ord(c)
    return 0x30A1 <= cp <= 0x30FA or 0x30FC <= cp <= 0x30FE


class NameKanaNormalizer(Normalizer):
    """``ヤマダ タロウ`` = ``ﾔﾏﾀﾞ ﾀﾛｳ`` = ``やまだ　たろう`` → ``ヤマダタロウ``."""

    kind: ClassVar[str] = "name_kana"
    builtin: ClassVar[bool] = True
    order: ClassVar[int] = 60
    role: ClassVar[Role] = Role.WEAK
    headers: ClassVar[tuple[str, ...]] = (
        "フリガナ",
        "ふりがな",
        "カナ氏名",
        "氏名カナ",
        "氏名(カナ)",
        "氏名かな",
        "カナ",
        "かな",
        "よみがな",
        "ヨミガナ",
        "契約者カナ",
        "契約者名カナ",
        "お名前(フリガナ)",
        "kana",
        "name_kana",
        "name kana",
        "furigana",
    )
    display: ClassVar[str] = "name (kana reading)"
    display_ja: ClassVar[str] = "氏名（フリガナ）"
    group: ClassVar[str | None] = "name"
    prior: ClassVar[float] = 1e-6  # readings collide more than kanji spellings

    def canonical(self, value: str) -> str | None:
        core = native.CORE
        if core is not None:
            return core.canon_kana(prepare(value))
        s = "".join(prepare(value).split())
        # Two passes: small hiragana first become small katakana, then grow.
        s = s.translate(_TABLE).translate(_ENLARGE)
        if len(s) < 2 or not all(_is_katakana(c) for c in s) or not s.strip("ーヽヾ"):
            return None
        return s
