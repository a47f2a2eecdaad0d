"""postal_code: 7 digits."""

from __future__ import annotations

import pytest

from fingerprints.normalizers import PostalCodeNormalizer

Z = PostalCodeNormalizer()

CASES = [
    ("〒105-0011", "1050011"),
    ("〒１０５－００１１", "1050011"),
    ("105ｰ0011", "1050011"),
    ("105ー0011", "1050011"),
    ("105−0011", "1050011"),
    ("1050011", "1050011"),
    ("105-0011", "1050011"),
    ("〶1050011", "1050011"),
    ("〒 105-0011", "1050011"),
    ("〒105 0011", "1050011"),
    ("郵便番号 105-0011", "1050011"),
    ("郵便番号：105-0011", "1050011"),
    ("  105-0011 ", "1050011"),
    ("105\u200b-0011", "1050011"),
    # rejected
    ("105 0011", None),  # a space is only believed after a postal marker
    ("105-001", None),
    ("10500111", None),
    ("1050-011", None),
    ("〒", None),
    ("090-1234-5678", None),
    ("abc-defg", None),
    ("", None),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_canonical(raw: str, expected: str | None) -> None:
    assert Z.canonical(raw) == expected
    if expected is not None:
        assert Z.canonical(expected) == expected
