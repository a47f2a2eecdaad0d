"""SPEC 4 steps 3-5: a primary match makes a row one record's row.

Where a record matched through a primary field (phone, e-mail, customer id),
other records matched in the same row only through supporting fields (a name
and kana shared with another customer) are coincidences and are not reported
from that row. Rows without any primary match keep their supporting-only
matches, at ``low``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints.fpset import FingerprintSet
from matchers.confidence import RANK, Confidence
from matchers.evidence import RecordEvidence, best_evidence, collect
from matchers.evidencecore import EvidenceColumns
from matchers.scan import Matcher
from matchers.shapes import RowCandidates
from tests.matchers.factories import Customer, build_set, make_customers

PRIMARY = frozenset({"phone", "email", "customer_id"})


@pytest.fixture(scope="module")
def people() -> dict[str, Customer]:
    a, b, c = make_customers(3, seed=41)
    # B and C are other customers with exactly A's name and kana (and C also
    # A's birth date): what a small name pool gives.
    b = replace(b, name=a.name, kana=a.kana)
    c = replace(c, name=a.name, kana=a.kana, birthdate=a.birthdate)
    return {"A": a, "B": b, "C": c}


@pytest.fixture(scope="module")
def same_name_matcher(
    tmp_path_factory: pytest.TempPathFactory, people: dict[str, Customer]
) -> Matcher:
    directory: Path = tmp_path_factory.mktemp("evidence") / "set"
    fpset: FingerprintSet = build_set(directory, list(people.values()))
    return Matcher(fpset)


def _cells(c: Customer, fields: tuple[str, ...]) -> list[str]:
    return [c.value(f) for f in fields]


# (rows as (customer, fields), expected {customer: confidence}) — one CSV document each.
TABLE: list[tuple[str, list[tuple[str, tuple[str, ...]]], dict[str, str]]] = [
    (
        # SPEC 12.1: a name every record of the set holds tells nothing (was high)
        "name+kana+phone of A: B and C share the name, only A is reported",
        [("A", ("name", "name_kana", "phone"))],
        {"A": "medium"},
    ),
    (
        "name+phone of A",
        [("A", ("name", "phone"))],
        {"A": "medium"},
    ),
    (
        # SPEC 12.1: name and birth date shared within the set (was high)
        "name+kana+birthdate+e-mail of A: C shares name, kana and birth date, still only A",
        [("A", ("name", "name_kana", "email", "birthdate"))],
        {"A": "medium"},
    ),
    (
        "name+kana without a primary: names alone name nobody",
        [("A", ("name", "name_kana"))],
        {},
    ),
    (
        "name+kana+birthdate without a primary: names and birth dates name nobody",
        [("A", ("name", "name_kana", "birthdate"))],
        {},
    ),
    (
        # SPEC 12.1: weak fields only stay low (was medium)
        "name+address without a primary: A from its address (low), B and C nothing",
        [("A", ("name", "address"))],
        {"A": "low"},
    ),
    (
        "name+kana of B's row with B's phone, then a name-only row: B only",
        [("B", ("name", "name_kana", "phone")), ("A", ("name",))],
        {"B": "medium"},  # SPEC 12.1: the shared name tells nothing (was high)
    ),
    (
        "phone of B beside the shared name, and A's phone in another row",
        [("B", ("name", "phone")), ("A", ("name_kana", "phone"))],
        {"A": "medium", "B": "medium"},
    ),
]


@pytest.mark.parametrize(("label", "rows", "expected"), TABLE, ids=[t[0] for t in TABLE])
def test_primary_match_owns_the_row(
    same_name_matcher: Matcher,
    people: dict[str, Customer],
    label: str,
    rows: list[tuple[str, tuple[str, ...]]],
    expected: dict[str, str],
) -> None:
    lines = [",".join(["id", *_cells(people[who], fields), "x"]) for who, fields in rows]
    # Filler rows so the layout is clearly CSV (and not a one-line document).
    filler = ["0,なし,なし,x", "1,なし,なし,x"]
    text = "\n".join([*filler, *lines, *filler]) + "\n"
    result = same_name_matcher.scan_text(text, name="dump.csv")
    got = {h.ref: h.confidence for h in result.record_hits}
    want = {people[who].ref: conf for who, conf in expected.items()}
    assert got == want, label


def test_same_in_a_tab_separated_dump_and_prose(
    same_name_matcher: Matcher, people: dict[str, Customer]
) -> None:
    a = people["A"]
    tsv = "\n".join(
        [
            "\t".join(["0", "なし", "x"]),
            "\t".join([a.name, a.kana, a.phone]),
            "\t".join(["1", "なし", "x"]),
        ]
    )
    got = {h.ref for h in same_name_matcher.scan_text(tsv + "\n").record_hits}
    assert got == {a.ref}
    prose = f"昨日の件ですが、{a.name}さん（{a.kana}）の連絡先は{a.phone}だそうです。よろしく。"
    got = {h.ref for h in same_name_matcher.scan_text(prose).record_hits}
    assert got == {a.ref}


def test_collect_drops_supporting_only_records_beside_a_primary_match() -> None:
    """The rule at the level of one row: records 1 and 2 share a name; 1 has the phone."""
    name, phone, date = (
        ("name", "山田太郎"),
        ("phone", "+819012345678"),
        ("birthdate", "1980-01-01"),
    )
    hits = {
        name: ((1, "name"), (2, "name")),
        phone: ((1, "phone"),),
        date: ((3, "birthdate"),),
    }
    with_phone = RowCandidates(1, [(name, 0), (phone, 1), (date, 2)])
    without = RowCandidates(2, [(name, 0), (date, 2)])
    ev = collect([with_phone], hits, PRIMARY)
    assert set(ev) == {1}
    assert ev[1].confidence == "medium" and ev[1].kinds == {"name", "phone"}
    # A row of names and birth dates only is no evidence of anyone.
    assert collect([without], hits, PRIMARY) == {}
    ev = collect([with_phone, without], hits, PRIMARY)
    assert {r: (e.confidence, e.line) for r, e in ev.items()} == {1: ("medium", 1)}
    assert ev[1].kinds == {"name", "phone"}


def test_collect_keeps_supporting_records_with_a_strong_field() -> None:
    """Without a primary match, a record counts from a field that is not a name, a
    birth date or a postal code (an address); the others in the row get nothing.
    SPEC 12.1: name + address are weak fields only, so low (was medium)."""
    name, addr, date = (
        ("name", "山田太郎"),
        ("address", "東京都千代田区1-1"),
        ("birthdate", "1980-01-01"),
    )
    hits = {name: ((1, "name"), (2, "name")), addr: ((1, "address"),), date: ((3, "birthdate"),)}
    ev = collect([RowCandidates(4, [(name, 0), (addr, 1), (date, 2)])], hits, PRIMARY)
    assert {r: (e.confidence, e.kinds) for r, e in ev.items()} == {
        1: ("low", frozenset({"name", "address"}))
    }


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(Confidence)), st.integers(1, 4),
                          st.integers(1, 6)), min_size=1, max_size=90))
def test_best_evidence_is_the_first_of_the_highest(keys: list[tuple[Confidence, int, int]]
                                                   ) -> None:
    """``best_evidence`` picks what ``max`` with the (level, fields, earliest line) key
    picks: among equals, the first one (a few records and many: two ways to it)."""
    evidence = [RecordEvidence(i, conf, nfields, line, i)
                for i, (conf, nfields, line) in enumerate(keys)]
    want = max(evidence, key=lambda e: (RANK[e.confidence], e.nfields, -e.line))
    assert best_evidence(evidence) is want
    columns = EvidenceColumns.of({e.record: e for e in evidence})
    assert evidence[columns.best()] is want


@pytest.mark.parametrize("seed", range(20))
def test_best_evidence_among_many_records(seed: int) -> None:
    """A hit-dense chunk's many records, with many ties at every key: the first of the
    highest, as with a few."""
    import random

    rnd = random.Random(seed)
    evidence = [RecordEvidence(i, rnd.choice(list(Confidence)[: 1 + seed % 4]),
                               rnd.randint(1, 3), rnd.randint(1, 40), i)
                for i in range(rnd.randint(33, 400))]
    want = max(evidence, key=lambda e: (RANK[e.confidence], e.nfields, -e.line))
    assert best_evidence(evidence) is want
    assert evidence[EvidenceColumns.of({e.record: e for e in evidence}).best()] is want
