"""The column-wise scan is only a faster order of the row-by-row work.

``Extractor.column`` (which searches whole columns of bare phone numbers and
e-mail addresses at once) must give exactly what ``Extractor.cell`` gives per
value, and ``scan_columns`` must give the same record hits as scoring every row.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.fpset import FingerprintSet
from matchers.candidates import Extractor
from matchers.columns import ColumnMemo, _in_rows, scan_columns
from matchers.evidence import collect
from matchers.probe import DigestProber
from matchers.rows import Layout, detect_layout, split_rows
from matchers.scan import Matcher
from matchers.shapes import RowCandidates, column_rows
from matchers.tables import table_cells, table_columns
from tests.matchers.factories import (
    FIELDS,
    Customer,
    email_variants,
    phone_variants,
    plain,
    plan_extractor,
    render_delimited,
    vary,
)


def _extractor() -> Extractor:
    return plan_extractor()


_PIECES = st.sampled_from(
    [
        "090-1234-5678",
        "09012345678",
        "0120-123-456",
        "03-1234-5678",
        "+81 90 1234 5678",
        "(090)1234-5678",
        "０９０－１２３４－５６７８",
        "090ｰ1234ｰ5678",
        " 090-1234-5678 ",
        "090-1234-5678\t",
        "1234567890123456789",
        "taro@example.jp",
        "Taro.Yamada@EXAMPLE.CO.JP",
        "taro..yamada.@docomo.ne.jp",
        "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ",
        "a@b.c",
        "x@@y.jp",
        "@example.jp",
        "taro@example",
        "山田 太郎",
        "ヤマダ タロウ",
        "1985/04/01",
        "〒105-0011",
        "東京都港区芝公園4丁目2番8号",
        "",
        " ",
        "a" * 70 + "@example.jp",
    ]
)
_CELLS = _PIECES | st.text(
    alphabet=st.sampled_from("0123456789-+() .@abcXYZ０＠ー\t山"), max_size=24
)


@settings(max_examples=1500)
@given(
    st.lists(_CELLS, min_size=1, max_size=60),
    st.sampled_from([None, "phone", "email", "name", "address"]),
)
def test_column_equals_cell_by_cell(values: list[str], hint: str | None) -> None:
    distinct = dict.fromkeys(values)
    got = _extractor().column(distinct, hint)
    one = _extractor()
    want = {v: res for v in distinct if (res := one.cell(v, hint))[0]}
    assert got == want


@settings(max_examples=300)
@given(st.lists(st.sampled_from(["090-1234-5678", "taro@example.jp", "山田 太郎"]), min_size=40))
def test_column_with_a_line_break_in_a_value(values: list[str]) -> None:
    values = [*values, "x\n090-8765-4321"]
    distinct = dict.fromkeys(values)
    one = _extractor()
    assert _extractor().column(distinct, None) == {
        v: res for v in distinct if (res := one.cell(v, None))[0]
    }


def test_phone_and_email_columns_of_every_variant(customers: list[Customer]) -> None:
    phones = [v for c in customers[:100] for v in phone_variants(c.phone)]
    emails = [v for c in customers[:100] for v in email_variants(c.email)]
    for values in (phones, emails):
        distinct = dict.fromkeys(values)
        one = _extractor()
        assert _extractor().column(distinct, None) == {
            v: res for v in distinct if (res := one.cell(v, None))[0]
        }


def test_scan_columns_equals_row_by_row(matcher: Matcher, customers: list[Customer]) -> None:
    """Deduplicated column-wise rows give the evidence of every row scored."""
    text = render_delimited(customers[:150], ",") + render_delimited(customers[100:200], ",")
    fast = matcher.scan_text(text)
    layout_rows = list(split_rows(text, detect_layout(text)))
    rows = [rc for row in layout_rows if (rc := matcher.extractor.table_row(row)) is not None]
    unique = list(dict.fromkeys(pair for rc in rows for pair, _ in rc.found))
    hits = dict(zip(unique, matcher.prober.probe(unique), strict=True))
    slow = collect(rows, hits, matcher.primary)
    want = {
        (matcher.prober.record_ref(r), ev.confidence, tuple(sorted(ev.kinds)), ev.line)
        for r, ev in slow.items()
    }
    assert {(h.ref, h.confidence, h.fields, h.row) for h in fast.record_hits} == want


_PHONE_SHAPED = st.builds(
    lambda head, digits, sep: head + sep.join([digits[:4], digits[4:8], digits[8:]]),
    st.sampled_from(["0", "+81", "(0", "81", "0081", "+", ""]),
    st.text(alphabet=st.sampled_from("0123456789"), min_size=6, max_size=13),
    st.sampled_from(["", "-", " ", ".", ")", "--", "ｰ"]),
)
_EMAIL_SHAPED = st.builds(
    lambda local, domain, tld: f"{local}@{domain}.{tld}",
    st.text(alphabet=st.sampled_from("abcXYZ019._-+!#é "), min_size=0, max_size=10),
    st.text(alphabet=st.sampled_from("abcXYZ019.-"), min_size=0, max_size=10),
    st.sampled_from(["jp", "ne.jp", "COM", "", "j p", "-"]),
)


@settings(max_examples=1500)
@given(
    st.lists(
        st.one_of(_PHONE_SHAPED, _PHONE_SHAPED, _PHONE_SHAPED, _CELLS), min_size=1, max_size=80
    )
    | st.lists(
        st.one_of(_EMAIL_SHAPED, _EMAIL_SHAPED, _EMAIL_SHAPED, _CELLS), min_size=1, max_size=80
    ),
    st.sampled_from([None, "phone", "email", "name"]),
)
def test_mostly_phone_or_email_columns_equal_cell_by_cell(
    values: list[str], hint: str | None
) -> None:
    distinct = dict.fromkeys(values)
    got = _extractor().column(distinct, hint)
    one = _extractor()
    assert got == {v: res for v in distinct if (res := one.cell(v, hint))[0]}


_LINE_CELLS = st.sampled_from(
    ["山田 太郎", "090-1234-5678", "", " ", "氏名", "電話番号", 'a"b', "x"]
)


@settings(max_examples=1000)
@given(
    st.lists(st.lists(_LINE_CELLS, min_size=1, max_size=5), max_size=12),
    st.sampled_from([",", "\t", "|"]),
    st.sampled_from(["\n", "\n\n", "\n \n"]),
    st.booleans(),
)
def test_table_cells_equals_split_rows(
    lines: list[list[str]], delimiter: str, newline: str, with_header: bool
) -> None:
    """The bulk splitter gives the rows (and line numbers) of the row-by-row one."""
    header = ("氏名", "電話番号") if with_header else None
    body = [delimiter.join(cells) for cells in lines]
    if with_header:
        body = [delimiter.join(header or ()), *body]
    text = newline.join(body) + "\n"
    hints = ("name", "phone") if with_header else None
    layout = Layout("delimited", delimiter, hints, header)
    rows, numbers = table_cells(text, layout, first_line=5)
    want = [(row.cells, row.line) for row in split_rows(text, layout, 5)]
    assert list(zip(rows, numbers, strict=True)) == want
    # By columns (the flat split): the same cells, short rows padded with "".
    table = table_columns(text, layout, first_line=5)
    assert table.lines == numbers
    assert [table.cells(i) for i in range(len(table))] == rows
    width = max(map(len, rows), default=0)
    padded = [[*r, *[""] * (width - len(r))] for r in rows]
    assert table.columns == [list(col) for col in zip(*padded, strict=True)]


def _column_scan(matcher: Matcher, chunk: str, layout: Layout, memo: ColumnMemo | None,
                 deferred: frozenset[str] = frozenset(),
                 ) -> tuple[list[tuple[int, list[tuple[tuple[str, str], int]]]],
                            dict[tuple[str, str], object], int, int]:
    rows, hits, n_prim, n_matched = scan_columns(matcher.extractor, matcher.prober, chunk,
                                                 layout, 1, memo, deferred)
    used = {pair for rc in rows for pair, _ in rc.found}
    return ([(rc.line, rc.found) for rc in rows], {p: hits[p] for p in used}, n_prim,
            n_matched)


@pytest.mark.parametrize("bound", [7, 300_000])
def test_column_memo_carries_across_chunks_without_changing_a_result(
    matcher: Matcher, customers: list[Customer], decoys: list[Customer], bound: int
) -> None:
    """What a cell value came to is remembered from one chunk of a stream to the
    next: each chunk still gives what a scan of it alone gives (rows, their hits
    and answers, counts), whether the memo keeps everything or keeps evicting."""
    head, *lines = render_delimited(customers[:40] + decoys[:40], ",").splitlines()
    lines += render_delimited(decoys[20:60] + customers[20:80], ",", header=None).splitlines()
    layout = detect_layout(head + "\n" + "\n".join(lines[:20]))
    assert layout.hints
    memo = ColumnMemo(bound)
    chunks = ["\n".join(lines[i:i + 30]) + "\n" for i in range(0, len(lines), 30)] * 2
    for chunk in chunks:
        alone = _column_scan(matcher, chunk, layout, None)
        assert _column_scan(matcher, chunk, layout, memo) == alone
        assert len(memo) <= max(bound, 200)
    assert len(memo) > 0
    assert any(rows for rows, *_ in [_column_scan(matcher, c, layout, memo) for c in chunks])


def test_values_memoized_unread_give_what_a_scan_alone_gives(
    matcher: Matcher, customers: list[Customer], decoys: list[Customer]
) -> None:
    """A chunk without a strong hit memoizes its values with their candidates only
    (their names and dates are never probed): a later chunk holding the same values,
    now beside strong ones that hit, gives what a scan of it alone gives."""
    # Customers' names, kana and birth dates with strangers' phones, e-mails and
    # addresses: weak hits only.
    weak_only = [
        dataclasses.replace(c, ref=d.ref, phone=d.phone, email=d.email, address=d.address)
        for c, d in zip(customers[:30], decoys[:30], strict=True)
    ]
    head, *weak_lines = render_delimited(weak_only, ",").splitlines()
    layout = detect_layout(head + "\n" + "\n".join(weak_lines[:20]))
    assert layout.hints
    full_lines = render_delimited(customers[:30], ",", header=None).splitlines()
    memo = ColumnMemo()
    weak = matcher._deferred  # as the matcher scans: weak values probed after a strong hit
    first = "\n".join(weak_lines) + "\n"
    assert _column_scan(matcher, first, layout, memo, weak) == _column_scan(
        matcher, first, layout, None, weak)
    assert _column_scan(matcher, first, layout, None, weak)[0] == []
    assert any(len(entry) == 1 for j, h in memo._columns for entry in memo.column(j, h).values())
    for later in (first, "\n".join(weak_lines[:10] + full_lines[5:15]) + "\n"):
        alone = _column_scan(matcher, later, layout, None, weak)
        assert _column_scan(matcher, later, layout, memo, weak) == alone
        # (and what the reference, nothing deferred, gives)
        assert _column_scan(matcher, later, layout, None)[0] == alone[0]
    assert alone[0]


def test_a_matcher_whose_prober_is_swapped_starts_a_new_column_memo(
    fpset: FingerprintSet, customers: list[Customer]
) -> None:
    """The memo holds one prober's answers: a matcher given another prober (or the
    same set opened again) does not reuse them."""
    text = render_delimited(customers[:30], ",")
    m = Matcher(fpset)
    first = m.scan_text(text)
    memo = m._column_memo()
    assert len(memo) > 0
    m.prober = DigestProber(fpset)
    assert m._column_memo() is not memo
    assert m.scan_text(text).record_hits == first.record_hits


_HINTED_KINDS = ("name", "name_kana", "birthdate", "postal_code", "address")


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 199), st.integers(0, 63)), min_size=1, max_size=30),
    st.lists(_CELLS | st.text(alphabet=st.sampled_from(
        "0123456789０１２-ー－〒@ 　\u200b山田太郎やまだヤマダﾔﾏﾀﾞ年月日丁目番号東京都港区芝公園"
        "昭和平成元SH./"), max_size=30), max_size=20),
    st.lists(st.tuples(st.integers(0, 199), st.sampled_from(FIELDS), st.sampled_from(FIELDS),
                       st.sampled_from(["", " ", "　", " TEL ", "/"]), st.integers(1, 20)),
             max_size=8),
    st.sampled_from(_HINTED_KINDS),
)
def test_a_hinted_column_equals_cell_by_cell(
    customers: list[Customer], picks: list[tuple[int, int]], other: list[str],
    joined: list[tuple[int, str, str, str, int]], hint: str,
) -> None:
    """The hinted columns' shortcut (Extractor._hinted) decides a cell exactly as
    ``_cell`` would: every field of real customers in every variant, two fields in
    one cell (an address with a phone number), very long cells, and noise, read
    under each supporting kind's hint (the wrong one included)."""
    values = [vary(customers[i], k)[f] for i, k in picks for f in FIELDS] + other
    for i, a, b, sep, times in joined:
        v = vary(customers[i], times)
        values.append(sep.join([v[a], v[b]] * times))
    distinct = dict.fromkeys(values)
    got = _extractor().column(distinct, hint)
    one = _extractor()
    want = {v: res for v in distinct if (res := one._cell(v, hint))[0]}
    assert got == want
    # The same without the cell cache (as the column scan reads values new to its memo).
    uncached = _extractor()
    assert uncached.cells(distinct, hint, cached=False) == {
        v: res for v, res in want.items() if v in _extractor().cells(distinct, hint)}
    assert not uncached._cache


