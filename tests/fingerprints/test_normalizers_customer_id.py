"""customer_id (configurable) and custom regex kinds."""

from __future__ import annotations

import pytest

from fingerprints.normalizers import CustomerIdNormalizer, RegexNormalizer
from fingerprints.normalizers.customer_id import luhn_valid, mod11_valid

DEFAULT_CASES = [
    ("ab-1234-56", "AB123456"),
    ("ＡＢ－１２３４－５６", "AB123456"),
    ("AB 1234 56", "AB123456"),
    ("ab1234ー56", "AB123456"),
    ("ｃａ１２３４５６７８", "CA12345678"),
    ("CAF0001234567", "CAF0001234567"),
    ("123456", "123456"),
    # rejected by the default rule
    ("ABCDEF12", None),  # fewer than four digits
    ("AB123", None),  # too short
    ("A" * 10 + "1" * 11, None),  # too long
    ("AB_123456", None),
    ("AB@123456", None),
    ("", None),
]


@pytest.mark.parametrize(("raw", "expected"), DEFAULT_CASES)
def test_default_rule(raw: str, expected: str | None) -> None:
    n = CustomerIdNormalizer()
    assert n.canonical(raw) == expected
    if expected is not None:
        assert n.canonical(expected) == expected


def test_custom_pattern() -> None:
    n = CustomerIdNormalizer(pattern=r"CAF[0-9]{10}")
    assert n.canonical("caf-0001-234567") == "CAF0001234567"
    assert n.canonical("COP0001234567") is None
    assert n.config() == {
        "kind": "customer_id",
        "pattern": r"CAF[0-9]{10}",
        "default_pattern": False,
        "check_digit": None,
    }


@pytest.mark.parametrize(
    ("number", "valid"),
    [("621498320257", True), ("621498320258", False), ("123456789018", True)],
)
def test_mod11_my_number(number: str, valid: bool) -> None:
    assert mod11_valid(number) is valid
    n = CustomerIdNormalizer(pattern="[0-9]{12}", check_digit="mod11")
    assert (n.canonical(number[:4] + " " + number[4:8] + " " + number[8:]) is not None) is valid


def test_mod11_matches_python_stdnum_formula() -> None:
    # stdnum.jp.in_: check = -sum(w*d) % 11 % 10 with weights 6,5,4,3,2,7,6,5,4,3,2.
    import random

    rnd = random.Random(3)
    for _ in range(2000):
        payload = "".join(str(rnd.randint(0, 9)) for _ in range(11))
        s = sum(w * int(d) for w, d in zip((6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2), payload, strict=True))
        check = str(-s % 11 % 10)
        assert mod11_valid(payload + check)


@pytest.mark.parametrize(
    ("number", "valid"),
    [("4111111111111111", True), ("4111111111111112", False), ("79927398713", True), ("0", False)],
)
def test_luhn(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid
    n = CustomerIdNormalizer(pattern="[0-9]{6,20}", check_digit="luhn")
    assert (n.canonical(number) is not None) is valid


def test_bad_config_errors() -> None:
    with pytest.raises(ValueError, match="check digit"):
        CustomerIdNormalizer(check_digit="crc32")
    with pytest.raises(ValueError, match="pattern"):
        CustomerIdNormalizer(pattern="[A-Z")


def test_default_config_is_recorded() -> None:
    cfg = CustomerIdNormalizer(check_digit="luhn").config()
    assert cfg["pattern"] == "[A-Z0-9]{6,20}"
    assert cfg["default_pattern"] is True
    assert cfg["check_digit"] == "luhn"


def test_regex_kind() -> None:
    n = RegexNormalizer("flets_id", r"COP[0-9]{10}")
    assert n.kind == "flets_id"
    assert type(n).kind == "custom"
    assert n.canonical(" ＣＯＰ０１２３４５６７８９ ") == "COP0123456789"
    assert n.canonical("COP012345678") is None
    assert n.config() == {"kind": "flets_id", "pattern": r"COP[0-9]{10}"}


@pytest.mark.parametrize("kind", ["", "Phone", "x" * 17, "a-b", "ｐｈｏｎｅ", "名前", "a b"])
def test_regex_kind_name_rules(kind: str) -> None:
    with pytest.raises(ValueError):
        RegexNormalizer(kind, ".*")


@pytest.mark.parametrize("kind", ["phone", "name", "name_folded", "customer_id", "address"])
def test_regex_kind_cannot_shadow_builtin(kind: str) -> None:
    with pytest.raises(ValueError, match="built-in"):
        RegexNormalizer(kind, ".*")
