"""Issue 12 point 5 / SPEC 12.1: precision where weak values are shared by hundreds.

A world of 900 customers whose names (with their kana) and birth dates come from
pools of three, and postal codes from a pool of five: every name and birth date is
shared by about 300 customers, every postal code by about 180 — as a large base
shares them with the country. Their phones, e-mails and addresses are their own.

* Strangers' rows, each field from a *different* customer and phones and e-mails
  nobody's, give no record above ``low``.
* Our customers' full rows give ``high``.
* A customer's phone + name among strangers' fields gives ``medium``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

import pytest

from matchers.scan import Matcher
from tests.matchers.factories import Customer, build_set, make_customers

N = 900
NAMES = (
    ("佐藤 花子", "サトウ ハナコ"),
    ("鈴木 一郎", "スズキ イチロウ"),
    ("高橋 健", "タカハシ ケン"),
)
BIRTHDATES = (dt.date(1980, 1, 2), dt.date(1975, 6, 30), dt.date(1990, 11, 11))
POSTALS = ("105-0011", "150-0002", "530-0001", "460-0008", "810-0001")
HEADER = "氏名,フリガナ,電話番号,メールアドレス,生年月日,郵便番号,住所"


@pytest.fixture(scope="module")
def world() -> list[Customer]:
    base = make_customers(N, seed=1212, landline_share=0.0)
    return [
        replace(c, name=NAMES[i % 3][0], kana=NAMES[i % 3][1], birthdate=BIRTHDATES[i // 3 % 3],
                postal=POSTALS[i % 5])
        for i, c in enumerate(base)
    ]


@pytest.fixture(scope="module")
def strangers(world: list[Customer]) -> list[Customer]:
    """People who are not customers: phones and e-mails nobody's."""
    return make_customers(300, seed=1213, prefix="X", landline_share=0.0, avoid=world)


@pytest.fixture(scope="module")
def matcher(tmp_path_factory: pytest.TempPathFactory, world: list[Customer]) -> Matcher:
    return Matcher(build_set(tmp_path_factory.mktemp("world") / "set", world))


def _row(name: Customer, kana: Customer, phone: Customer, email: Customer, birth: Customer,
         postal: Customer, address: Customer) -> str:
    return ",".join((name.name, kana.kana, phone.phone, email.email,
                     birth.birthdate.isoformat(), postal.postal, address.address))


def _stranger_rows(world: list[Customer], strangers: list[Customer], n: int) -> list[str]:
    rnd = random.Random(7)
    rows = []
    for i in range(n):
        a, b, c, d, e = rnd.sample(world, 5)  # five different customers
        s = strangers[i % len(strangers)]
        rows.append(_row(a, b, s, s, c, d, e))
    return rows


def test_strangers_rows_give_nothing_above_low(
    matcher: Matcher, world: list[Customer], strangers: list[Customer]
) -> None:
    text = "\n".join([HEADER, *_stranger_rows(world, strangers, 600)]) + "\n"
    result = matcher.scan_text(text, name="dump.csv")
    levels = {h.ref: h.confidence for h in result.record_hits}
    assert levels  # the addresses do name customers ...
    assert set(levels.values()) == {"low"}  # ... but only at low
    # Names, kana, birth dates and postal codes alone report nobody.
    for h in result.record_hits:
        assert "address" in h.fields and "address" in h.matched, h
        assert "address" in h.why and ("chance ≈" in h.why or "coincidence" in h.why)


def test_customers_full_rows_are_high_among_strangers(
    matcher: Matcher, world: list[Customer], strangers: list[Customer]
) -> None:
    planted = world[::30]
    rows = _stranger_rows(world, strangers, 300)
    for i, c in enumerate(planted):
        rows.insert(i * 9, _row(c, c, c, c, c, c, c))
    result = matcher.scan_text("\n".join([HEADER, *rows]) + "\n", name="dump.csv")
    levels = {h.ref: h.confidence for h in result.record_hits}
    assert {c.ref: levels.get(c.ref) for c in planted} == {c.ref: "high" for c in planted}
    assert {r for r, lvl in levels.items() if lvl != "low"} == {c.ref for c in planted}
    hit = next(h for h in result.record_hits if h.ref == planted[0].ref)
    assert hit.chance < 1e-9
    assert hit.why.startswith("phone + email + name")


def test_phone_and_name_among_strangers_fields_is_medium(
    matcher: Matcher, world: list[Customer], strangers: list[Customer]
) -> None:
    planted = world[5::45]
    rnd = random.Random(3)
    rows = _stranger_rows(world, strangers, 300)
    for i, c in enumerate(planted):
        others = [o for o in rnd.sample(world, 8) if o is not c][:4]
        s = strangers[i]
        # The customer's phone and name; everything else a stranger's or other
        # customers' (whose name, birth date or postal code this one may share).
        rows.insert(i * 13, _row(c, others[0], c, s, others[1], others[2], others[3]))
    result = matcher.scan_text("\n".join([HEADER, *rows]) + "\n", name="dump.csv")
    levels = {h.ref: h.confidence for h in result.record_hits}
    assert {c.ref: levels.get(c.ref) for c in planted} == {c.ref: "medium" for c in planted}
    assert {r for r, lvl in levels.items() if lvl != "low"} == {c.ref for c in planted}
    hit = next(h for h in result.record_hits if h.ref == planted[0].ref)
    assert hit.why.startswith("phone + name")
    assert set(hit.matched) >= {"phone", "name"}


def test_values_shared_by_hundreds_are_never_expanded(matcher: Matcher) -> None:
    """Issue 12 point 2: the probe answers a value held by more than POSTINGS_CAP
    records with its count only, so no row walks 300 postings."""
    from matchers.probe import POSTINGS_CAP, Common, hit_count

    name, birth, nobody = matcher.prober.probe(
        [("name", "佐藤花子"), ("birthdate", "1980-01-02"), ("name", "存在しない名前")]
    )
    assert isinstance(name, Common) and hit_count(name) == N // 3 > POSTINGS_CAP
    assert isinstance(birth, Common) and hit_count(birth) == N // 3
    assert list(name) == [] and bool(name)
    assert not nobody


def test_snippet_labels_common_values_and_shows_none(
    matcher: Matcher, world: list[Customer]
) -> None:
    """A name held by hundreds (never expanded) is still labelled in the snippet, and
    no value of the row appears in it."""
    c = world[42]
    result = matcher.scan_text("\n".join([HEADER, _row(c, c, c, c, c, c, c)]) + "\n",
                               name="dump.csv")
    assert "⟨name:" in result.snippet and "⟨phone⟩" in result.snippet
    for value in (c.name, c.kana, c.phone, c.email, c.address, c.postal):
        assert value not in result.snippet
