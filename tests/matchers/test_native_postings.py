"""The native ``postings`` (``fingerprints/_postings.c``) against the Python loop of
``DigestProber._found`` (issue 15): the same answers, record by record, for values held
by one record, by a few, and by more than ``POSTINGS_CAP`` (a ``Common`` answer)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from fingerprints import native
from matchers.probe import POSTINGS_CAP, Common, DigestProber
from tests.matchers.factories import build_set, import_fields, make_customers

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")


def test_native_postings_give_the_reference_answers(tmp_path: Path) -> None:
    customers = make_customers(120, seed=5)
    # a birth date and a postal code shared beyond the cap, a name by a few
    shared = dt.date(1980, 1, 2)
    customers = [
        dataclasses.replace(c, birthdate=shared if i < POSTINGS_CAP + 8 else c.birthdate,
                            postal="105-0011" if i % 2 else c.postal,
                            name="山田 太郎" if i % 30 == 0 else c.name)
        for i, c in enumerate(customers)
    ]
    fpset = build_set(tmp_path / "set", customers)
    pairs = list(dict.fromkeys(
        pair for c in customers[:60] for pair in import_fields(c)
    )) + [("phone", "+819000000000"), ("name", "誰でもない"), ("nokind", "x")]
    got = []
    for core in (True, False):
        with native.use(core):
            got.append(DigestProber(fpset).probe(pairs))
    assert got[0] == got[1]
    assert [type(h) for h in got[0]] == [type(h) for h in got[1]]
    commons = [h for h in got[0] if isinstance(h, Common)]
    assert commons and all(h.records > POSTINGS_CAP for h in commons)
    assert [(h.kind, h.records, h.key) for h in commons] == [
        (h.kind, h.records, h.key) for h in got[1] if isinstance(h, Common)]
    assert any(len(h) > 1 for h in got[0] if type(h) is tuple)
    assert got[0][-3:] == [(), (), ()]
