"""The deployment key and the keyed digest: stability, personalization, key hygiene."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from fingerprints.errors import KeyFileError
from fingerprints.keyed import KEY_SIZE, FingerprintKey, Hasher

FIXED = FingerprintKey(bytes(range(32)))


def test_digest_matches_hashlib_directly() -> None:
    expected = hashlib.blake2b(
        b"+819012345678", key=bytes(range(32)), person=b"phone", digest_size=16
    ).digest()
    assert Hasher(FIXED).digest("phone", "+819012345678") == expected


def test_digest_is_stable_across_releases() -> None:
    # Pinned: changing it silently would make every existing fingerprint set useless.
    assert FIXED.key_id == "62710012e3c9b6fe"
    assert Hasher(FIXED).digest("phone", "+819012345678").hex() == (
        "32e903e9e0c39ab832683130dff69f24"
    )


def test_digest_is_over_utf8_of_the_canonical_string() -> None:
    expected = hashlib.blake2b(
        "山田太郎".encode(), key=FIXED.raw, person=b"name", digest_size=16
    ).digest()
    assert Hasher(FIXED).digest("name", "山田太郎") == expected


@pytest.mark.parametrize(
    ("kind_a", "kind_b", "value"),
    [
        ("birthdate", "customer_id", "1985-04-01"),
        ("phone", "customer_id", "09012345678"),
        ("name", "name_folded", "高橋一郎"),
        ("postal_code", "customer_id", "1050011"),
    ],
)
def test_same_value_of_different_kinds_never_collides(kind_a: str, kind_b: str, value: str) -> None:
    h = Hasher(FIXED)
    assert h.digest(kind_a, value) != h.digest(kind_b, value)


def test_different_keys_give_different_digests() -> None:
    other = FingerprintKey(bytes(range(1, 33)))
    assert Hasher(FIXED).digest("email", "a@b.jp") != Hasher(other).digest("email", "a@b.jp")


def test_digest_many_equals_digest() -> None:
    h = Hasher(FIXED)
    values = ["a@b.jp", "c@d.jp", "", "ｶﾅ"]
    assert h.digest_many("email", values) == [h.digest("email", v) for v in values]
    assert h.digest_many("email", iter(())) == []


@pytest.mark.parametrize("kind", ["", "x" * 17, "電話", "phoné"])
def test_unusable_kind_names_are_rejected(kind: str) -> None:
    with pytest.raises(ValueError):
        Hasher(FIXED).digest(kind, "value")


def test_sixteen_byte_kind_is_accepted() -> None:
    assert len(Hasher(FIXED).digest("k" * 16, "v")) == 16


def test_key_id_is_public_digest_not_the_key() -> None:
    key = FingerprintKey.generate()
    assert len(key.key_id) == 16
    int(key.key_id, 16)
    assert key.key_id not in key.raw.hex()
    assert key.key_id == FingerprintKey(key.raw).key_id
    assert key.key_id != FingerprintKey.generate().key_id


def test_repr_str_and_format_show_only_key_id() -> None:
    key = FingerprintKey.generate()
    for text in (repr(key), str(key), f"{key}", repr(Hasher(key)), repr([key])):
        assert key.raw.hex() not in text
        assert key.raw.hex().upper() not in text
        assert key.key_id in text


def test_from_hex_round_trip_and_whitespace() -> None:
    key = FingerprintKey.generate()
    assert FingerprintKey.from_hex(f"  {key.raw.hex().upper()}\n") == key


@pytest.mark.parametrize(
    "text", ["", "ab" * 31, "ab" * 33, "zz" * 32, "0x" + "ab" * 31, "ａｂ" * 32]
)
def test_from_hex_rejects_without_echoing_input(text: str) -> None:
    with pytest.raises(KeyFileError) as info:
        FingerprintKey.from_hex(text)
    assert isinstance(info.value, ValueError)  # callers catch ValueError
    if text:
        assert text not in str(info.value)


def test_wrong_raw_size_is_rejected() -> None:
    with pytest.raises(KeyFileError):
        FingerprintKey(b"\x00" * (KEY_SIZE - 1))


def test_write_creates_0600_hex_file_even_with_permissive_umask(tmp_path: Path) -> None:
    key = FingerprintKey.generate()
    path = tmp_path / "leakprint.key"
    old = os.umask(0)
    try:
        key.write(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == key.raw.hex() + "\n"
    assert FingerprintKey.load(path) == key


def test_write_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "k"
    FingerprintKey.generate().write(path)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="exists"):
        FingerprintKey.generate().write(path)
    assert path.read_bytes() == before


def test_load_accepts_raw_bytes(tmp_path: Path) -> None:
    key = FingerprintKey.generate()
    path = tmp_path / "k.bin"
    path.write_bytes(key.raw)
    path.chmod(0o400)
    assert FingerprintKey.load(path) == key


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_load_refuses_group_or_other_access_with_the_fix(tmp_path: Path, mode: int) -> None:
    key = FingerprintKey.generate()
    path = tmp_path / "k"
    path.write_text(key.raw.hex())
    path.chmod(mode)
    with pytest.raises(KeyFileError, match="chmod 600") as info:
        FingerprintKey.load(path)
    assert key.raw.hex() not in str(info.value)


def test_load_rejects_garbage_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "k"
    secretish = "not-a-key-but-maybe-a-password-123"
    path.write_text(secretish)
    path.chmod(0o600)
    with pytest.raises(KeyFileError) as info:
        FingerprintKey.load(path)
    assert secretish not in str(info.value)


def test_keys_compare_by_value() -> None:
    a = FingerprintKey(bytes(32))
    assert a == FingerprintKey(bytes(32))
    assert a != FingerprintKey(bytes(31) + b"\x01")
    assert len({a, FingerprintKey(bytes(32))}) == 1
