"""The native ``kind_cells`` (``fingerprints/_native_kind_cells.h``): the cells of a name,
kana, birth date or postal code column that ``Extractor._hinted`` decides by the
kind's canonical form alone. A cell it decides must get exactly what the Python path
gives it (a name with its folded form too); a cell it cannot decide goes back to the
Python path (``rest``), never a different answer. (As ``test_address_cells.py`` does
for addresses.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.normalizers import KindRegistry, default_registry
from fingerprints.normalizers.kana import NameKanaNormalizer
from fingerprints.normalizers.name import fold_name
from matchers.candidates import _NATIVE_CANON, Extractor
from matchers.shapes import KindPlan
from tests.matchers.factories import PLAN_LENGTHS, PLAN_PRIMARY, Customer, plan_extractor, vary

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

KINDS = ("name", "name_kana", "birthdate", "postal_code")


@pytest.fixture
def core() -> Iterator[native.NativeCore]:
    with native.use(True):
        assert native.CORE is not None
        yield native.CORE


def _python(values: list[str], kind: str) -> dict[str, object]:
    """What the Python path (no native core) finds in each value of a column of ``kind``."""
    with native.use(False):
        return dict(plan_extractor().cells(values, kind))


def _check(core: native.NativeCore, values: list[str], kind: str
           ) -> tuple[dict[str, object], list[str]]:
    name = kind == "name"
    decided, rest = core.kind_cells(values, kind, 800, getattr(core, _NATIVE_CANON[kind][1]),
                                    fold_name if name else None,
                                    "name_folded" if name else None)
    want = _python(values, kind)
    assert sorted([*decided, *rest]) == sorted(values)
    for value, res in decided.items():
        assert want.get(value) == res, value
    return decided, rest


_NOISE = st.text(alphabet=st.sampled_from(
    "0123456789０１２-ー－/年月日昭和平成令和元〒@＠ 　\u200b\nやまだタロウｶﾅ山田髙﨑太郎・.'"
    "々ゞABCé😀"), max_size=20)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 199), st.integers(0, 63)), max_size=10),
       st.lists(_NOISE, max_size=20), st.sampled_from(KINDS))
def test_decided_cells_get_what_python_gives(
    customers: list[Customer], picks: list[tuple[int, int]], noise: list[str], kind: str,
) -> None:
    values = list(dict.fromkeys([vary(customers[i], k)[kind] for i, k in picks] + noise))
    with native.use(True):
        assert native.CORE is not None
        _check(native.CORE, values, kind)


@pytest.mark.parametrize(("kind", "cell", "decided"), [
    ("name", "山田 太郎", True),
    ("name", "髙橋　花子", True),                    # folded: 高橋花子
    ("name", "髙﨑 花子", False),                     # U+FA11: C does not prepare it
    ("name", "やまだ", True),
    ("name", "山田1", False),                        # a digit: not a name
    ("name", "山田😀", False),                       # a character C does not prepare
    ("name", "山田\n太郎", False),                   # a line break inside
    ("name", "a@b.jp", False),                       # '@'
    ("name", "", False),
    ("name_kana", "ヤマダ タロウ", True),
    ("name_kana", "ヤマダ　タロウ", True),
    ("name_kana", "ﾔﾏﾀﾞ ﾀﾛｳ", True),                # half-width, with its marks
        ("name_kana", "ｱﾞ", False),                      # a mark on nothing: left to Python
    ("name_kana", "山田", False),
    ("birthdate", "1985/04/01", True),
    ("birthdate", "昭和60年4月1日", True),
    ("birthdate", "S60.4.1", True),
    ("birthdate", "1985/02/30", False),
    ("birthdate", "0312345678", False),              # ten digits: left to Python
    ("postal_code", "〒105-0011", True),
    ("postal_code", "1050011", True),
    ("postal_code", "105-001", False),
])
def test_kind_cells_table(core: native.NativeCore, kind: str, cell: str, decided: bool) -> None:
    got, rest = _check(core, [cell], kind)
    assert (cell in got) is decided
    assert (cell in rest) is not decided


def test_a_name_gets_its_folded_form(core: native.NativeCore) -> None:
    got, _rest = _check(core, ["齋藤 一", "髙橋 花子"], "name")
    assert got["髙橋 花子"] == ((("name", "髙橋花子"), ("name_folded", "高橋花子")), 0, "name")
    assert got["齋藤 一"] == ((("name", "齋藤一"), ("name_folded", "斎藤一")), 0, "name")


def test_another_normalizer_keeps_the_python_rules() -> None:
    class Stricter(NameKanaNormalizer):
        def canonical(self, value: str) -> str | None:
            return None

    registry = KindRegistry()  # (not the shared default_registry())
    registry._by_kind["name_kana"] = Stricter()
    plan = KindPlan(PLAN_LENGTHS, PLAN_PRIMARY)
    with native.use(True):
        assert Extractor(registry, plan).cells(["ヤマダ タロウ"], "name_kana") == {}
        assert Extractor(default_registry(), plan).cells(["ヤマダ タロウ"], "name_kana") == {
            "ヤマダ タロウ": ((("name_kana", "ヤマダタロウ"),), 0, "name_kana")}
