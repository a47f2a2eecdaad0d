"""email: local part as written, domain lower-cased."""

from __future__ import annotations

import pytest

from fingerprints.normalizers import EmailNormalizer

E = EmailNormalizer()

CASES = [
    ("ＹＡＭＡＤＡ＠ＥＸＡＭＰＬＥ．ＪＰ", "YAMADA@example.jp"),
    ("taro..yamada.@docomo.ne.jp", "taro..yamada.@docomo.ne.jp"),
    ("Taro.Yamada@EZweb.NE.JP", "Taro.Yamada@ezweb.ne.jp"),
    ("  yamada@example.jp  ", "yamada@example.jp"),
    ("yamada\u200b@example.jp", "yamada@example.jp"),
    ("a_b-c+tag@sub.example.co.jp", "a_b-c+tag@sub.example.co.jp"),
    ("user@日本語.jp", "user@日本語.jp"),
    # rejected
    ("yamada@example", None),
    ("yamada@@example.jp", None),
    ("ya@ma@example.jp", None),
    ("@example.jp", None),
    ("yamada@", None),
    ("yamada example.jp", None),
    ("yamada @example.jp", None),
    ("yamada@exa mple.jp", None),
    ("yamada@.example.jp", None),
    ("yamada@example.jp.", None),
    ("", None),
    ("090-1234-5678", None),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_canonical(raw: str, expected: str | None) -> None:
    assert E.canonical(raw) == expected
    if expected is not None:
        assert E.canonical(expected) == expected
