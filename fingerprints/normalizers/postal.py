"""Japanese postal codes → 7 digits."""

from __future__ import annotations

import re
from typing import ClassVar

from fingerprints import native
from fingerprints.normalizers.base import Normalizer, Role
from fingerprints.text import prepare

__all__ = ["PostalCodeNormalizer"]

_MARKER = re.compile(r"(?:〒|〶|〠|郵便番号|郵便|zip(?:code)?|postal(?:code)?)[:\s]*", re.I)
_PLAIN = re.compile(r"([0-9]{3})-?([0-9]{4})")
# A space between the halves is only believed after a postal marker.
_AFTER_MARKER = re.compile(r"([0-9]{3})[-\s]?([0-9]{4})")


class PostalCodeNormalizer(Normalizer):
    """``〒105-0011``, ``〒１０５－００１１``, ``105ｰ0011``, ``〶1050011`` → ``1050011``."""

    kind: ClassVar[str] = "postal_code"
    builtin: ClassVar[bool] = True
    order: ClassVar[int] = 90
    role: ClassVar[Role] = Role.WEAK
    headers: ClassVar[tuple[str, ...]] = (
        "郵便番号",
        "〒",
        "郵便",
        "zip",
        "zip code",
        "zipcode",
        "postal code",
        "postal_code",
        "postcode",
        "post code",
    )
    display: ClassVar[str] = "postal code"
    display_ja: ClassVar[str] = "郵便番号"
    group: ClassVar[str | None] = "place"
    prior: ClassVar[float] = 8e-6  # a 7-digit code covers ~1,000 people

    def canonical(self, value: str) -> str | None:
        core = native.CORE
        if core is not None:
            done = core.canon_postal(prepare(value))
            if done is not NotImplemented:
                return done
        s = prepare(value).strip()
        marker = _MARKER.match(s)
        m = _AFTER_MARKER.fullmatch(s, marker.end()) if marker else _PLAIN.fullmatch(s)
        return None if m is None else m[1] + m[2]
