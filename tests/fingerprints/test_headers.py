"""fingerprints.headers: header names → kinds, ambiguity reported."""

from __future__ import annotations

import pytest

from fingerprints.headers import ALIASES, ColumnMapping, header_key, map_columns, match_header
from fingerprints.normalizers import BUILTIN_KINDS

CASES = [
    # name
    ("氏名", "name"),
    ("お名前", "name"),
    ("名前", "name"),
    ("顧客名", "name"),
    ("契約者名", "name"),
    ("Name", "name"),
    ("Full Name", "name"),
    ("FULL_NAME", "name"),
    ("氏名（漢字）", "name"),
    (" 氏名 ", "name"),
    # name_kana
    ("フリガナ", "name_kana"),
    ("ﾌﾘｶﾞﾅ", "name_kana"),
    ("ふりがな", "name_kana"),
    ("カナ氏名", "name_kana"),
    ("氏名カナ", "name_kana"),
    ("氏名（カナ）", "name_kana"),
    ("カナ", "name_kana"),
    ("ｶﾅ", "name_kana"),
    ("Kana", "name_kana"),
    ("name_kana", "name_kana"),
    # phone
    ("電話番号", "phone"),
    ("TEL", "phone"),
    ("Tel", "phone"),
    ("ＴＥＬ", "phone"),
    ("電話", "phone"),
    ("携帯", "phone"),
    ("携帯電話", "phone"),
    ("携帯番号", "phone"),
    ("連絡先電話番号", "phone"),
    ("Phone", "phone"),
    ("Mobile", "phone"),
    ("phone_number", "phone"),
    ("Phone Numbr", "phone"),  # fuzzy
    ("電話番号1", "phone"),
    # postal_code
    ("〒", "postal_code"),
    ("郵便番号", "postal_code"),
    ("Zip", "postal_code"),
    ("Postal Code", "postal_code"),
    ("zipcode", "postal_code"),
    # address
    ("住所", "address"),
    ("ご住所", "address"),
    ("所在地", "address"),
    ("Address", "address"),
    ("Adress", "address"),  # fuzzy
    ("住所２", "address"),
    # birthdate
    ("生年月日", "birthdate"),
    ("誕生日", "birthdate"),
    ("Birthday", "birthdate"),
    ("Birth Date", "birthdate"),
    ("DOB", "birthdate"),
    # email
    ("メール", "email"),
    ("メールアドレス", "email"),
    ("E-mail", "email"),
    ("Email", "email"),
    ("ｅ－ｍａｉｌ", "email"),
    ("mail", "email"),
    # customer_id
    ("顧客ID", "customer_id"),
    ("お客さま番号", "customer_id"),
    ("お客様番号", "customer_id"),
    ("契約ID", "customer_id"),
    ("会員番号", "customer_id"),
    ("Customer ID", "customer_id"),
    ("customer_id", "customer_id"),
    ("フレッツ回線ID", "customer_id"),
    ("ID", "customer_id"),
    ("ＩＤ", "customer_id"),
    # nothing
    ("備考", None),
    ("性別", None),
    ("年齢", None),
    ("No", None),
    ("", None),
    ("   ", None),
    ("xyz", None),
    ("金額", None),
]


@pytest.mark.parametrize(("header", "expected"), CASES)
def test_match_header(header: str, expected: str | None) -> None:
    match = match_header(header)
    if expected is None:
        assert match is None
    else:
        assert match is not None
        assert match.kind == expected
        assert not match.ambiguous
        assert match.score >= 85


def test_exact_alias_scores_100() -> None:
    match = match_header("ﾌﾘｶﾞﾅ")
    assert match is not None
    assert match.score == 100.0
    assert match.alias == "フリガナ"


def test_header_key() -> None:
    assert header_key("Ｅ－ｍａｉｌ ") == "email"
    assert header_key("住所　２") == "住所"
    assert header_key("123") == "123"


def test_aliases_cover_only_known_kinds_and_do_not_collide() -> None:
    assert set(ALIASES) <= set(BUILTIN_KINDS)
    seen: dict[str, str] = {}
    for kind, aliases in ALIASES.items():
        for alias in aliases:
            key = header_key(alias)
            assert seen.setdefault(key, kind) == kind, alias


def test_map_columns() -> None:
    headers = ["顧客ID", "氏名", "ﾌﾘｶﾞﾅ", "TEL", "〒", "住所", "生年月日", "E-mail", "備考"]
    result = map_columns(headers)
    assert result.kinds == {
        0: "customer_id",
        1: "name",
        2: "name_kana",
        3: "phone",
        4: "postal_code",
        5: "address",
        6: "birthdate",
        7: "email",
    }
    assert result.ambiguous == []
    assert result.unmapped == [8]


def test_two_columns_of_one_kind_are_both_ambiguous() -> None:
    result = map_columns(["氏名", "電話番号", "携帯", "備考", "メモ"])
    assert result.kinds == {0: "name"}
    assert result.ambiguous == [(1, "電話番号", ["phone"]), (2, "携帯", ["phone"])]
    assert result.unmapped == [3, 4]


def test_close_fuzzy_scores_are_ambiguous() -> None:
    # As close to 契約者名 (name) as to 契約者名カナ (name_kana): reported, never guessed.
    match = match_header("契約者名カ")
    assert match is not None
    assert match.ambiguous
    assert set(match.candidates) == {"name", "name_kana"}
    result = map_columns(["契約者名カ", "電話番号"])
    assert result.kinds == {1: "phone"}
    assert result.ambiguous == [(0, "契約者名カ", list(match.candidates))]


def test_empty_header_row() -> None:
    assert map_columns([]) == ColumnMapping()
