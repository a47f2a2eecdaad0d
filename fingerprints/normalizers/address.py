"""Japanese postal addresses → prefecture+city+town+block numbers.

Pure string rules, microseconds per call: no address dictionary, no inferred
prefecture. What matters is that customer records and scraped text go through the
same function, so ``芝公園四丁目2番8号`` and ``芝公園4-2-8 東京タワー3F`` meet.
"""

from __future__ import annotations

import re
from typing import ClassVar

from fingerprints import native
from fingerprints.normalizers.base import CJK_CLASS, Normalizer, Role
from fingerprints.text import DASH_CHARS, fold_digit_dashes, prepare

__all__ = ["AddressNormalizer", "kanji_number"]

_KANJI_DIGITS = {
    "〇": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KNUM = "".join(_KANJI_DIGITS) + "".join(_KANJI_UNITS)

# Kanji numerals are converted only in a numbering position (before 丁目/番/号/-
# or after '-'), so place names such as 八王子, 十日町 or 三番町 keep their kanji.
_DASH = re.escape(DASH_CHARS)
_KANJI_RUN = re.compile(
    rf"(?<=[{_DASH}])[{_KNUM}]+|[{_KNUM}]+(?=丁目|番地|番(?!町)|号|[{_DASH}]|の[0-9{_KNUM}])"
)
_POSTAL_PREFIX = re.compile(r"\s*(?:(?:〒|〶|〠|郵便番号)[:\s]*)?[0-9]{3}-?[0-9]{4}(?![0-9-])\s*")
# (Each pattern starts with a literal, so the engine skips ahead to candidates;
# a leading look-behind would be tried at every position.)
_UNIT = re.compile(r"丁目(?<=[0-9]..)|番地(?<=[0-9]..)|番(?!町)(?<=[0-9].)|号(?<=[0-9].)")
_NO = re.compile(r"の(?<=[0-9\-].)(?=[0-9])")
_KNUM_CHAR = re.compile(f"[{_KNUM}]")
_DASHES = re.compile(r"-{2,}")
_BLOCK = re.compile(r"[0-9]+(?:-[0-9]+)*")

# ``is_cjk`` as one search.
CJK_CHAR = re.compile(f"[{CJK_CLASS}]")


# Spellings that the same town name is written with (normalize-japanese-addresses'
# equivalence list, reduced to the unambiguous ones).
_FOLD = str.maketrans(
    {
        "ヶ": "ケ",
        "ヵ": "ケ",
        "が": "ケ",
        "ノ": "の",
        "之": "の",
        "條": "条",
        "藪": "薮",
        "巿": "市",
        "曾": "曽",
    }
)


# Most addresses hold none of the folded characters: one search finds out.
_FOLDED = re.compile("[" + "".join(chr(c) for c in _FOLD) + "]")

# The address a table holds most often: a town, then ``N丁目M番`` and maybe ``K号``.
# When the town has no white space, dash, digit, 丁/番/号/の, postal mark or
# folded spelling, no step of ``_key`` changes it (a kanji numeral in it is
# followed by neither a unit nor a dash, so it stays), and the key is the town and
# the numbers joined by dashes: one search instead of a dozen (a crawled table's
# addresses rarely repeat, and this was a sixth of the matcher's time on them).
# tests/fingerprints/test_normalizers_address.py holds it to ``_key``.
_PLAIN_BLOCK = re.compile(r"([^0-9]+)([0-9]{1,4})丁目([0-9]{1,4})番(?:([0-9]{1,4})号)?")
_TOWN_UNSAFE = re.compile(
    rf"[\s{_DASH}丁番号の〒〶〠" + "".join(chr(c) for c in _FOLD) + "]"
)


def kanji_number(run: str) -> str:
    """``四`` → ``4``, ``二十三`` → ``23``, ``二〇`` → ``20``, ``千二百`` → ``1200``."""
    if not any(c in _KANJI_UNITS for c in run):
        return "".join(str(_KANJI_DIGITS[c]) for c in run)
    total = 0
    current = 0
    for c in run:
        unit = _KANJI_UNITS.get(c)
        if unit is None:
            current = current * 10 + _KANJI_DIGITS[c]
        else:
            total += (current or 1) * unit
            current = 0
    return str(total + current)


def _kanji_sub(m: re.Match[str]) -> str:
    return kanji_number(m.group())


class AddressNormalizer(Normalizer):
    """``東京都港区芝公園四丁目2番8号`` → ``東京都港区芝公園4-2-8``.

    Drops a leading postal code, converts kanji numerals in numbering positions,
    folds 丁目/番地/番/号/の to ``-``, folds ヶ/ケ/が, keeps the first block of
    numbers after the town and drops what follows (building, floor, room).
    """

    kind: ClassVar[str] = "address"
    builtin: ClassVar[bool] = True
    order: ClassVar[int] = 80
    role: ClassVar[Role] = Role.SUPPORTING
    headers: ClassVar[tuple[str, ...]] = (
        "住所",
        "ご住所",
        "所在地",
        "現住所",
        "契約者住所",
        "住所1",
        "address",
        "addr",
        "street address",
    )
    display: ClassVar[str] = "address"
    display_ja: ClassVar[str] = "住所"
    group: ClassVar[str | None] = "place"
    prior: ClassVar[float] = 1e-6  # to the block number: a household, a building

    def canonical(self, value: str) -> str | None:
        s = prepare(value)
        # The one-search path pays off only for the Python rules: the native key
        # is faster still (1.9 against 3.4 us a call with the search first).
        m = _PLAIN_BLOCK.fullmatch(s) if native.CORE is None else None
        if m is not None:
            town = m.group(1)
            if _TOWN_UNSAFE.search(town) is None and CJK_CHAR.search(town) is not None:
                last = m.group(4)
                return (f"{town}{m.group(2)}-{m.group(3)}-{last}" if last
                        else f"{town}{m.group(2)}-{m.group(3)}")
        return self.canonical_steps(s)

    def canonical_steps(self, s: str) -> str | None:
        """:meth:`canonical` of prepared ``s`` by the full rules (the reference of
        its one-search path)."""
        key = self._key(s)
        if key is not None and key[1]:
            # White space inside the town part was removed, which can create new
            # adjacencies (``三 -一`` → ``三-1``); one more pass over the
            # space-free key makes the result a fixed point.
            key = self._key(prepare(key[0]))
        return None if key is None else key[0]

    @staticmethod
    def _key(s: str) -> tuple[str, bool] | None:
        """``(key, town_had_white_space)`` for prepared text, or ``None``."""
        core = native.CORE
        if core is not None:
            key = core.address_key(s)
            if key is not NotImplemented:
                return key
        return AddressNormalizer._key_reference(s)

    @staticmethod
    def _key_reference(s: str) -> tuple[str, bool] | None:
        """``_key`` in Python: the reference of ``fingerprints/_canon_address.c``."""
        if m := _POSTAL_PREFIX.match(s):
            s = s[m.end() :]
        # White space stays until the block is found: after a number (or 号, 番地
        # …) it ends the block, so ``4-2-8 101号室`` keeps only ``4-2-8``.
        if _FOLDED.search(s):
            s = s.translate(_FOLD)
        if _KNUM_CHAR.search(s):
            s = _KANJI_RUN.sub(_kanji_sub, s)
        # Converted numerals can newly flank a dash (四ー二 → 4ー2).
        s = fold_digit_dashes(s)
        s = _UNIT.sub("-", s)
        s = _NO.sub("-", s)
        if "--" in s:
            s = _DASHES.sub("-", s)
        n = len(s)
        for block in _BLOCK.finditer(s):
            end = block.end()
            # A lone number glued to kanji (北1条, 第2地割) is part of the town name;
            # the block is a dashed group or a number that ends the address part.
            if "-" in block.group() or end == n or s[end] == "-" or s[end].isspace():
                town = s[: block.start()]
                squeezed = "".join(town.split())
                if CJK_CHAR.search(squeezed) is None:
                    return None
                return squeezed + block.group(), len(squeezed) != len(town)
        return None
