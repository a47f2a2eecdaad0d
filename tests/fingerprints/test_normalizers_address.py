"""address: prefecture+city+town+block numbers, pure string rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.normalizers import AddressNormalizer
from fingerprints.normalizers.address import kanji_number
from fingerprints.text import prepare

A = AddressNormalizer()

SHIBAKOEN = [
    "東京都港区芝公園四丁目2番8号",
    "東京都港区芝公園4丁目2-8",
    "東京都港区芝公園４－２－８",
    "東京都港区芝公園4丁目2番地8",
    "東京都港区芝公園4ー2ー8",
    "東京都港区芝公園四-二-八",
    "東京都港区芝公園4-2-8 東京タワー3F",
    "東京都港区芝公園4-2-8　東京タワー",
    "東京都 港区 芝公園 4-2-8",
    "〒105-0011 東京都港区芝公園4-2-8",
    "〒１０５－００１１　東京都港区芝公園四丁目２番８号",
    "105-0011 東京都港区芝公園4丁目2番8号",
    "東京都港区芝公園4ｰ2ｰ8",
    "東京都港区芝公園四丁目二番八号",
    "東京都港区芝公園4の2の8",
    "東京都港区芝公園4丁目2番8号 東京タワー 3F",
]

KASUMIGASEKI = ["霞が関1-2-1", "霞ヶ関１丁目２番１号", "霞ケ関一丁目二番一号", "霞ヵ関1-2-1"]

CASES = [
    ("北海道札幌市中央区北1条西2丁目1番地", "北海道札幌市中央区北1条西2-1"),
    ("北海道札幌市中央区北一条西二丁目1番地", "北海道札幌市中央区北一条西2-1"),
    ("京都市中京区寺町通御池上る上本能寺前町488番地", "京都市中京区寺町通御池上る上本能寺前町488"),
    ("東京都八王子市元本郷町三丁目24番1号", "東京都八王子市元本郷町3-24-1"),
    ("東京都千代田区三番町6-2", "東京都千代田区三番町6-2"),
    ("新潟県十日町市千歳町三丁目3番地", "新潟県十日町市千歳町3-3"),
    ("東京都千代田区丸の内1-9-1", "東京都千代田区丸の内1-9-1"),
    ("東京都新宿区西新宿二丁目8番1号", "東京都新宿区西新宿2-8-1"),
    ("大阪府大阪市北区梅田3丁目1番1号 グランフロント12F", "大阪府大阪市北区梅田3-1-1"),
    ("東京都渋谷区道玄坂1-12-1 渋谷マークシティ 10F", "東京都渋谷区道玄坂1-12-1"),
    ("長野県長野市大字鶴賀緑町1613番地", "長野県長野市大字鶴賀緑町1613"),
    ("神奈川県横浜市西区みなとみらい二丁目2番1号", "神奈川県横浜市西区みなとみらい2-2-1"),
    ("東京都港区芝公園二十三丁目4番", "東京都港区芝公園23-4"),
    ("茨城県つくば市123番地の4", "茨城県つくば市123-4"),
    # rejected
    ("東京都港区芝公園", None),
    ("4-2-8", None),
    ("〒105-0011", None),
    ("", None),
    ("090-1234-5678", None),
    ("abc 1-2-3", None),
]


def test_shibakoen_forms_agree() -> None:
    assert {A.canonical(x) for x in SHIBAKOEN} == {"東京都港区芝公園4-2-8"}


def test_kasumigaseki_forms_agree() -> None:
    assert {A.canonical(x) for x in KASUMIGASEKI} == {"霞ケ関1-2-1"}


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_canonical(raw: str, expected: str | None) -> None:
    assert A.canonical(raw) == expected
    if expected is not None:
        assert A.canonical(expected) == expected


@pytest.mark.parametrize(
    ("kanji", "digits"),
    [
        ("四", "4"),
        ("十", "10"),
        ("十二", "12"),
        ("二十", "20"),
        ("二十三", "23"),
        ("百", "100"),
        ("百二", "102"),
        ("三百五十", "350"),
        ("千二百三十四", "1234"),
        ("二〇", "20"),
        ("一〇一", "101"),
    ],
)
def test_kanji_number(kanji: str, digits: str) -> None:
    assert kanji_number(kanji) == digits


# The one-search path of ``canonical`` (a town, then N丁目M番[K号]) against the
# full rules, on towns made of the characters the rules treat specially.
_TOWN_CHARS = (
    "東京都港区芝公園三重県川崎市八王子十日町一二〇千百"
    "の丁目番地号町ケヶがノ之條ー－- 　〒郵便a(3４"
)
_DIGITS = st.text(alphabet="0123456789", min_size=0, max_size=5)


@settings(max_examples=3000)
@given(
    st.text(alphabet=_TOWN_CHARS, min_size=0, max_size=12),
    _DIGITS, _DIGITS, st.none() | _DIGITS,
    st.sampled_from(["", "号", "番", " ", "号 ビル3F", "町", "地", "-1"]),
)
def test_the_one_search_path_is_the_full_rules(
    town: str, a: str, b: str, c: str | None, tail: str
) -> None:
    value = f"{town}{a}丁目{b}番" + (f"{c}号" if c is not None else "") + tail
    with native.use(False):  # (the native core's key is faster, and takes no such path)
        assert A.canonical(value) == A.canonical_steps(prepare(value))
    assert A.canonical(value) == A.canonical_steps(prepare(value))


@settings(max_examples=2000)
@given(st.text(alphabet=_TOWN_CHARS + "0123456789丁目番号", max_size=24))
def test_any_text_reads_as_by_the_full_rules(value: str) -> None:
    with native.use(False):
        assert A.canonical(value) == A.canonical_steps(prepare(value))
