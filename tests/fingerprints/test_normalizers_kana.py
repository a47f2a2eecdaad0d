"""name_kana: katakana, no spaces or ・, small kana enlarged."""

from __future__ import annotations

import pytest

from fingerprints.normalizers import NameKanaNormalizer
from fingerprints.normalizers.kana import to_katakana

K = NameKanaNormalizer()

CASES = [
    ("ヤマダ タロウ", "ヤマダタロウ"),
    ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロウ"),
    ("やまだ　たろう", "ヤマダタロウ"),
    ("ヤマダ\u200bタロウ", "ヤマダタロウ"),
    ("キュウヨ イチロウ", "キユウヨイチロウ"),
    ("ｷﾕｳﾖ ｲﾁﾛｳ", "キユウヨイチロウ"),
    ("きゅうよ いちろう", "キユウヨイチロウ"),
    ("ハットリ ジョウ", "ハツトリジヨウ"),
    ("はっとり じょう", "ハツトリジヨウ"),
    ("ｼﾞｮｰｼﾞ･ｽﾐｽ", "ジヨージスミス"),
    ("ジョージ・スミス", "ジヨージスミス"),
    ("ファン　ヴィ", "フアンヴイ"),
    ("ゔぃ", "ヴイ"),
    ("ヮヵヶ", "ワカケ"),
    ("ゎゕゖ", "ワカケ"),
    ("ㇰㇱㇲ", "クシス"),
    ("ササキ ハナコ", "ササキハナコ"),
    ("ｻｻｷ ﾊﾅｺ", "ササキハナコ"),
    # rejected
    ("山田 太郎", None),
    ("ヤマダ 太郎", None),
    ("yamada", None),
    ("ヤマダ1", None),
    ("", None),
    ("ア", None),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_canonical(raw: str, expected: str | None) -> None:
    assert K.canonical(raw) == expected
    if expected is not None:
        assert K.canonical(expected) == expected


def test_to_katakana_covers_the_hiragana_block() -> None:
    hira = "".join(chr(cp) for cp in range(0x3041, 0x3097))
    kata = "".join(chr(cp) for cp in range(0x30A1, 0x30F7))
    assert to_katakana(hira) == kata
    assert to_katakana("漢字abc") == "漢字abc"
