"""A prose window none of a pattern's guards matches holds no match of the pattern
(matchers.prose skips the pattern's loop there): the guards change no result."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from matchers.prose import (
    _ADDRESS_GUARDS,
    _ADDRESS_START,
    _DATE_GUARDS,
    _POSTAL_GUARDS,
    DATE_RE,
    _may_match,
    address_matches,
)
from matchers.shapes import POSTAL_RE

CASES = {
    "date": (DATE_RE, _DATE_GUARDS),
    "postal": (POSTAL_RE, _POSTAL_GUARDS),
    "address": (_ADDRESS_START, _ADDRESS_GUARDS),
}
PIECES = ["明治", "大正", "昭和", "平成", "令和", "元", "年", "月", "日", "M", "T.", "S", "H", "R",
          "a", "19", "20", "0", "1", "2", "9", "12", "1985", "-", ".", "/", " ", "\u3000", "〒",
          "〶", "郵便番号", ":", "：", "北海道", "東京都", "京都", "大阪", "府", "県", "神奈川",
          "横浜市", "、", "。", "(", "<", "\n", "山", "ー", "x", "100", "0001", "123-4567"]
texts = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
MATCHING = ["昭和60年4月1日", "H1.2.3", "S60/4/1", "1985年4月1日", "1985-4-1", "19850401",
            "〒100-0001", "郵便番号：100 0001", "100-0001", "東京都千代田区1", "神奈川県横浜市",
            "a19850401b"]


@pytest.mark.parametrize("kind", sorted(CASES))
@given(text=texts)
@settings(max_examples=3000, deadline=None)
def test_no_guard_no_match(kind: str, text: str) -> None:
    pattern, guards = CASES[kind]
    assert _may_match(guards, text) or pattern.search(text) is None


@pytest.mark.parametrize("text", MATCHING)
def test_a_match_passes_its_guards(text: str) -> None:
    found = [kind for kind, (pattern, guards) in CASES.items() if pattern.search(text)]
    assert found  # the example holds something
    for kind in found:
        assert _may_match(CASES[kind][1], text)


def test_guards_are_not_everywhere() -> None:
    """A post of phone numbers and chatter passes none of them (what they are for)."""
    post = "山田 太郎さん 電話 090-2248-9001 よろしく\n田中さん 09055747176 +81 70 2668 2307 20:30"
    for _pattern, guards in CASES.values():
        assert not _may_match(guards, post)
    assert re.search("[0-9]", post)


@given(text=texts | st.lists(st.sampled_from(
    ["県", "北海道", "東京都", "京都", "府", "大阪", "山", "田", "川", "あ", "、", " ", "1",
     "東京都府", "京都府", "県県", "神奈川"]), max_size=40).map("".join))
@settings(max_examples=3000, deadline=None)
def test_address_matches_are_finditers(text: str) -> None:
    """Trying the address pattern only at prefecture words and before 県 finds the
    matches finditer finds (same starts, same text)."""
    got = [(m.start(), m.group()) for m in address_matches(text)]
    assert got == [(m.start(), m.group()) for m in _ADDRESS_START.finditer(text)]


# --------------------------------------------------------------- the native guards

BITS = {"date": 1, "postal": 2, "address": 4}
# Pieces around each guard's edges: separators, white space of several kinds, digit
# runs of every length near the guards' counts, the marks, other digits (full-width
# and Arabic-Indic, which [0-9] does not match), code points either side of 0x3000.
EDGE_PIECES = [*PIECES, "郵便番", "便番号", "〒 ", "\t", "\u2003", "\u3000", "０", "٣", "-",
                        "--", "1-", "123", "1234", "12345", "123456", "1234567", "19", "20",
                        "199", "2001", "月", "月1", "/1/", ".12.", "\u2fff", "\u3001", "北海",
                        "海道", "東京", "阪府", "大阪府"]
edge_texts = st.lists(st.sampled_from(EDGE_PIECES), max_size=40).map("".join)
any_texts = st.text(alphabet=st.sampled_from("0123456789-./ :：〒〶郵便番号月県北海道東京都府大阪"
                                             "\u3000\t\nx١"), max_size=60)


def _reference_bits(text: str) -> int:
    return sum(bit for kind, bit in BITS.items() if _may_match(CASES[kind][1], text))


@pytest.mark.skipif(not native.available(), reason="native core not built")
@given(text=texts | edge_texts | any_texts)
@settings(max_examples=5000, deadline=None)
def test_native_guards_are_the_patterns(text: str) -> None:
    from fingerprints import _native  # type: ignore[attr-defined]

    assert _native.prose_guards(text) == _reference_bits(text)


@pytest.mark.skipif(not native.available(), reason="native core not built")
@pytest.mark.parametrize("text", [*MATCHING, "", "山田 太郎さん 電話 090-2248-9001 よろしく",
                                  "〒1000001", "郵便番号：\u3000100-0001", "a-123-4567",
                                  "123-4567-", "x123-4567", "1919999999", "019990101",
                                  "月", "1.2", "県" * 3, "大阪府" + "1" * 500])
def test_native_guards_on_examples(text: str) -> None:
    from fingerprints import _native  # type: ignore[attr-defined]

    assert _native.prose_guards(text) == _reference_bits(text)