@pytest.mark.parametrize("hint", _HINTED_KINDS)
def test_a_hinted_column_leaves_too_long_cells_and_primaries_to_cell(
    customers: list[Customer], hint: str
) -> None:
    """Table cases of the shortcut's limits: a cell longer than a cell can be (even
    when one of its spellings is shorter once prepared), and cells with a phone
    number or an e-mail address in them."""
    c = customers[3]
    values = [
        c.address * 40, c.kana * 150, c.name * 200, f"{c.address} TEL {c.phone}",
        f"{c.name}{c.phone}", f"{c.birthdate} {c.email}", c.postal + c.phone,
        c.address, c.name, c.kana, c.birthdate.isoformat(), c.postal,
    ]
    distinct = dict.fromkeys(values)
    got = _extractor().column(distinct, hint)
    one = _extractor()
    assert got == {v: res for v in distinct if (res := one._cell(v, hint))[0]}


def test_column_rows_are_the_rows_the_constructor_makes() -> None:
    """``column_rows`` sets the fields itself: the same objects as ``RowCandidates(...)``,
    with the same (uncompared) source, and rows made later from it alike."""
    text = "a,b\n090-1111-2222,x\n\n090-3333-4444,y\n"
    layout = detect_layout(text)
    table = table_columns(text, layout, 5)
    picked = [0, 2][: len(table)]
    founds = [[(("phone", f"0901111222{i}"), 0)] for i in picked]
    got = column_rows(table.lines, picked, founds, table, layout, ",")
    want = [RowCandidates(table.lines[i], f, source=(table, i, layout, ","))
            for i, f in zip(picked, founds, strict=True)]
    assert got == want
    assert [rc.source for rc in got] == [rc.source for rc in want]
    assert [dataclasses.astuple(rc) for rc in got] == [dataclasses.astuple(rc) for rc in want]
    assert [rc.table_row() for rc in got] == [rc.table_row() for rc in want]
    assert got[0].found is founds[0]


