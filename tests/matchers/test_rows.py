"""Layout detection and row splitting."""

from __future__ import annotations

import pytest

from matchers.markup import looks_like_html, strip_html
from matchers.rows import (
    Layout,
    detect_layout,
    split_rows,
)
from matchers.tables import table_cells


def rows(text: str) -> tuple[Layout, list[list[str]]]:
    layout = detect_layout(text)
    return layout, [r.cells for r in split_rows(text, layout)]


@pytest.mark.parametrize(
    ("text", "kind", "delimiter"),
    [
        ("a,b,c\n1,2,3\n4,5,6\n", "delimited", ","),
        ("a\tb\n1\t2\n", "delimited", "\t"),
        ("a|b|c\n1|2|3\n", "delimited", "|"),
        ("a;b;c\n1;2;3\n", "delimited", ";"),
        (
            "山田 太郎    090-1234-5678    東京都\n鈴木 花子    080-1111-2222    大阪府\n",
            "aligned",
            "",
        ),
        ('{"a": 1}\n{"a": 2}\n', "jsonl", ""),
        ('[\n  {"a": 1},\n  {"a": 2}\n]\n', "json", ""),
        ("INSERT INTO t (a, b) VALUES ('x', 'y'), ('z', 'w');\n", "sql", ""),
        ("今日は良い天気でした。山田さんに会いました。\n", "prose", ""),
    ],
)
def test_detect_layout(text: str, kind: str, delimiter: str) -> None:
    layout = detect_layout(text)
    assert (layout.kind, layout.delimiter) == (kind, delimiter)


def test_header_row_gives_hints_and_is_not_data() -> None:
    layout, cells = rows("氏名,ﾌﾘｶﾞﾅ,電話番号,備考\n山田 太郎,ﾔﾏﾀﾞ ﾀﾛｳ,090-1234-5678,x\n")
    assert layout.hints == ("name", "name_kana", "phone", None)
    assert cells == [["山田 太郎", "ﾔﾏﾀﾞ ﾀﾛｳ", "090-1234-5678", "x"]]


@pytest.mark.parametrize(
    "preamble",
    ["# dump 1\n", "顧客リスト（抜粋）\n\n", "件数: 2\n出典不明\n"],
)
def test_header_after_a_title_line_gives_hints(preamble: str) -> None:
    text = preamble + "氏名,フリガナ,電話番号\n山田 太郎,ヤマダ タロウ,090-1234-5678\n" + (
        "鈴木 花子,スズキ ハナコ,080-1111-2222\n佐藤 一郎,サトウ イチロウ,070-3333-4444\n"
    )
    layout, cells = rows(text)
    assert layout.hints == ("name", "name_kana", "phone")
    assert ["氏名", "フリガナ", "電話番号"] not in cells
    assert ["山田 太郎", "ヤマダ タロウ", "090-1234-5678"] in cells
    # The column-wise split leaves the header out the same way.
    assert table_cells(text, layout)[0] == cells


def test_a_data_row_after_the_first_line_is_not_taken_for_a_header() -> None:
    # One known header word is enough on the first line, not on a later one.
    layout = detect_layout("注意\n電話番号,メモ\n090-1234-5678,x\n080-1111-2222,y\n")
    assert layout.hints is None


def test_quoted_csv() -> None:
    _, cells = rows('"a","b,c","d"\n"1","2,3","4"\n"5","6","7"\n')
    assert cells[1] == ["1", "2,3", "4"]


def test_jsonl_keys_become_hints() -> None:
    text = '{"tel": "090-1234-5678", "kana": "ヤマダ", "x": {"mail": "a@b.jp"}}\n' * 2
    layout = detect_layout(text)
    row = next(split_rows(text, layout))
    assert row.cells == ["090-1234-5678", "ヤマダ", "a@b.jp"]
    assert list(row.hints or []) == ["phone", "name_kana", "email"]


def test_json_array_pretty_printed() -> None:
    text = (
        '[\n  {\n    "name": "山田 太郎",\n    "phone": "090"\n  },\n'
        '  {\n    "name": "鈴木"\n  }\n]\n'
    )
    layout = detect_layout(text)
    got = list(split_rows(text, layout))
    assert [r.cells for r in got] == [["山田 太郎", "090"], ["鈴木"]]
    assert [r.line for r in got] == [2, 6]


def test_sql_tuples_and_columns() -> None:
    text = (
        "CREATE TABLE `c` (\n  `id` int(11),\n  `name` varchar(255)\n);\n"
        "INSERT INTO `c` (`name`, `tel`) VALUES ('O''Brien', '090-1'),('山田\\'s', NULL);\n"
        "INSERT INTO c VALUES\n('a', 'b'),\n('c', 'd');\n"
    )
    layout = detect_layout(text)
    got = list(split_rows(text, layout))
    assert [r.cells for r in got] == [
        ["O'Brien", "090-1"],
        ["山田's", "NULL"],
        ["a", "b"],
        ["c", "d"],
    ]
    assert list(got[0].hints or []) == ["name", "phone"]
    assert got[1].hints == got[0].hints
    assert got[2].hints is None
    assert [r.line for r in got] == [5, 5, 7, 8]


def test_sql_continuation_chunk() -> None:
    previous = detect_layout("INSERT INTO c VALUES ('a');\n")
    text = "('x', 'y'),\n('z', 'w');\n"
    layout = detect_layout(text, previous)
    assert [r.cells for r in split_rows(text, layout, continues=True)] == [["x", "y"], ["z", "w"]]


def test_streaming_keeps_header_hints() -> None:
    first = detect_layout("氏名,電話番号\n山田 太郎,090-1234-5678\n")
    later = detect_layout("鈴木 花子,080-1111-2222\n", first)
    assert later.hints == ("name", "phone")


def test_html_is_stripped() -> None:
    html = "<html><body><script>var a='090-0000-0000'</script><p>山田&amp;太郎</p><br>x</body>"
    assert looks_like_html(html)
    text = strip_html(html)
    assert "090" not in text and "山田&太郎" in text and "<" not in text


def test_line_numbers_of_delimited_rows() -> None:
    text = "a,b,c\n\n1,2,3\n4,5,6\n"
    layout = detect_layout(text)
    assert [r.line for r in split_rows(text, layout, first_line=10)] == [10, 12, 13]
