"""The ``phonenumbers`` library itself as the oracle of the phone tests.

``PhoneNormalizer.strict`` is ``canonical`` plus the import's check against the
library's JP metadata, so it cannot be its own witness: the agreement tests compare
both with a full ``phonenumbers.parse`` (what ``strict`` did before issue 13).
"""

from __future__ import annotations

import phonenumbers

from fingerprints.normalizers.phone import _compact, _domestic

ACCEPTED_TYPES = frozenset({
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.VOIP,
})


def library_e164(value: str) -> str | None:
    """E.164 of a customer's Japanese number by ``phonenumbers``, or ``None``.

    ``0081``/``81``/``010 81`` prefixes are rewritten to ``+81`` first because the
    library does not treat ``0081`` as an international prefix.
    """
    compact = _compact(value)
    if compact is None:
        return None
    domestic = _domestic(*compact)
    if domestic is None:
        return None
    try:
        number = phonenumbers.parse(domestic, "JP")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 81 or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in ACCEPTED_TYPES:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
