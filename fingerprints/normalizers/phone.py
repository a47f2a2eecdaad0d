"""Japanese phone numbers → E.164 (``+81…``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from itertools import compress
from operator import itemgetter, not_
from typing import ClassVar

from fingerprints.normalizers.base import Normalizer, Role
from fingerprints.text import prepare

__all__ = ["FIXED_PREFIXES", "PhoneNormalizer"]

_DROP = str.maketrans("", "", " \t-().+")

# Mobile 060/070/080/090 and IP phone 050: 11 digits, third digit 1-9 (so the
# toll-free 0800 block is excluded).
_MOBILE_OR_VOIP = re.compile(r"0[5-9]0[1-9][0-9]{7}")

# Fixed-line area prefixes, copied from phonenumbers' JP fixed-line metadata
# (national number pattern, 9 digits after the trunk 0). Using the same pattern
# keeps the scan side and the import side in agreement without calling the
# library per candidate; the agreement test fails if the metadata moves.
_FIXED_LINE = re.compile(
    r"0(?:1(?:1[235-8]|2[3-6]|3[3-9]|4[2-6]|[58][2-8]|6[2-7]|7[2-9]|9[1-9])"
    r"|(?:2[2-9]|[36][1-9])[0-9]|4(?:[2-578][0-9]|6[02-8]|9[2-59])"
    r"|5(?:[2-589][0-9]|6[1-9]|7[2-8])|7(?:[25-9][0-9]|3[4-9]|4[02-9])"
    r"|8(?:[2679][0-9]|3[2-9]|4[5-9]|5[1-9]|8[03-9])"
    r"|9(?:[2-58][0-9]|[679][1-9]))[0-9]{6}"
)

#: Whether each three-digit area prefix after the trunk 0 (byte ``int(prefix)``) is a
#: fixed-line one: every alternative of ``_FIXED_LINE`` takes three digits after the
#: 0 and six follow, so the prefix alone decides (a test checks it). The native column
#: pass (``fingerprints/_native_cells.h``) reads the pattern through this table.
FIXED_PREFIXES = bytes(
    _FIXED_LINE.fullmatch(f"0{p:03d}000000") is not None for p in range(1000)
)

# A domestic number without separators that ``canonical`` accepts (both patterns
# fix the length: 11 digits for mobile/IP, 10 for fixed lines).
_VALID_DOMESTIC = re.compile(f"{_MOBILE_OR_VOIP.pattern}|{_FIXED_LINE.pattern}")
_AFTER_TRUNK = itemgetter(slice(1, None))



def _domestic(digits: str, had_plus: bool) -> str | None:
    """Map an international form to the domestic ``0…`` form."""
    n = len(digits)
    if n > 12 or digits[:1] == "8":
        if digits.startswith("0081") and n in (13, 14):
            return "0" + digits[4:]
        if digits.startswith("01081") and n in (14, 15):
            # 010 is the international call prefix dialled from Japan.
            return "0" + digits[5:]
        if digits.startswith("81") and n in (11, 12):
            return "0" + digits[2:]
    if had_plus:
        return None
    return digits


def _drop_separators(s: str) -> str:
    """``s.translate(_DROP)``: the same deletions, several times faster on short text."""
    if s.isdigit():
        return s
    return (
        s.replace("-", "")
        .replace(" ", "")
        .replace("(", "")
        .replace(")", "")
        .replace(".", "")
        .replace("+", "")
        .replace("\t", "")
    )


def _compact(value: str) -> tuple[str, bool] | None:
    s = prepare(value).strip()
    had_plus = s.startswith("+")
    digits = _drop_separators(s)
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    return digits, had_plus


class PhoneNormalizer(Normalizer):
    """Plausible Japanese customer numbers (mobile, 050, landlines) as E.164.

    Toll-free (0120, 0800), UAN (0570), premium (0990) and pager (020) numbers
    are rejected: they are not customer numbers.
    """

    kind: ClassVar[str] = "phone"
    builtin: ClassVar[bool] = True
    order: ClassVar[int] = 10
    role: ClassVar[Role] = Role.PRIMARY
    headers: ClassVar[tuple[str, ...]] = (
        "電話番号",
        "電話",
        "tel",
        "tel番号",
        "携帯",
        "携帯電話",
        "携帯番号",
        "携帯電話番号",
        "連絡先電話番号",
        "自宅電話番号",
        "phone",
        "phone number",
        "phone_number",
        "mobile",
        "mobile number",
        "telephone",
        "cell",
    )
    display: ClassVar[str] = "phone number"
    display_ja: ClassVar[str] = "電話番号"
    prior: ClassVar[float] = 1 / 1.25e8  # one person of Japan's 125 million
    contact: ClassVar[bool] = True
    search_help: ClassVar[str | None] = "A phone number in any format (hashed locally)."

    def canonical(self, value: str) -> str | None:
        """Fast pure-Python rules, used on the scanning side."""
        compact = _compact(value)
        if compact is None:
            return None
        domestic = _domestic(*compact)
        if domestic is None:
            return None
        n = len(domestic)
        if (n == 11 and _MOBILE_OR_VOIP.fullmatch(domestic)) or (
            n == 10 and _FIXED_LINE.fullmatch(domestic)
        ):
            return "+81" + domestic[1:]
        return None

    def canonical_many(self, values: Sequence[str]) -> list[str | None]:
        """``canonical`` of each value, as string operations over the whole column.

        A dump has tens of thousands of distinct numbers per megabyte; here the
        steps of ``canonical`` run once over the values joined by line breaks
        (prepare, trim, drop separators, the domestic patterns), and only a value
        that looks international (``+``, ``81…``, ``0081…``) takes the per-value path.
        """
        joined = "\n".join(values)
        if joined.count("\n") != len(values) - 1:
            return list(map(self.canonical, values))  # a value holds a line break
        if not joined.isascii():
            joined = prepare(joined)
        compact = (
            "\n".join(map(str.strip, joined.split("\n")))
            .replace("-", "")
            .replace(" ", "")
            .replace("(", "")
            .replace(")", "")
            .replace(".", "")
            .replace("\t", "")
            .split("\n")
        )
        if len(compact) != len(values):
            return list(map(self.canonical, values))
        ok = list(map(_VALID_DOMESTIC.fullmatch, compact))
        out: list[str | None] = list(map("+81".__add__, map(_AFTER_TRUNK, compact)))
        canonical = self.canonical
        for i in compress(range(len(compact)), map(not_, ok)):
            digits = compact[i]
            if "+" in digits or digits[:1] == "8" or len(digits) > 12:
                out[i] = canonical(values[i])  # international forms: the full rules
            else:
                # Only those can become a domestic 0… number (``_domestic``): a
                # column of ISO dates has a phone's shape, and is none.
                out[i] = None
        return out

    def valid(self, canonical: str) -> bool:
        """Whether ``phonenumbers``' JP metadata accepts an E.164 ``+81…`` as a
        customer's number (the import side's check; ``strict`` applies it).

        The test ``phonenumbers.number_type`` applies (a fixed-line, mobile or VoIP
        pattern and possible length), with the patterns compiled once: the import
        costs microseconds per phone instead of the library's ~40 µs parse.
        """
        national = canonical[3:]
        return any(
            len(national) in lengths and pattern.fullmatch(national)
            for pattern, lengths in _jp_patterns()
        )


@cache
def _jp_patterns() -> tuple[tuple[re.Pattern[str], frozenset[int]], ...]:
    import phonenumbers

    meta = phonenumbers.PhoneMetadata.metadata_for_region("JP")
    if meta is None:  # pragma: no cover - the JP metadata ships with phonenumbers
        raise RuntimeError("phonenumbers has no metadata for JP")
    descs = (meta.fixed_line, meta.mobile, meta.voip)
    return tuple(
        (re.compile(d.national_number_pattern), frozenset(d.possible_length))
        for d in descs
        if d is not None and d.national_number_pattern
    )
