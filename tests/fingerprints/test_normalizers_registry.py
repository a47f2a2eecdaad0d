"""The kind registry and fields_for."""

from __future__ import annotations

import pytest

from fingerprints.normalizers import (
    BUILTIN_KINDS,
    NORMALIZER_VERSION,
    PRIMARY_KINDS,
    SUPPORTING_KINDS,
    CustomerIdNormalizer,
    KindRegistry,
    Normalizer,
    RegexNormalizer,
    default_registry,
    fields_for,
)


def test_constants() -> None:
    assert NORMALIZER_VERSION == 1
    assert PRIMARY_KINDS == {"phone", "email", "customer_id"}
    assert SUPPORTING_KINDS == {
        "name",
        "name_folded",
        "name_kana",
        "birthdate",
        "postal_code",
        "address",
    }
    assert set(BUILTIN_KINDS) == PRIMARY_KINDS | SUPPORTING_KINDS
    assert len(BUILTIN_KINDS) == len(set(BUILTIN_KINDS))


def test_every_builtin_kind_has_its_normalizer() -> None:
    r = default_registry()
    assert r.kinds() == BUILTIN_KINDS
    for kind in BUILTIN_KINDS:
        n = r.get(kind)
        assert isinstance(n, Normalizer)
        assert n.kind == kind


def test_unknown_kind() -> None:
    with pytest.raises(KeyError, match="nope"):
        default_registry().get("nope")


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("name", "髙橋 一郎", [("name", "髙橋一郎"), ("name_folded", "高橋一郎")]),
        ("name", "山田 太郎", [("name", "山田太郎"), ("name_folded", "山田太郎")]),
        ("name", "山田1郎", []),
        ("name_folded", "髙橋 一郎", [("name_folded", "高橋一郎")]),
        ("phone", "090ｰ1234ｰ5678", [("phone", "+819012345678")]),
        ("phone", "0120-123-456", []),
        ("email", "ＹＡＭＡＤＡ＠ＥＸＡＭＰＬＥ．ＪＰ", [("email", "YAMADA@example.jp")]),
        ("name_kana", "ﾔﾏﾀﾞ ﾀﾛｳ", [("name_kana", "ヤマダタロウ")]),
        ("birthdate", "S60.4.1", [("birthdate", "1985-04-01")]),
        ("postal_code", "〒105-0011", [("postal_code", "1050011")]),
        ("address", "東京都港区芝公園四丁目2番8号", [("address", "東京都港区芝公園4-2-8")]),
        ("customer_id", "ab-1234-56", [("customer_id", "AB123456")]),
    ],
)
def test_fields_for(kind: str, value: str, expected: list[tuple[str, str]]) -> None:
    assert default_registry().fields_for(kind, value) == expected
    assert fields_for(kind, value) == expected
    assert fields_for(kind, value, default_registry()) == expected


def test_registry_with_dataset_config() -> None:
    r = KindRegistry(
        customer_id=CustomerIdNormalizer(pattern="[0-9]{12}", check_digit="mod11"),
        custom=[RegexNormalizer("flets_id", "COP[0-9]{10}")],
    )
    assert r.kinds() == (*BUILTIN_KINDS, "flets_id")
    assert r.custom_kinds() == ("flets_id",)
    assert r.primary_kinds() == PRIMARY_KINDS | {"flets_id"}
    assert r.is_primary("flets_id") and not r.is_primary("name")
    assert r.fields_for("customer_id", "6214-9832-0257") == [("customer_id", "621498320257")]
    assert r.fields_for("customer_id", "AB123456") == []
    assert r.fields_for("flets_id", "COP0123456789") == [("flets_id", "COP0123456789")]
    cfg = r.config()
    assert cfg["normalizer_version"] == 1
    kinds = cfg["kinds"]
    assert isinstance(kinds, dict)
    assert kinds["customer_id"]["check_digit"] == "mod11"
    assert kinds["flets_id"] == {"kind": "flets_id", "pattern": "COP[0-9]{10}"}


def test_duplicate_custom_kind() -> None:
    with pytest.raises(ValueError, match="twice"):
        KindRegistry(custom=[RegexNormalizer("a", "x"), RegexNormalizer("a", "y")])


def test_errors_never_contain_the_value() -> None:
    # Normalizers answer None on bad input rather than raising with the value.
    secret = "山田太郎090-1234-5678"
    for kind in BUILTIN_KINDS:
        default_registry().get(kind).canonical(secret)
    with pytest.raises(KeyError) as info:
        default_registry().fields_for("nope", secret)
    assert secret not in str(info.value)
