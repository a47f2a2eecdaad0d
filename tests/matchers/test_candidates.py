"""Candidate extraction, and agreement of scan-side and import-side canonical forms."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import pytest

from fingerprints import native
from fingerprints.keyed import Hasher
from fingerprints.kindconfig import import_fields
from fingerprints.normalizers import PhoneNormalizer, default_registry
from fingerprints.text import prepare
from matchers.prose import PROSE_SUBSTRING_CAP, prose_rows
from matchers.rows import detect_layout, split_rows
from matchers.scan import Matcher
from matchers.shapes import RowCandidates
from tests.fingerprints.phone_oracle import library_e164
from tests.matchers.factories import (
    KEY,
    Customer,
    address_variants,
    birthdate_variants,
    email_variants,
    kana_variants,
    name_variants,
    phone_variants,
    postal_variants,
)

HASHER = Hasher(KEY)
REG = default_registry()


def extracted(m: Matcher, text: str) -> set[tuple[str, str]]:
    """Every (kind, canonical) the matcher would digest for ``text``."""
    layout = detect_layout(text)
    rows: list[RowCandidates | None]
    if layout.kind == "prose":
        found, _ = prose_rows(m.extractor, prepare(text), lambda _pos: 1, 300)
        rows = list(found)
    else:
        rows = [m.extractor.table_row(row) for row in split_rows(text, layout)]
    return {pair for rc in rows if rc is not None for pair, _ in rc.found}


def digests(pairs: set[tuple[str, str]]) -> set[bytes]:
    return {HASHER.digest(k, v) for k, v in pairs}


def import_digest(kind: str, value: str) -> set[bytes]:
    if kind == "phone":
        strict = PhoneNormalizer().strict(value)
        assert strict is not None
        return {HASHER.digest("phone", strict)}
    return digests(set(REG.fields_for(kind, value)))


PHONE_TABLE = [
    ("電話:090-1234-5678です", "+819012345678"),
    ("０９０１２３４５６７８", "+819012345678"),
    ("TEL +81 90 1234 5678", "+819012345678"),
    ("(090)1234-5678", "+819012345678"),
    ("090ｰ1234ｰ5678", "+819012345678"),
    ("０９０ー１２３４ー５６７８", "+819012345678"),
    ("03-1234-5678 (代表)", "+81312345678"),
    ("03(1234)5678", "+81312345678"),
    ("0081-90-1234-5678", "+819012345678"),
    ("050-1234-5678", "+815012345678"),
]


@pytest.mark.parametrize(("text", "canonical"), PHONE_TABLE)
def test_phone_candidates(matcher: Matcher, text: str, canonical: str) -> None:
    got = [(k, c) for k, c, _s, _e in matcher.extractor.primaries(prepare(text))]
    assert got == [("phone", canonical)]


@pytest.mark.parametrize(
    "text",
    [
        "0120-123-456",
        "0570-000-111",
        "0800-123-4567",
        "12345678901234567",
        "注文番号 2024010112345",
        "taro09012345678@docomo.ne.jp",
        "C09012345678",
    ],
)
def test_not_phone_candidates(matcher: Matcher, text: str) -> None:
    got = matcher.extractor.primaries(prepare(text))
    assert [k for k, *_ in got if k == "phone"] == []


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("mail: Taro.Yamada@Example.CO.JP.", "Taro.Yamada@example.co.jp"),
        ("ＴＡＲＯ＠ＥＸＡＭＰＬＥ．ＪＰ", "TARO@example.jp"),
        ("taro..yamada.@docomo.ne.jp", "taro..yamada.@docomo.ne.jp"),
        ("連絡先はhanako_1985@ezweb.ne.jpまで", "hanako_1985@ezweb.ne.jp"),
    ],
)
def test_email_candidates(matcher: Matcher, text: str, canonical: str) -> None:
    got = matcher.extractor.primaries(prepare(text))
    assert ("email", canonical) in [(k, c) for k, c, _s, _e in got]


def test_phone_agreement_with_import_side_on_thousands_of_variants(
    matcher: Matcher, customers: list[Customer]
) -> None:
    """Scan-side fast rules == import-side phonenumbers validation, digest for digest."""
    rnd = random.Random(1)
    checked = 0
    for c in customers:
        want = import_digest("phone", c.phone)
        for v in phone_variants(c.phone):
            for text in (f"{v}\n", f"お電話は{v}まで。", f"{c.name},{v},x\n{c.name},{v},y\n"):
                got = {d for d in digests(extracted(matcher, text)) if d in want}
                assert got == want, (v, text)
                checked += 1
    # Random digit strings: the fast rule and phonenumbers accept the same numbers.
    fast = PhoneNormalizer()
    for _ in range(5000):
        n = rnd.choice((10, 11))
        digits = "0" + "".join(rnd.choice("0123456789") for _ in range(n - 1))
        assert fast.canonical(digits) == library_e164(digits) == fast.strict(digits), digits
        # The importer's own path (fast rule + phonenumbers' metadata patterns).
        assert [c for _k, c in import_fields(REG, "phone", digits)] == (
            [fast.strict(digits)] if fast.strict(digits) else []
        ), digits
        checked += 1
    assert checked > 10_000


def test_supporting_agreement_with_import_side(matcher: Matcher, customers: list[Customer]) -> None:
    """Dates, names, kana, postal codes, addresses, e-mails written many ways."""
    variants: dict[str, Callable[[Customer], list[str]]] = {
        "birthdate": lambda c: birthdate_variants(c.birthdate),
        "name": lambda c: name_variants(c.name),
        "name_kana": lambda c: kana_variants(c.kana),
        "postal_code": lambda c: postal_variants(c.postal),
        "address": lambda c: address_variants(c.address),
        "email": lambda c: email_variants(c.email),
    }
    checked = 0
    for c in customers:
        for kind, make in variants.items():
            want = import_digest(kind, c.value(kind))
            for v in make(c):
                # A cell of a table whose other column is a phone number.
                text = f"{c.phone}\t{v}\n{c.phone}\t{v}\n"
                assert want <= digests(extracted(matcher, text)), (kind, v)
                checked += 1
    assert checked > 5000


def test_random_dates_agree(matcher: Matcher) -> None:
    rnd = random.Random(2)
    start = dt.date(1930, 1, 1).toordinal()
    for _ in range(1500):
        d = dt.date.fromordinal(start + rnd.randrange(30000))
        want = import_digest("birthdate", d.isoformat())
        for v in birthdate_variants(d):
            assert want <= digests(extracted(matcher, f"090-1234-5678,{v}\n080-1234-5678,{v}\n"))
            prose = f"電話090-1234-5678、生年月日は{v}です。"
            assert want <= digests(extracted(matcher, prose)), v


def test_unspaced_names_in_prose(matcher: Matcher, customers: list[Customer]) -> None:
    for c in customers[:100]:
        text = f"顧客の{c.name.replace(' ', '')}様（{c.kana}）電話は{c.phone}です。"
        got = extracted(matcher, text)
        assert set(REG.fields_for("name", c.name)) <= got
        assert set(REG.fields_for("name_kana", c.kana)) <= got


def test_prose_work_is_bounded(matcher: Matcher) -> None:
    """A wall of kanji around one phone number: the substrings tried are capped."""
    text = "電話090-1234-5678 " + "漢字" * 5000
    rows, _ = prose_rows(matcher.extractor, prepare(text), lambda _p: 1, 300)
    assert len({pair for rc in rows for pair, _ in rc.found}) <= PROSE_SUBSTRING_CAP + 1


def test_the_matcher_reads_cjk_as_the_normalizers_do() -> None:
    """One character class for both sides (fingerprints.normalizers.base), so a
    supplementary-plane kanji such as 𠮷 (U+20BB7) counts as kanji in cells and prose."""
    from fingerprints.normalizers.base import is_cjk
    from matchers.shapes import CJK_RE

    for c in ("𠮷", "山", "ヤ", "や", "々", "A", "1", "\u3000", "ｱ"):
        assert (CJK_RE.search(c) is not None) == is_cjk(c), c
    assert CJK_RE.search("𠮷") is not None


@pytest.mark.parametrize("native_core", [True, False])
@pytest.mark.parametrize("cell", ["\u200b", "\ufeff", " \u200b\u200d ", "\u2060"])
def test_a_cell_of_zero_width_characters_gives_nothing(
    matcher: Matcher, customers: list[Customer], cell: str, native_core: bool
) -> None:
    """A cell holding only zero-width characters (a BOM, U+200B: common in pasted
    tables) is empty once prepared; it once stopped the scan with an IndexError."""
    c = customers[0]
    text = f"氏名,電話番号,住所\n{c.name},{c.phone},{cell}\n{cell},{cell},{cell}\n"
    with native.use(native_core):
        assert matcher.extractor.cell(cell, None) == ((), 0, "")
        assert matcher.extractor.cell(cell, "address") == ((), 0, "")
        got = matcher.scan_text(text)
    assert [h.ref for h in got.record_hits] == [c.ref]
