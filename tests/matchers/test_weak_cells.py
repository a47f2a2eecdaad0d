"""The cells a column scan leaves unread until some strong value of the chunk hit
(``Extractor.weak_only``; natively ``weak_cells`` in ``fingerprints/_native_cells.h``).

Leaving a cell for later is exact only if everything the cell could give is of a
weak kind, with no primary candidate: these tests hold every cell put in the weak
group to that, against ``Extractor.cell`` itself, under every weak hint, for real
customers' fields in every spelling and for noise; and the native split may only
send more cells to the others than the Python one, never fewer."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.normalizers import WEAK_KINDS
from matchers.columns import ColumnMemo, scan_columns
from matchers.rows import detect_layout
from matchers.scan import Matcher
from tests.matchers.factories import (
    FIELDS,
    Customer,
    plain,
    plan_extractor,
    render_delimited,
    vary,
)

_WEAK_HINTS = ("name", "name_kana", "birthdate", "postal_code")
_NOISE = st.text(alphabet=st.sampled_from(
    "0123456789０１２-ー－〒@＠ 　\u200b\n山田太郎やまだヤマダﾔﾏﾀﾞ年月日丁目番号東京都港区芝公園"
    "市町村郡県府道昭和平成元SH./😀é"), max_size=30)


@pytest.fixture
def core() -> Iterator[native.NativeCore]:
    with native.use(True):
        assert native.CORE is not None
        yield native.CORE


def _check(values: list[str], hint: str) -> tuple[list[str], list[str]]:
    ex = plan_extractor()
    assert ex.hint_first(hint)
    distinct = list(dict.fromkeys(values))
    with native.use(False):
        weak, others = ex.weak_only(distinct, hint)
    assert sorted(weak + others) == sorted(distinct)
    for value in weak:
        pairs, n_primaries, _label = ex.cell(value, hint)
        assert n_primaries == 0, value
        assert {kind for kind, _canon in pairs} <= WEAK_KINDS, value
    return weak, others


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 199), st.integers(0, 63)), min_size=1, max_size=20),
    st.lists(_NOISE, max_size=20),
    st.sampled_from(_WEAK_HINTS),
)
def test_cells_left_for_later_give_only_weak_candidates(
    customers: list[Customer], picks: list[tuple[int, int]], noise: list[str], hint: str
) -> None:
    values = [vary(customers[i], k)[f] for i, k in picks for f in FIELDS] + noise
    weak, _others = _check(values, hint)
    if native.available():
        with native.use(True):
            distinct = list(dict.fromkeys(values))
            native_weak, native_others = plan_extractor().weak_only(distinct, hint)
        assert set(native_weak) <= set(weak)
        assert sorted(native_weak + native_others) == sorted(dict.fromkeys(values))


@pytest.mark.parametrize(("cell", "weak"), [
    ("山田 太郎", True),
    ("ヤマダ タロウ", True),
    ("1985/04/01", True),
    ("１９８５－０４－０１", True),
    ("105-0011", True),
    ("", False),                        # nothing: settled now, not later
    ("山田太郎@example.jp", False),      # '@': an e-mail address may be in it
    ("山田＠example.jp", False),         # a full-width one too
    ("09012345678", False),             # ten digits: a phone number may be
    ("昭和60年4月1日", False),           # CJK with a digit: an address may be
    ("東京都港区芝公園", False),          # four CJK characters with an address mark
    ("町田 太", True),                   # three are too few for an address
    ("山田\n太郎", None),                # a line break inside: Python may, C does not
    ("山田 太郎😀", None),               # a character C does not prepare
])
def test_weak_cell_table(core: native.NativeCore, cell: str, weak: bool | None) -> None:
    """Table cases of the split, Python and native (``None``: only the Python one
    may leave the cell for later)."""
    py_weak, _ = _check([cell], "name")
    native_weak, _ = core.weak_cells([cell], 800)
    if weak is None:
        assert native_weak == []
    else:
        assert (py_weak == [cell]) is weak
        assert (native_weak == [cell]) is weak


def test_too_long_cells_go_to_the_others(core: native.NativeCore) -> None:
    cell = "山" * 801
    assert core.weak_cells([cell], 800) == ([], [cell])
    assert _check([cell], "name") == ([], [cell])


def test_weak_cells_are_read_only_in_rows_with_a_strong_hit(
    matcher: Matcher, customers: list[Customer], decoys: list[Customer]
) -> None:
    """Strangers' rows (customers' names and birth dates, nobody's phone, e-mail and
    address) around customers' full rows: the chunk has strong hits, but only the
    full rows' names and dates are read (the column memo never sees the strangers'),
    and the scan gives what a scan with nothing left for later gives."""
    strangers = [
        dataclasses.replace(c, ref=d.ref, phone=d.phone, email=d.email, address=d.address,
                            postal=d.postal)
        for c, d in zip(customers[40:80], decoys[40:80], strict=True)
    ]
    text = render_delimited(strangers[:20] + customers[:5] + strangers[20:], ",", fmt=plain)
    layout = detect_layout(text)
    assert layout.hints
    memo = ColumnMemo()
    lazy = scan_columns(matcher.extractor, matcher.prober, text, layout, 1, memo,
                        matcher._deferred)
    eager = scan_columns(matcher.extractor, matcher.prober, text, layout, 1, None)
    assert [(rc.line, rc.found) for rc in lazy[0]] == [(rc.line, rc.found) for rc in eager[0]]
    assert lazy[0] and lazy[2:] == eager[2:]
    seen = {value for j, hint in memo._columns for value in memo.column(j, hint)}
    read = {c.name for c in customers[:5]}
    assert read <= seen
    # (A name with an address mark, such as 村上, is read at once: weak_only.)
    later, _ = plan_extractor().weak_only(sorted({c.name for c in strangers} - read), "name")
    assert later
    assert not set(later) & seen
