"""Operator-specific customer / contract IDs."""

from __future__ import annotations

import re
from typing import ClassVar

from fingerprints.normalizers.base import Normalizer, Role
from fingerprints.text import DASH_CHARS, prepare

__all__ = ["CHECK_DIGITS", "CustomerIdNormalizer", "luhn_valid", "mod11_valid"]

DEFAULT_PATTERN = "[A-Z0-9]{6,20}"
_DROP_SEPARATORS = {ord(c): None for c in DASH_CHARS + " \t\u3000"}


def luhn_valid(digits: str) -> bool:
    """Luhn mod-10 check over an all-digit string (last digit is the check)."""
    if len(digits) < 2 or not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def mod11_valid(digits: str) -> bool:
    """My-Number-style mod-11 check digit (last digit).

    Weights counted from the right of the payload run 2..7 and repeat, which for
    11 payload digits is exactly the 個人番号 formula; remainder <= 1 gives 0.
    """
    if len(digits) < 2 or not (digits.isascii() and digits.isdigit()):
        return False
    payload = digits[:-1]
    total = sum((ord(ch) - 48) * ((n % 6) + 2) for n, ch in enumerate(reversed(payload)))
    remainder = total % 11
    check = 0 if remainder <= 1 else 11 - remainder
    return check == ord(digits[-1]) - 48


CHECK_DIGITS = {"luhn": luhn_valid, "mod11": mod11_valid}


class CustomerIdNormalizer(Normalizer):
    """Configurable IDs: prepare, drop separators, upper-case, full-match a regex.

    Default regex ``[A-Z0-9]{6,20}`` with at least four digits. ``check_digit``
    is ``None``, ``"luhn"`` or ``"mod11"``.
    """

    kind: ClassVar[str] = "customer_id"
    builtin: ClassVar[bool] = True
    order: ClassVar[int] = 30
    role: ClassVar[Role] = Role.PRIMARY
    headers: ClassVar[tuple[str, ...]] = (
        "顧客id",
        "顧客番号",
        "顧客コード",
        "お客さま番号",
        "お客様番号",
        "お客さまid",
        "お客様id",
        "契約id",
        "契約番号",
        "会員番号",
        "会員id",
        "回線id",
        "フレッツ回線id",
        "利用者id",
        "customer id",
        "customer_id",
        "customer no",
        "customer number",
        "contract id",
        "member id",
        "id",
        "user id",
        "userid",
    )
    display: ClassVar[str] = "customer ID"
    display_ja: ClassVar[str] = "顧客ID"
    prior: ClassVar[float] = 1e-6

    def __init__(self, pattern: str | None = None, check_digit: str | None = None) -> None:
        if check_digit is not None and check_digit not in CHECK_DIGITS:
            raise ValueError(
                f"unknown check digit {check_digit!r}; use one of {sorted(CHECK_DIGITS)}"
            )
        try:
            self._regex = re.compile(pattern if pattern is not None else DEFAULT_PATTERN)
        except re.error as exc:
            raise ValueError(f"invalid customer_id pattern: {exc}") from None
        self.pattern = pattern
        self.check_digit = check_digit
        self._check = CHECK_DIGITS[check_digit] if check_digit else None

    def canonical(self, value: str) -> str | None:
        s = prepare(value).strip().translate(_DROP_SEPARATORS).upper()
        if not s or self._regex.fullmatch(s) is None:
            return None
        if self.pattern is None and sum(c.isdigit() for c in s) < 4:
            return None
        if self._check is not None and not self._check(s):
            return None
        return s

    def config(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "pattern": self.pattern if self.pattern is not None else DEFAULT_PATTERN,
            "default_pattern": self.pattern is None,
            "check_digit": self.check_digit,
        }

    def __repr__(self) -> str:
        return f"CustomerIdNormalizer(pattern={self.pattern!r}, check_digit={self.check_digit!r})"