@settings(max_examples=200, deadline=None)
@given(column=st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=30),
       keep=st.lists(st.booleans(), min_size=30, max_size=30),
       every=st.booleans())
def test_in_rows_keeps_the_values_of_the_rows(column: list[str], keep: list[bool],
                                              every: bool) -> None:
    """Those of a column's distinct values that are in the given rows, in their order;
    every row given (a hit-dense table's): every value, without a look at the rows."""
    values = list(dict.fromkeys(column))[::-1]
    rows = list(range(len(column))) if every else [i for i in range(len(column)) if keep[i]]
    want = [v for v in values if any(column[i] == v for i in rows)]
    assert _in_rows(values, column, rows) == want


@pytest.mark.parametrize("again", [0, 1, 40, 120, 400])
def test_primary_counts_over_repeated_cells(
    fpset: FingerprintSet, customers: list[Customer], decoys: list[Customer], again: int
) -> None:
    """A column's primary candidates and matched primaries are counted over its cells,
    each repeat of a phone number or e-mail address as often as it occurs: the native
    cut's repeats (few: summed over them; many: over every cell) and the reference's
    column walk give the same counts."""
    people = customers[:120] + decoys[:80]
    people += [people[i % len(people)] for i in range(again)]
    text = render_delimited(people, ",", fmt=plain)
    layout = detect_layout(text)
    counts = []
    for core in (True, False):
        with native.use(core):
            if core:
                cut = table_columns(text, layout)
                assert cut.repeats is not None
                repeats = cut.repeats[FIELDS.index("phone")]
                # (None past a quarter of the first 512 rows: then every cell is read.)
                assert repeats == (None if again > 128 else [p.phone for p in people[200:]])
            rows, _hits, n_prim, n_matched = scan_columns(
                plan_extractor(), DigestProber(fpset), text, layout, 1)
            counts.append((n_prim, n_matched, len(rows)))
    assert counts[0] == counts[1]
    n_prim, n_matched, _rows = counts[0]
    # Every row's phone and e-mail cells are primary candidates; our customers' hit.
    assert n_prim == 2 * len(people)
    assert n_matched == 2 * sum(1 for p in people if p in customers)
