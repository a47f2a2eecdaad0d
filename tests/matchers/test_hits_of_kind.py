"""``hits_of_kind``, the probe of a column of phone numbers or e-mail addresses
(issue 15): the positions of the values that hit and their answers, the same as
``probe`` of each pair gives, through the digest prober and a set with its canary
companions."""

from __future__ import annotations

from pathlib import Path

from fingerprints import native
from fingerprints.packed import PackedStrs
from matchers.companion import CompanionProber
from matchers.probe import DigestProber
from tests.matchers.factories import Customer, build_set, import_fields, make_customers


def _phone(c: Customer) -> str:
    return dict(import_fields(c))["phone"]


def test_hits_of_kind_is_probe_of_each_pair(tmp_path: Path) -> None:
    customers = make_customers(30, seed=3)
    canaries = make_customers(5, seed=4, prefix="K", avoid=customers)
    main = DigestProber(build_set(tmp_path / "main", customers))
    extra = DigestProber(build_set(tmp_path / "extra", canaries))
    values = [_phone(customers[4]), "+819000000000", _phone(canaries[2]), _phone(customers[0]),
              "+810000000000"]
    both = CompanionProber(main, [extra])
    for prober in (main, both):
        want = [(i, hits) for i, hits in enumerate(prober.probe([("phone", v) for v in values]))
                if hits]
        for core in (True, False):
            with native.use(core):
                for given in (values, PackedStrs.of(values)):
                    at, got = prober.hits_of_kind("phone", given)
                    assert list(zip(at, got, strict=True)) == want
    at, got = both.hits_of_kind("phone", values)
    assert at == [0, 2, 3]
    assert got[1] == ((main.record_count + 2, "phone"),)  # the canary's row follows the main's
    assert main.hits_of_kind("phone", values)[0] == [0, 3]
    assert main.hits_of_kind("fax", values) == ([], [])
    assert main.hits_of_kind("phone", []) == ([], [])
