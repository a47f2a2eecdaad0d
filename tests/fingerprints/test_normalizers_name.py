"""name and name_folded; the reviewed variant-kanji table."""

from __future__ import annotations

import unicodedata
from importlib import resources

import pytest

from fingerprints.normalizers import NameFoldedNormalizer, NameNormalizer
from fingerprints.normalizers.name import load_variant_table

N = NameNormalizer()
F = NameFoldedNormalizer()

NAME_CASES = [
    ("山田 太郎", "山田太郎"),
    ("山田　太郎", "山田太郎"),
    ("山田太郎", "山田太郎"),
    ("  山田\t太郎 ", "山田太郎"),
    ("山田\u200b太郎", "山田太郎"),
    ("髙橋 一郎", "髙橋一郎"),  # the written form keeps the variant
    ("髙\U000e0100橋一郎", "髙橋一郎"),  # IVS stripped
    ("佐々木 花子", "佐々木花子"),
    ("ジョン・スミス", "ジョン・スミス"),
    ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロウ"),
    ("Taro Yamada", "TaroYamada"),
    ("O'Brien", "O'Brien"),
    # rejected
    ("", None),
    ("   ", None),
    ("山", None),
    ("山田1郎", None),
    ("山田１郎", None),
    ("yamada@example.jp", None),
    ("090-1234-5678", None),
    ("山田,太郎", None),
    ("ーー", None),
]

FOLDED_CASES = [
    ("髙橋 一郎", "高橋一郎"),
    ("高橋一郎", "高橋一郎"),
    ("山﨑 花子", "山崎花子"),
    ("山崎花子", "山崎花子"),
    ("齋藤 健", "斎藤健"),
    ("齊藤 健", "斉藤健"),  # 齊 and 齋 are different characters
    ("渡邊 誠", "渡辺誠"),
    ("渡邉 誠", "渡辺誠"),
    ("濱田 淳", "浜田淳"),
    ("濵田 淳", "浜田淳"),
    ("澤田 亮", "沢田亮"),
    ("𠮷田 茂", "吉田茂"),
    ("德川 家康", "徳川家康"),
    ("櫻井 翔", "桜井翔"),
    ("廣瀬 鈴", "広瀬鈴"),
    ("島田 紳", "島田紳"),
    ("嶋田 紳", "島田紳"),
    ("藤原 紀香", "藤原紀香"),
    ("辻\U000e0101 希美", "辻希美"),
    ("山\ufa11 太郎", "山崎太郎"),
    ("山田1郎", None),
]


@pytest.mark.parametrize(("raw", "expected"), NAME_CASES)
def test_name(raw: str, expected: str | None) -> None:
    assert N.canonical(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), FOLDED_CASES)
def test_name_folded(raw: str, expected: str | None) -> None:
    assert F.canonical(raw) == expected


def test_never_folds_saki_to_sai() -> None:
    table = load_variant_table()
    assert table[ord("\ufa11")] == "崎"
    assert "埼" not in table.values()
    assert ord("崎") not in table
    assert ord("島") not in table
    assert ord("藤") not in table


def test_variant_table_is_reviewed_shape() -> None:
    table = load_variant_table()
    assert 60 <= len(table) <= 200
    # Idempotent folding: no standard form is itself folded further.
    assert not {ord(v) for v in table.values()} & set(table)
    for cp, standard in table.items():
        variant = chr(cp)
        assert variant != standard
        # prepare() runs first: a variant NFKC already rewrites would never be seen.
        assert unicodedata.normalize("NFKC", variant) == variant
        assert unicodedata.normalize("NFKC", standard) == standard


def test_variant_table_rows_have_three_columns() -> None:
    text = resources.files("fingerprints").joinpath("data/variant_kanji.tsv").read_text("utf-8")
    rows = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert rows
    for row in rows:
        variant, standard, note = row.split("\t")
        assert len(variant) == 1 and len(standard) == 1 and note
