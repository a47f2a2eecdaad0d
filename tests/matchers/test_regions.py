"""Layout per region (issue 18 part 1, 3): cutting, shapes, and the corpus of page shapes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchers import regions
from matchers.lineshapes import _SHAPES, GUTTER, LIST, PIPE, RULE, TEXT, line_shape
from matchers.regions import cut_regions, region_layouts
from matchers.scan import Matcher
from tests.matchers import corpus
from tests.matchers.factories import Customer

# Share of planted records that must get every field of their row (issue 18: >= 99 %).
TARGET = 0.99


def tied(result_fields: tuple[str, ...]) -> set[str]:
    """The fields a record hit stands for (a folded name is the name)."""
    fields = set(result_fields)
    if "name_folded" in fields:
        fields.add("name")
    return fields


def share_tied(matcher: Matcher, planted: corpus.Planted) -> tuple[float, list[str]]:
    name = "page.html" if planted.html else "paste.txt"
    result = matcher.scan_text(planted.text, name=name)
    got = {h.ref: h for h in result.record_hits}
    misses = [
        ref
        for ref, fields in planted.expected.items()
        if ref not in got or not set(fields) <= tied(got[ref].fields)
    ]
    return 1 - len(misses) / len(planted.expected), misses


@pytest.mark.parametrize(
    ("line", "shape"),
    [
        (" 山田 太郎 | ヤマダ タロウ | 090-1234-5678", PIPE),
        ("-----------+------------+----", RULE),
        ("+------+-------+", RULE),
        ("|---|---|---|", RULE),
        ("・山田 太郎さん（090-1234-5678）東京都港区芝公園4丁目2番8号 未連絡", LIST),
        ("- 山田 太郎 090-1234-5678 東京都", LIST),
        ("① 山田 太郎 090-1234-5678", LIST),
        ("12. 山田 太郎 090-1234-5678", LIST),
        ("（3）山田 太郎 090-1234-5678", LIST),
        ("続き（2/3）", TEXT),
        ("2026.11.30 の分", TEXT),
    ],
)
def test_line_shapes(line: str, shape: str) -> None:
    assert line_shape(line) == shape


def test_menu_above_a_psql_table_is_its_own_region(customers: list[Customer]) -> None:
    text = corpus.CHATTER + corpus.psql(customers[:20])
    layouts = [
        (r.shape, lay.kind, lay.delimiter) for r, lay in region_layouts(cut_regions(text), None)
    ]
    assert ("pipe", "delimited", "|") in layouts
    table = next(r for r in cut_regions(text) if r.shape == PIPE)
    # The header and every data row are in the table's region, the rule line too.
    assert table.text.count("\n") >= 21
    assert customers[0].phone in table.text and customers[19].phone in table.text


def test_a_list_item_with_a_spaced_name_is_read_as_prose() -> None:
    text = "続き（2/3）\n" + "".join(
        f"・山田 太郎{i}さん（090-1234-{i:04d}）東京都港区芝公園{i}丁目 ビル{i} 未連絡\n"
        for i in range(20)
    )
    kinds = [(r.shape, lay.kind) for r, lay in region_layouts(cut_regions(text), None)]
    assert kinds == [(TEXT, "prose"), (LIST, "prose")]


def test_line_number_gutters_are_not_content() -> None:
    text = "\n".join(f"{i}\nrow {i},090-1234-{i:04d},x" for i in range(1, 30))
    [region] = cut_regions(text)
    assert region.shape == "comma"
    assert "\n1\n" not in "\n" + region.text + "\n"
    # A one-column list of ids that do not count up is content.
    ids = "\n".join(str(n) for n in (483920, 120394, 998812, 450011))
    assert [r.text for r in cut_regions(ids)] == [ids]


def test_text_held_twice_is_read_once() -> None:
    table = "\n".join(f"a{i},b{i},090-1234-{i:04d}" for i in range(10))
    text = table + "\n\nmenu\n\n" + table + "\n"
    regions = cut_regions(text)
    assert sum(r.text.strip() == table for r in regions) == 1
    # Line numbers of what stays are those of the document.
    assert regions[0].first == 0


@pytest.mark.parametrize("shape", range(29))
def test_text_corpus_every_record_gets_its_row_fields(
    matcher: Matcher, customers: list[Customer], shape: int
) -> None:
    planted = corpus.text_shapes(customers)[shape]
    share, misses = share_tied(matcher, planted)
    assert share >= TARGET, (planted.name, misses[:5])


@pytest.mark.parametrize("shape", range(6))
def test_html_corpus_every_record_gets_its_row_fields(
    matcher: Matcher, customers: list[Customer], shape: int
) -> None:
    planted = corpus.html_shapes(customers)[shape]
    share, misses = share_tied(matcher, planted)
    assert share >= TARGET, (planted.name, misses[:5])


def test_corpus_shapes_are_counted(customers: list[Customer]) -> None:
    # The parametrized tests above index these lists: keep them in step.
    assert len(corpus.text_shapes(customers)) == 29
    assert len(corpus.html_shapes(customers)) == 6


def test_a_row_reading_that_explains_a_line_poorly_is_read_as_prose_too(
    matcher: Matcher, customers: list[Customer], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No bullets: a space-separated table by shape, but "中村 聡太郎さん" is no cell
    # of a name; the row reading ties phone and address only.
    planted = customers[:30]
    text = "".join(f"{c.name}さん {c.phone} {c.address} 未連絡\n" for c in planted)
    [(_region, layout)] = list(region_layouts(cut_regions(text), None))
    assert layout.kind == "spaced"

    def full() -> int:
        got = {h.ref: tied(h.fields) for h in matcher.scan_text(text).record_hits}
        return sum({"name", "phone", "address"} <= got.get(c.ref, set()) for c in planted)

    assert full() == len(planted)
    from matchers import retry

    monkeypatch.setattr(retry, "PROSE_RETRY_LINES", 0)
    assert full() < len(planted) // 2  # the row reading alone


def test_chatter_at_the_top_of_a_chunk_keeps_the_previous_tables_header() -> None:
    """A streamed dump's chunk that starts with lines of chatter still continues the
    table of the chunk before: its columns keep the header's hints (they were lost,
    and every later chunk read the table without them)."""
    head = "氏名,電話番号,生年月日\n山田 太郎,090-1234-5678,1980-01-02\n"
    [(_r, first)] = list(region_layouts(cut_regions(head), None))
    assert first.hints == ("name", "phone", "birthdate")
    chunk = ("サンプルを少しだけ載せます。\n残りは有料で提供します。\n連絡ください。\n"
             "鈴木 花子,080-1111-2222,1990-03-04\n佐藤 一郎,080-3333-4444,1970-05-06\n")
    got = [(r.shape, lay.kind, lay.hints) for r, lay in region_layouts(cut_regions(chunk), first)]
    assert got == [(TEXT, "prose", None), ("comma", "delimited", ("name", "phone", "birthdate"))]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([s for s in _SHAPES if s != RULE]), max_size=60))
def test_spans_by_run_equal_spans_line_by_line(shapes: list[str]) -> None:
    """A dump's chunk (no rules) is cut a run of equal shapes at a time: the same
    spans as the line-by-line loop."""
    assert regions._spans_by_run(shapes) == regions._spans(shapes)


def _kept_regions_eagerly(merged: list[regions.Span], lines: list[str],
                          shapes: list[str]) -> list[tuple[int, str]]:
    """The copy rule as it was written first: every region's content lines made and
    compared (the reference of cut_regions' lazy check)."""
    out: list[tuple[int, str]] = []
    seen: set[str] = set()
    for a, b, _shape, holes in merged:
        body = lines[a:b]
        for ha, hb in holes:
            body[ha - a : hb - a] = [""] * (hb - ha)
        for j in range(a, b):
            if shapes[j] == GUTTER:
                body[j - a] = ""
        content = set(map(str.strip, body))
        content.discard("")
        content -= {lines[j].strip() for j in range(a, b) if shapes[j] == RULE}
        if len(content) >= regions._COPY_MIN_LINES and content <= seen:
            continue
        seen |= content
        out.append((a, "\n".join(body)))
    return out


# Lines of every shape, a few of them alike, so that regions repeat one another.
_POOL = ["山田 太郎,090-1234-5678", "鈴木 花子,080-1111-2222", "佐藤 一郎,080-3333-4444",
         "| 山田 | 090 |", "|---|---|", "------+-----", "・山田さん 090-1234-5678",
         "連絡ください。", "残りは有料です。", "", "  ", "1", "2", "3", "氏名: 山田",
         " 山田 太郎,090-1234-5678 ", "-----"]


_LINES = st.lists(st.sampled_from(_POOL), max_size=12)


@settings(max_examples=500, deadline=None)
@given(_LINES, _LINES, _LINES, st.booleans())
def test_lazy_copy_check_keeps_what_the_eager_one_keeps(
    a: list[str], b: list[str], c: list[str], blank: bool
) -> None:
    """cut_regions builds content sets only once some region may be a copy of an
    earlier one; it keeps exactly the regions the eager rule keeps (a page that holds
    its text twice: ``a``, other lines, ``a`` again)."""
    gap = [""] if blank else []
    text = "\n".join(a + gap + b + [""] + a + gap + c)
    got = [(r.first, r.text) for r in cut_regions(text)]
    shapes = [line_shape(ln) for ln in text.split("\n")]
    if regions._one_region(text, shapes) is not None:
        return
    lines = text.split("\n")
    regions._mark_gutters(lines, shapes)
    merged = regions._absorb_interruptions(regions._spans(shapes), shapes)
    if len(merged) == 1 and GUTTER not in shapes:
        return
    assert got == _kept_regions_eagerly(merged, lines, shapes)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([
    "山田,090-1234-5678,東京都", "a|b|c", "|---|---|", "", "   ", "こんにちは、元気です。",
    "1. item", "key: value", "  12  ", "a\tb\tc", "x,y",
]), max_size=40))
def test_a_regions_lines_are_its_text_split(lines: list[str]) -> None:
    """Where the cut hands a region its lines (the column scan reads them instead of
    splitting the text again), they are the text's lines exactly."""
    for region in cut_regions("\n".join(lines)):
        if region.lines is not None:
            assert region.lines == region.text.split("\n")
