"""SPEC 4 step 5 and 12.1, table-driven: record level, bulk, finding confidence."""

from __future__ import annotations

import math

import pytest

from matchers.chance import explain, record_level
from matchers.confidence import finding_confidence, is_bulk

PRIMARY = frozenset({"phone", "email", "customer_id"})

M = 1_000_000

# SPEC 12.1 (rewritten from the SPEC 4.5 counting rule "two fields = medium"):
# (kind -> records sharing the matched value, records in the set, level).
RECORD_CASES: list[tuple[dict[str, int], int, str]] = [
    # one field (group) only
    ({"phone": 1}, M, "low"),
    ({"email": 1}, M, "low"),
    ({"address": 1}, M, "low"),
    ({"name_folded": 1}, M, "low"),
    ({"name": 1, "name_kana": 1, "name_folded": 1}, M, "low"),  # one person's name, once
    ({"address": 1, "postal_code": 300}, M, "low"),  # the postal code follows the address
    # only weak fields: a namesake, a household
    ({"name": 1, "address": 1, "birthdate": 40}, M, "low"),
    ({"name": 500, "name_kana": 600, "birthdate": 40}, M, "low"),
    ({"name_kana": 2, "birthdate": 1, "address": 1}, M, "low"),
    # a folded-only name counts only beside a primary
    ({"address": 1, "name_folded": 1}, M, "low"),
    ({"phone": 1, "name_folded": 1}, M, "medium"),
    # phone or e-mail + one more field group: at least medium
    ({"phone": 1, "address": 1}, M, "medium"),
    ({"phone": 1, "name": 500}, M, "medium"),  # 4e-6 by the estimate: the rule lifts it
    ({"phone": 1, "name": 500, "name_kana": 600}, M, "medium"),
    ({"email": 1, "birthdate": 40}, M, "medium"),
    ({"phone": 1, "name": 1}, 20_000, "medium"),
    # independent rare evidence: high
    ({"phone": 1, "email": 1}, M, "high"),
    ({"phone": 1, "name": 500, "birthdate": 40}, M, "high"),
    ({"phone": 1, "name_folded": 1, "birthdate": 40}, M, "high"),
    ({"phone": 1, "name": 1, "birthdate": 1}, 20_000, "high"),
    ({"email": 1, "name_kana": 3, "address": 1}, M, "high"),
    # a customer id is no phone: with a common name it stays low
    ({"customer_id": 1, "name": 500}, M, "low"),
    ({"customer_id": 1, "name": 1, "birthdate": 40}, M, "high"),
]


@pytest.mark.parametrize(("counts", "records", "expected"), RECORD_CASES)
def test_record_level(counts: dict[str, int], records: int, expected: str) -> None:
    assert record_level(counts, records, PRIMARY)[0] == expected


def test_thresholds_are_the_documented_chances() -> None:
    # phone + a name held by 10 of 1M customers: 1e6 * 8e-9 * 1e-5 = 8e-8
    level, lc = record_level({"phone": 1, "name": 10}, M, PRIMARY)
    assert level == "medium" and lc == pytest.approx(math.log10(8e-8))
    # ... + a birth date held by 40: 8e-8 * 4e-5 = 3.2e-12
    level, lc = record_level({"phone": 1, "name": 10, "birthdate": 40}, M, PRIMARY)
    assert level == "high" and lc == pytest.approx(math.log10(3.2e-12))
    assert record_level({"phone": 1, "address": 1}, M, PRIMARY)[1] == pytest.approx(
        math.log10(8e-9)
    )


def test_explanation_names_kinds_and_chance() -> None:
    assert explain({"phone", "name"}, -9.2) == "phone + name: chance ≈ 1 in 10⁹"
    assert explain({"name_folded", "email"}, -12.0) == "email + name: chance ≈ 1 in 10¹²"
    assert explain({"address"}, 0.0) == "address: a coincidence is likely"
    assert explain(frozenset({"address"}), 0.7) == "address: a coincidence is likely"
    assert explain(["phone"], -0.6) == "phone: chance ≈ 1 in 10¹"


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
