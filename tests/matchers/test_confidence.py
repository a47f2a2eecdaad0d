"""SPEC 4 step 5, table-driven: record confidence, bulk, finding confidence."""

from __future__ import annotations

import pytest

from matchers.confidence import finding_confidence, is_bulk, record_confidence

PRIMARY = frozenset({"phone", "email", "customer_id"})

RECORD_CASES = [
    # one field only
    ({"phone"}, "low"),
    ({"email"}, "low"),
    ({"address"}, "low"),
    ({"name", "name_folded"}, "low"),
    # only folded name forms
    ({"name_folded"}, "low"),
    # two fields of one record / primary + one supporting
    ({"phone", "email"}, "medium"),
    ({"phone", "address"}, "medium"),
    ({"phone", "name", "name_folded"}, "medium"),
    ({"address", "postal_code"}, "medium"),
    ({"name", "name_folded", "address"}, "medium"),
    # folded-only name counts only beside a primary
    ({"phone", "name_folded"}, "medium"),
    ({"address", "name_folded"}, "low"),
    ({"phone", "name_folded", "birthdate"}, "high"),
    # primary + two supporting, or three fields
    ({"phone", "name", "name_folded", "birthdate"}, "high"),
    ({"email", "address", "postal_code"}, "high"),
    ({"phone", "email", "customer_id"}, "high"),
    ({"name", "name_folded", "address", "postal_code"}, "high"),
    # names and birth dates alone never above low
    ({"name", "name_folded", "birthdate"}, "low"),
    ({"name", "name_folded", "name_kana"}, "low"),
    ({"name", "name_folded", "name_kana", "birthdate"}, "low"),
    ({"name_kana", "birthdate"}, "low"),
    # ... but with an address they are fields like any other
    ({"name_kana", "birthdate", "address"}, "high"),
]


@pytest.mark.parametrize(("kinds", "expected"), RECORD_CASES)
def test_record_confidence(kinds: set[str], expected: str) -> None:
    assert record_confidence(kinds, PRIMARY) == expected


BULK_CASES = [
    # (medium+, primary records, matched primary candidates, primary candidates, bulk)
    (10, 0, 0, 0, True),
    (9, 0, 0, 0, False),
    (0, 20, 20, 40, True),  # exactly half
    (0, 20, 20, 41, False),  # under half: a random list that contains some of ours
    (0, 19, 19, 19, False),  # too few records
    (0, 500, 500, 100_000, False),  # big random phone list
    (0, 20, 40, 80, True),  # phone + e-mail per record
]


@pytest.mark.parametrize(("medium", "records", "matched", "total", "bulk"), BULK_CASES)
def test_bulk(medium: int, records: int, matched: int, total: int, bulk: bool) -> None:
    assert (
        is_bulk(
            medium_or_above_records=medium,
            primary_records=records,
            matched_primary_candidates=matched,
            primary_candidates=total,
        )
        is bulk
    )


@pytest.mark.parametrize(
    ("levels", "bulk", "expected"),
    [
        ([], False, None),
        (["low", "low"], False, "low"),
        (["low", "medium"], False, "medium"),
        (["low", "high", "medium"], False, "high"),
        (["low"], True, "high"),
        (["medium"], True, "high"),
    ],
)
def test_finding_confidence(levels: list[str], bulk: bool, expected: str | None) -> None:
    assert finding_confidence(levels, bulk=bulk) == expected
