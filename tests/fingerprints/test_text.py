"""fingerprints.text.prepare: the common steps of SPEC 3.2."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fingerprints.text import DASH_CHARS, prepare

CASES = [
    # invisible characters
    ("山田\u200b太郎", "山田太郎"),
    ("山田\u200c\u200d太郎", "山田太郎"),
    ("\ufeff090-1234-5678", "090-1234-5678"),
    ("山\u2060田", "山田"),
    ("髙\U000e0100橋", "髙橋"),  # IVS
    ("葛\U000e0101飾", "葛飾"),
    ("辻\ufe00", "辻"),  # standardized variation selector
    # CP932/JIS twins are unified before NFKC
    ("1〜3", "1~3"),
    ("1～3", "1~3"),
    ("a−b", "a-b"),
    ("a－b", "a-b"),
    ("a—b", "a—b"),
    ("a―b", "a—b"),
    ("‖", "‖"),
    ("∥", "‖"),
    ("￠￡￢", "¢£¬"),
    ("¢£¬", "¢£¬"),
    # NFKC
    ("Ａ１＠ｅｘ．ｊｐ", "A1@ex.jp"),
    ("〒１０５－００１１", "〒105-0011"),
    ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),
    ("山田　太郎", "山田 太郎"),
    ("㍻", "平成"),
    ("①", "1"),
    ("㈱テスト", "(株)テスト"),
    ("\ufa10", "\u585a"),  # compatibility ideograph 塚
    ("\ufa19", "\u795e"),  # compatibility ideograph 神
    # dashes between digits
    ("090ｰ1234ｰ5678", "090-1234-5678"),
    ("０９０ー１２３４ー５６７８", "090-1234-5678"),
    ("090−1234−5678", "090-1234-5678"),
    ("090‐1234‐5678", "090-1234-5678"),
    ("090―1234―5678", "090-1234-5678"),
    ("4─2━8", "4-2-8"),
    ("1⁃2‑3‒4–5﹘6⎯7⏤8", "1-2-3-4-5-6-7-8"),
    ("105ｰ0011", "105-0011"),
    # ... and nowhere else
    ("ジョージ", "ジョージ"),
    ("ｼﾞｮｰｼﾞ", "ジョージ"),
    ("1ー", "1ー"),
    ("ー1", "ー1"),
    ("a—b", "a—b"),
    ("1 ー 2", "1 ー 2"),
    ("1ーー2", "1ーー2"),
    # kept as is: ヶ, ゔ, 髙, 﨑, 𠮷
    ("ヶゔ髙\ufa11𠮷", "ヶゔ髙\ufa11𠮷"),
    # untouched
    ("", ""),
    ("plain ascii 090-1234-5678", "plain ascii 090-1234-5678"),
    ("  spaces kept  ", "  spaces kept  "),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_prepare(raw: str, expected: str) -> None:
    assert prepare(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_prepare_cases_are_fixed_points(raw: str, expected: str) -> None:
    assert prepare(expected) == expected


def test_superscript_minus_becomes_ascii_hyphen_in_one_pass() -> None:
    # NFKC turns U+207B into U+2212, a twin that must then be unified too.
    assert prepare("1⁻2") == "1-2"


def test_every_dash_char_between_digits_folds() -> None:
    for dash in DASH_CHARS:
        assert prepare(f"0{dash}9") == "0-9", hex(ord(dash))


_TRICKY = st.sampled_from(
    list(DASH_CHARS)
    + list("〜～−－—―‖∥¢￠£￡¬￢ｰﾞﾟ゛゜⁻₋ ")
    + ["\u200b", "\ufeff", "\ufe0f", "\U000e0100", "\u0301", "\u3099", "１", "7", "ｶ", "が"]
)
_TEXT = st.lists(st.one_of(_TRICKY, st.characters()), max_size=30).map("".join)


@given(_TEXT)
def test_prepare_is_idempotent(text: str) -> None:
    once = prepare(text)
    assert prepare(once) == once


@given(_TEXT)
def test_prepare_output_is_nfkc(text: str) -> None:
    assert unicodedata.is_normalized("NFKC", prepare(text))
