"""phone: fast canonical rules, and their agreement with phonenumbers (the library
itself, ``library_e164``, and ``strict``: canonical + the import's metadata check)."""

from __future__ import annotations

import random

import pytest

from fingerprints.normalizers import PhoneNormalizer
from tests.fingerprints.phone_oracle import library_e164

P = PhoneNormalizer()

SAME_MOBILE = [
    "090-1234-5678",
    "０９０１２３４５６７８",
    "+81 90 1234 5678",
    "(090)1234-5678",
    "090ｰ1234ｰ5678",
    "09012345678",
    "+81-90-1234-5678",
    "090−1234−5678",
    "０９０－１２３４－５６７８",
    "０９０ー１２３４ー５６７８",
    "090\u200b-1234-5678",
    "0081-90-1234-5678",
    "819012345678",
    "+819012345678",
    "090 1234 5678",
    "090.1234.5678",
    " 090-1234-5678 ",
    "010-81-90-1234-5678",
    "＋８１　９０　１２３４　５６７８",
]

CASES = [(raw, "+819012345678") for raw in SAME_MOBILE] + [
    ("03-1234-5678", "+81312345678"),
    ("03(1234)5678", "+81312345678"),
    ("06-6123-4567", "+81661234567"),
    ("011-231-4567", "+81112314567"),
    ("011-123-4567", None),  # exchange 1xx is not assigned in Sapporo
    ("0597-92-1234", "+81597921234"),
    ("05979-2-1234", "+81597921234"),
    ("04992-2-1234", "+81499221234"),
    ("050-1234-5678", "+815012345678"),
    ("060-1234-5678", "+816012345678"),
    ("070-1234-5678", "+817012345678"),
    ("080-1234-5678", "+818012345678"),
    # not customer numbers
    ("0120-123-456", None),
    ("0120123456", None),
    ("0800-123-4567", None),
    ("0570-123-456", None),
    ("0570-01-2345", None),
    ("0990-123-456", None),
    ("020-1234-5678", None),
    # not phone numbers at all
    ("12345678901", None),  # an order number
    ("98765432101", None),
    ("123-4567-8901", None),
    ("090-1234-567", None),
    ("090-1234-56789", None),
    ("090-0123-4567", None),  # mobile third digit is 1-9
    ("0000-000-000", None),
    ("+1 415 555 0100", None),
    ("+44 20 7946 0958", None),
    ("090-1234-5678 ext 1", None),
    ("tel:090-1234-5678", None),
    ("", None),
    ("   ", None),
    ("-", None),
    ("abc", None),
    ("٠٩٠١٢٣٤٥٦٧٨", None),  # Arabic-Indic digits are not Japanese numbers
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_canonical(raw: str, expected: str | None) -> None:
    assert P.canonical(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_strict_agrees_on_examples(raw: str, expected: str | None) -> None:
    assert P.strict(raw) == expected
    assert library_e164(raw) == expected


# Area codes of every length (2-5 digits including the 0).
AREA_CODES = ["03", "06", "011", "045", "052", "092", "0422", "0467", "0597", "01267", "04992"]


def _landline(rnd: random.Random) -> str:
    area = rnd.choice(AREA_CODES)
    rest = 10 - len(area)
    exchange_len = rest - 4
    exchange = str(rnd.randint(2, 9)) + "".join(
        str(rnd.randint(0, 9)) for _ in range(exchange_len - 1)
    )
    return f"{area}-{exchange}-{rnd.randint(0, 9999):04d}"


def _mobile(rnd: random.Random) -> str:
    prefix = rnd.choice(["050", "060", "070", "080", "090"])
    return f"{prefix}-{rnd.randint(1, 9)}{rnd.randint(0, 999):03d}-{rnd.randint(0, 9999):04d}"


_FW = str.maketrans("0123456789-()+ ", "０１２３４５６７８９－（）＋\u3000")


def _formats(number: str, rnd: random.Random) -> list[str]:
    """One dashed domestic number in many written forms."""
    area, *rest = number.split("-")
    digits = number.replace("-", "")
    intl = digits[1:]
    dash = rnd.choice(["-", "ｰ", "ー", "−", "－", "‐", "―", "–"])
    return [
        number,
        digits,
        number.translate(_FW),
        digits.translate(_FW),
        dash.join(number.split("-")),
        number.replace("-", " "),
        f"({area}){rest[0]}-{rest[1]}",
        f"{area}({rest[0]}){rest[1]}",
        f"+81 {area[1:]} {rest[0]} {rest[1]}",
        f"+81-{area[1:]}-{rest[0]}-{rest[1]}",
        f"+81{intl}",
        f"0081-{area[1:]}-{rest[0]}-{rest[1]}",
        f"0081{intl}",
        f"81{intl}",
        f"+81 ({area[1:]}) {rest[0]}{dash}{rest[1]}".translate(_FW),
        f"{area}\u200b-{rest[0]}-{rest[1]}",
    ]


def test_canonical_equals_strict_for_thousands_of_generated_numbers() -> None:
    rnd = random.Random(20240601)
    checked = 0
    accepted = 0
    for i in range(1500):
        number = _landline(rnd) if i % 2 else _mobile(rnd)
        expected_e164 = library_e164(number)
        forms = _formats(number, rnd)
        for form in forms:
            fast = P.canonical(form)
            assert fast == library_e164(form) == P.strict(form), form
            assert fast == expected_e164, form
            checked += 1
        accepted += expected_e164 is not None
    assert checked >= 20_000
    # Nearly all generated numbers are valid (a few landline blocks are unassigned).
    assert accepted > 1200


def test_canonical_equals_strict_on_random_digit_strings() -> None:
    # Acceptance must agree in both directions, not only on valid numbers.
    rnd = random.Random(7)
    for _ in range(20_000):
        raw = "0" + "".join(rnd.choice("0123456789") for _ in range(rnd.choice([8, 9, 10, 11])))
        assert P.canonical(raw) == library_e164(raw) == P.strict(raw), raw


def test_output_is_a_fixed_point() -> None:
    for raw, expected in CASES:
        if expected is not None:
            assert P.canonical(expected) == expected
