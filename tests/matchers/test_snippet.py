"""Snippets carry shape, never values (SPEC 4 step 6)."""

from __future__ import annotations

import re

import pytest

from matchers.headers import known_header
from matchers.rows import Row
from matchers.scan import Matcher
from matchers.snippet import prose_snippet, row_snippet, scrub, shape, shape_unknown
from tests.matchers.factories import RENDERERS, Customer, vary

_LABEL = re.compile(r"⟨[^⟩]*⟩")
_SEPARATORS = re.compile(r"[\s,|;:(){}\[\]\"'`…=\-]+")
_STRUCTURE = {"VALUES", "NULL"}


def assert_shape_only(snippet: str, planted: list[Customer]) -> None:
    assert not re.search(r"[0-9]{4}", snippet), snippet
    residual = _LABEL.sub(" ", snippet)
    for tok in _SEPARATORS.split(residual):
        assert not tok or tok in _STRUCTURE or known_header(tok), (tok, snippet)
    # Header names of the import's table are kept on purpose (メールアドレス may
    # share two characters with a building name); everything else is shape.
    residual = " ".join(
        t for t in _SEPARATORS.split(residual) if not known_header(t) and t not in _STRUCTURE
    )
    for c in planted:
        for i, values in enumerate((vary(c, 0), vary(c, 1), vary(c, 2))):
            del i
            for value in values.values():
                compact = "".join(value.split())
                digits = re.sub(r"[^0-9]", "", compact)
                for j in range(len(digits) - 3):
                    assert digits[j : j + 4] not in snippet
                if not compact.isascii():
                    for j in range(len(compact) - 1):
                        pair = compact[j : j + 2]
                        if not pair.isascii():
                            assert pair not in residual, (pair, snippet)


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_snippets_of_every_format_are_shape_only(
    matcher: Matcher, customers: list[Customer], fmt: str
) -> None:
    sample = customers[:60]
    result = matcher.scan_text(RENDERERS[fmt](sample))
    assert result.snippet
    assert len(result.snippet) <= 301
    assert_shape_only(result.snippet, sample)
    assert "⟨phone⟩" in result.snippet


def test_csv_snippet_shape(matcher: Matcher, customers: list[Customer]) -> None:
    text = "".join(f"{c.name},{c.kana},{c.phone},{c.email},{c.address}\n" for c in customers[:5])
    snippet = matcher.scan_text(text).snippet
    assert re.fullmatch(r"⟨name:\d+⟩,⟨name_kana:\d+⟩,⟨phone⟩,⟨email⟩,⟨address:\d+⟩", snippet), (
        snippet
    )


def test_unknown_header_names_are_shaped(matcher: Matcher, customers: list[Customer]) -> None:
    lines = ["氏名,秘密のメモ,電話番号"] + [
        f"{c.name},山田家の事情,{c.phone}" for c in customers[:3]
    ]
    snippet = matcher.scan_text("\n".join(lines) + "\n").snippet
    head, row = snippet.split("\n")
    assert head.startswith("氏名,⟨key:5⟩,電話番号")
    assert row.startswith("⟨name:")
    assert "山田" not in snippet


def test_shape_helpers() -> None:
    assert shape("phone", "090-1234-5678") == "⟨phone⟩"
    assert shape("name", "山田 太郎") == "⟨name:4⟩"
    assert shape_unknown("NULL") == "NULL"
    assert shape_unknown("2024-01-01") == "⟨digits:10⟩"
    assert shape_unknown("someone@example.jp") == "⟨email⟩"
    assert shape_unknown("090 1234 5678") == "⟨phone⟩"
    assert shape_unknown("ハイツ") == "⟨text:3⟩"
    assert shape_unknown("") == ""
    assert shape("text", "x" * 5000) == "⟨text:999⟩"


def test_row_snippet_styles() -> None:
    row = Row(1, ["山田", "090-1"], ["name", None], ["name", "secret"], ",", style="json")
    assert row_snippet(row, {}, "json") == '{"name": ⟨name:2⟩, "⟨key:6⟩": ⟨digits:5⟩}'
    row.style = "sql"
    assert row_snippet(row, {}, "sql") == "(name, ⟨key:6⟩) VALUES (⟨name:2⟩, ⟨digits:5⟩)"


def test_prose_snippet_and_scrub() -> None:
    text = "連絡先: 山田太郎 090-1234-5678 mail taro@example.jp 1985年4月1日生"
    snippet = prose_snippet(text, 10)
    assert "山田" not in snippet and "taro" not in snippet
    assert not re.search(r"[0-9]{4}", snippet)
    assert scrub("a 山田太郎 b", ["山田太郎"]) == "a ⟨redacted⟩ b"


def test_long_rows_are_capped(matcher: Matcher, customers: list[Customer]) -> None:
    c = customers[0]
    cells = [c.name, c.phone] + ["メモ" * 3] * 200
    text = ",".join(cells) + "\n" + ",".join(cells) + "\n"
    snippet = matcher.scan_text(text).snippet
    assert len(snippet) <= 301 and snippet.endswith("…")
