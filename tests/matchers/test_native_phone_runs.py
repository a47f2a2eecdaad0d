"""The native phone runs of prose (``phone_runs``, ``fingerprints/_native_phone_runs.h``)
against their Python reference (``DIGIT_RUN_RE`` and ``fields(PHONE, run)`` in
``matchers.primaries.PrimarySearch``, issue 15).

Prose is generated as leaks and posts write it: phone numbers in domestic and
international forms with every separator, neighbours run together by spaces or dots,
numbers glued to letters, ``@`` or ``-``, over-long runs, Japanese text around them.
The runs (positions) must be those of ``DIGIT_RUN_RE.finditer`` that are not followed
by ``@``, and the primary candidates the same, in the same order, as the pure-Python
search gives.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.normalizers import KindRegistry, default_registry
from fingerprints.normalizers.phone import FIXED_PREFIXES, PhoneNormalizer
from matchers.candidates import Extractor
from matchers.primaries import PrimarySearch
from matchers.shapes import DIGIT_RUN_RE, PHONE, KindPlan
from tests.matchers.factories import PLAN_LENGTHS, PLAN_PRIMARY

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

_TOKENS = st.sampled_from([
    "090-1234-5678", "09012345678", "080 1234 5678", "0312345678", "03-1234-5678",
    "(03)1234-5678", "03(1234)5678", "+81 90 1234 5678", "+81-3-1234-5678", "+(81)312345678",
    "81312345678", "0081312345678", "01081312345678", "0120-123-456", "0570-123-456",
    "020-1234-5678", "0990123456", "1234567890", "0312345678901234567", "0", "7", "12",
    "+", "(", ")", "-", ".", " ", "  ", "@", "a", "Z", "_", "\n", "、", "連絡先は", "電話",
    "さんから問い合わせ。", "docomo.ne.jp", "1985.04.01", "0312345678 19850401",
])


def _search(native_phone: bool) -> PrimarySearch:
    return PrimarySearch(default_registry().fields_for, phone=True, email=False,
                         customer_id=None, custom={}, native_phone=native_phone)


def _phones(search: PrimarySearch, text: str) -> list[tuple[str, str, int, int]]:
    out: list[tuple[str, str, int, int]] = []
    search._phones(text, out)
    return out


@given(st.one_of(st.text(alphabet="0123456789+()-. a_@電\n", max_size=60),
                 st.lists(_TOKENS, max_size=30).map("".join)))
@settings(max_examples=1500, deadline=None)
@example("+(0312345678")
@example("a0312345678 +0312345678 (0312345678 -0312345678 0312345678@x")
@example("連絡先は090-1234-5678、折り返し希望。")
def test_runs_and_candidates_as_the_reference(text: str) -> None:
    with native.use(True):  # (LEAKPRINT_PURE_PYTHON=1 only unselects it)
        core = native.CORE
        assert core is not None
        runs = core.phone_runs(text, FIXED_PREFIXES)
        native_phones = _phones(_search(True), text)
    assert [(s, e) for s, e, _c in runs] == [
        m.span() for m in DIGIT_RUN_RE.finditer(text) if not text.startswith("@", m.end())
    ]
    with native.use(False):
        assert native_phones == _phones(_search(True), text)


@pytest.mark.parametrize(("text", "expected"), [
    ("090-1234-5678", [(0, 13, "+819012345678")]),
    ("tel (03)1234-5678.", [(4, 17, "+81312345678")]),
    ("０９０は前処理で: 09012345678", [(10, 21, "+819012345678")]),
    # International forms, made domestic as phone.py's _domestic does.
    ("+81 90 1234 5678", [(0, 16, "+819012345678")]),
    ("81312345678", [(0, 11, "+81312345678")]),
    ("0081-3-1234-5678", [(0, 16, "+81312345678")]),
    # Left to the Python rules: invalid or over-long numbers.
    ("+0312345678", [(0, 11, None)]),
    ("0120123456", [(0, 10, None)]),
    ("0312345678901234567", [(0, 19, None)]),
    # Not runs: glued to a letter or a dash, followed by '@', too short.
    ("a0312345678", []), ("-0312345678", []), ("0312345678@docomo.ne.jp", []),
    ("031234567", []),
])
def test_phone_runs_cases(text: str, expected: list[tuple[int, int, str | None]]) -> None:
    with native.use(True):
        core = native.CORE
    assert core is not None
    assert core.phone_runs(text, FIXED_PREFIXES) == expected


def test_another_phone_normalizer_keeps_the_python_rules() -> None:
    class Stricter(PhoneNormalizer):
        def canonical(self, value: str) -> str | None:
            return None

    registry = KindRegistry()  # (not the shared default_registry())
    registry._by_kind[PHONE] = Stricter()
    plan = KindPlan(PLAN_LENGTHS, PLAN_PRIMARY)
    with native.use(True):
        assert Extractor(registry, plan).primaries("090-1234-5678") == []
        assert Extractor(default_registry(), plan).primaries("090-1234-5678") == [
            (PHONE, "+819012345678", 0, 13)
        ]
