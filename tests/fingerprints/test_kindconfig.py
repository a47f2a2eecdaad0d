"""The import side's fast phone validation agrees with phonenumbers itself."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from fingerprints.kindconfig import registry_from_config
from fingerprints.normalizers import (
    CustomerIdNormalizer,
    KindRegistry,
    PhoneNormalizer,
    RegexNormalizer,
)

CUSTOMER_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.VOIP,
}


def test_valid_phone_agrees_with_number_type_on_thousands_of_numbers() -> None:
    rng = random.Random(5)
    prefixes = [
        "90",
        "80",
        "70",
        "60",
        "50",
        "3",
        "6",
        "11",
        "52",
        "466",
        "4992",
        "120",
        "800",
        "570",
        "990",
        "20",
        "1",
        "99",
    ]
    for _ in range(5000):
        prefix = rng.choice(prefixes)
        national = prefix + "".join(
            rng.choice("0123456789") for _ in range(10 - len(prefix) + rng.choice([0, 1]))
        )
        number = phonenumbers.PhoneNumber(country_code=81, national_number=int(national))
        expected = phonenumbers.number_type(number) in CUSTOMER_TYPES
        assert PhoneNormalizer().valid(f"+81{national}") == expected, national


@pytest.mark.parametrize(
    "registry",
    [
        KindRegistry(),
        KindRegistry(customer_id=CustomerIdNormalizer(r"[A-Z]{2}\d{8}", "luhn")),
        KindRegistry(custom=[RegexNormalizer("line_id", r"[A-Z0-9]{10}")]),
    ],
)
def test_registry_round_trips_through_the_manifest_config(registry: KindRegistry) -> None:
    rebuilt = registry_from_config(registry.config())
    assert rebuilt.config() == registry.config()
    assert rebuilt.kinds() == registry.kinds()
