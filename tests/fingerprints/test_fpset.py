"""Fingerprint sets: round trip, refusals, privacy of the files, atomic builds."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from fingerprints import fpset
from fingerprints.errors import FingerprintSetError
from fingerprints.fpset import (
    FingerprintSet,
    FingerprintSetBuilder,
    Hit,
)
from fingerprints.keyed import FingerprintKey, Hasher
from fingerprints.manifest import SET_FORMAT_VERSION, Manifest
from tests.fingerprints.factories import KEY, NV, build, record_fields


@pytest.fixture(scope="module")
def set_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sets") / "d1"
    build(directory, kind_config={"customer_id": {"regex": "C[0-9]{7}"}})
    return directory


@pytest.fixture(scope="module")
def opened(set_dir: Path) -> FingerprintSet:
    return FingerprintSet.open(set_dir, KEY, normalizer_version=NV)


def test_every_field_is_found_with_its_row_and_kind(opened: FingerprintSet) -> None:
    h = Hasher(KEY)
    for i in range(1000):
        fields = record_fields(i)
        digests = [h.digest(kind, value) for kind, value in fields]
        hits = opened.lookup(digests, [kind for kind, _ in fields])
        for (kind, _), found in zip(fields, hits, strict=True):
            assert Hit(i, kind) in found


def test_shared_value_lists_every_record(opened: FingerprintSet) -> None:
    [hits] = opened.lookup([opened.hasher.digest("postal_code", "1050011")], "postal_code")
    assert sorted(h.row for h in hits) == [i for i in range(1000) if i % 10]
    assert {h.kind for h in hits} == {"postal_code"}


def test_non_members_and_wrong_kinds_find_nothing(opened: FingerprintSet) -> None:
    h = opened.hasher
    digests = [h.digest("phone", "+819999999999"), h.digest("email", "+819000000001")]
    assert opened.lookup(digests) == [[], []]
    as_array = np.frombuffer(b"".join(digests), np.uint8).reshape(-1, 16)
    assert not opened.maybe_contains(as_array).any()


def test_kind_check_drops_hits_of_another_kind(opened: FingerprintSet) -> None:
    digest = opened.hasher.digest("phone", "+819000000001")
    assert opened.lookup([digest], ["email"]) == [[]]
    assert opened.lookup([digest], ["phone"]) == [[Hit(1, "phone")]]
    with pytest.raises(ValueError):
        opened.lookup([digest, digest], ["phone"])


def test_refs_and_record_fields_round_trip(opened: FingerprintSet) -> None:
    assert opened.record_count == 1000
    assert [opened.record_ref(i) for i in (0, 1, 999)] == ["R00000", "R00001", "R00999"]
    fields = opened.record_fields(3)
    assert [k for k, _ in fields] == [k for k, _ in record_fields(3)]
    d = opened.hasher.digest("email", "user.3@example.jp")
    assert ("email", int.from_bytes(d[:8], "little")) in fields
    assert [k for k, _ in opened.record_fields(10)] == ["phone", "email"]


def test_record_refs_in_one_batch_equal_one_at_a_time(opened: FingerprintSet) -> None:
    rows = [999, 0, 5, 5, 321, 1]
    assert opened.record_refs(rows) == [opened.record_ref(r) for r in rows]
    assert opened.record_refs([]) == []
    for bad in ([3, 1000], [-1]):
        with pytest.raises(IndexError, match=f"row {bad[-1]} is outside the set"):
            opened.record_refs(bad)


def test_manifest_statistics(opened: FingerprintSet) -> None:
    m = opened.manifest
    assert (m.dataset, m.key_id, m.normalizer_version) == ("d1", KEY.key_id, 1)
    assert m.record_count == 1000
    assert m.kinds["phone"].count == 1000
    assert m.kinds["postal_code"].count == 900
    assert m.kinds["name_kana"].lengths == [3, 4, 5, 6, 7]
    assert (m.kinds["name_kana"].min_len, m.kinds["name_kana"].max_len) == (3, 7)
    assert opened.kind_lengths("name") == [3, 4, 5]
    assert opened.kind_lengths("customer_id") == []
    assert m.filter.count == 1000 * 2 + 900 * 4 + 0
    assert m.filter.probes == 20 and m.filter.fp_rate < 1.1e-6
    assert m.kind_config == {"customer_id": {"regex": "C[0-9]{7}"}}
    assert m.built_at.endswith("Z")
    assert Manifest.from_json(m.to_json()) == m


def test_wrong_key_is_refused_without_showing_either_key(set_dir: Path) -> None:
    other = FingerprintKey.generate()
    with pytest.raises(FingerprintSetError, match="use the key it was built with") as info:
        FingerprintSet.open(set_dir, other, normalizer_version=NV)
    message = str(info.value)
    assert KEY.key_id in message and other.key_id in message
    assert KEY.raw.hex() not in message and other.raw.hex() not in message


def test_wrong_normalizer_version_is_refused(set_dir: Path) -> None:
    with pytest.raises(FingerprintSetError, match="normalizer version 1, this leakprint uses 2"):
        FingerprintSet.open(set_dir, KEY, normalizer_version=2)


def test_not_a_set_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FingerprintSetError, match="not a fingerprint set"):
        FingerprintSet.open(tmp_path, KEY, normalizer_version=NV)


def copy_set(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for p in src.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())
    return dst


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "index_rows.npy").unlink(), "missing"),
        (lambda d: (d / "bloom.bin").write_bytes((d / "bloom.bin").read_bytes()[:-8]), "size"),
        (lambda d: (d / "manifest.json").write_text("{not json"), "malformed"),
        (lambda d: (d / "refs.txt").write_text("x\n"), "size"),
    ],
)
def test_damaged_sets_are_refused(
    set_dir: Path, tmp_path: Path, damage: Callable[[Path], object], message: str
) -> None:
    copy = copy_set(set_dir, tmp_path / "copy")
    damage(copy)
    with pytest.raises(FingerprintSetError, match=message):
        FingerprintSet.open(copy, KEY, normalizer_version=NV)


def test_verify_finds_a_flipped_byte(set_dir: Path, tmp_path: Path) -> None:
    copy = copy_set(set_dir, tmp_path / "copy")
    FingerprintSet.open(copy, KEY, normalizer_version=NV).verify()
    data = bytearray((copy / "index_keys.npy").read_bytes())
    data[-1] ^= 1
    (copy / "index_keys.npy").write_bytes(bytes(data))
    with pytest.raises(FingerprintSetError, match=r"index_keys\.npy is damaged"):
        FingerprintSet.open(copy, KEY, normalizer_version=NV).verify()


def test_no_raw_value_or_key_in_any_file(tmp_path: Path) -> None:
    planted = [
        ("email", "zyxwv.planted.canary@leakprint-test.invalid"),
        ("name", "髙橋植込花子"),
        ("name_kana", "タカハシウエコミハナコ"),
        ("address", "東京都港区虎ノ門9-9-9"),
        ("phone", "+819087654321"),
        ("customer_id", "CANARY0042"),
    ]
    directory = tmp_path / "planted"
    builder = FingerprintSetBuilder(directory, "planted", KEY, normalizer_version=NV)
    builder.add_record("REF-1", planted)
    for i in range(50):
        builder.add_record(f"REF-{i + 2}", record_fields(i))
    builder.finish()
    blob = b"".join(p.read_bytes() for p in sorted(directory.iterdir()))
    needles = [v.encode() for _, v in planted] + [v.encode("utf-16-le") for _, v in planted]
    needles += [b"09087654321", b"9087654321", KEY.raw, KEY.raw.hex().encode()]
    needles += [KEY.raw.hex().upper().encode(), KEY.raw[:16], KEY.raw[16:]]
    for needle in needles:
        assert needle not in blob, needle
    assert b"REF-1\n" in blob  # the operator's own reference is what a set stores


def test_unfinished_build_leaves_nothing(tmp_path: Path) -> None:
    builder = FingerprintSetBuilder(tmp_path / "d", "d", KEY, normalizer_version=NV)
    builder.add_record("r", [("phone", "+819012345678")])
    del builder
    assert list(tmp_path.iterdir()) == []


def test_failed_build_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(fpset, "write_fsync", boom)
    builder = FingerprintSetBuilder(tmp_path / "d", "d", KEY, normalizer_version=NV)
    builder.add_record("r", [("phone", "+819012345678")])
    with pytest.raises(OSError, match="disk full"):
        builder.finish()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(FingerprintSetError, match="already finished or been aborted"):
        builder.finish()  # a failed builder is spent: its buffers were released


def test_abort_discards(tmp_path: Path) -> None:
    builder = FingerprintSetBuilder(tmp_path / "d", "d", KEY, normalizer_version=NV)
    builder.add_record("r", [("phone", "+819012345678")])
    builder.abort()
    with pytest.raises(FingerprintSetError):
        builder.finish()
    assert list(tmp_path.iterdir()) == []


def test_existing_set_is_not_overwritten_unless_asked(tmp_path: Path) -> None:
    directory = tmp_path / "d"
    build(directory, n=20)
    with pytest.raises(FingerprintSetError, match="already exists"):
        FingerprintSetBuilder(directory, "d", KEY, normalizer_version=NV)
    build(directory, n=30, overwrite=True)
    assert FingerprintSet.open(directory, KEY, normalizer_version=NV).record_count == 30
    assert [p.name for p in tmp_path.iterdir()] == ["d"]


def test_empty_directory_may_be_reused(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    build(tmp_path / "d", n=5)
    assert FingerprintSet.open(tmp_path / "d", KEY, normalizer_version=NV).record_count == 5


def test_empty_set_builds_and_opens(tmp_path: Path) -> None:
    FingerprintSetBuilder(tmp_path / "e", "e", KEY, normalizer_version=NV).finish()
    s = FingerprintSet.open(tmp_path / "e", KEY, normalizer_version=NV)
    assert s.record_count == 0
    assert s.lookup([s.hasher.digest("phone", "+819012345678")]) == [[]]


def test_repeated_pairs_in_a_record_are_stored_once(tmp_path: Path) -> None:
    builder = FingerprintSetBuilder(tmp_path / "d", "d", KEY, normalizer_version=NV)
    builder.add_record("r", [("phone", "+819012345678")] * 3 + [("email", "+819012345678")])
    manifest = builder.finish()
    assert manifest.kinds["phone"].count == 1
    s = FingerprintSet.open(tmp_path / "d", KEY, normalizer_version=NV)
    assert [k for k, _ in s.record_fields(0)] == ["phone", "email"]


def test_declared_kinds_are_enforced(tmp_path: Path) -> None:
    builder = FingerprintSetBuilder(
        tmp_path / "d", "d", KEY, normalizer_version=NV, kinds=["phone", "email"]
    )
    with pytest.raises(ValueError, match="not declared"):
        builder.add_record("r", [("name", "山田太郎")])
    builder.add_record("r", [("email", "a@b.jp")])
    assert builder.finish().kind_codes == ["phone", "email"]


@pytest.mark.parametrize("ref", ["", "a\nb", "a\rb"])
def test_bad_refs_are_rejected(tmp_path: Path, ref: str) -> None:
    builder = FingerprintSetBuilder(tmp_path / "d", "d", KEY, normalizer_version=NV)
    with pytest.raises(ValueError):
        builder.add_record(ref, [("phone", "+819012345678")])


def test_normalizer_version_defaults_to_the_normalizers_module(
    set_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The short contract form open(directory, key) checks against NORMALIZER_VERSION.
    fake = types.ModuleType("fingerprints.normalizers")
    # Ignored below: a stand-in module object given the attribute the set checks.
    fake.NORMALIZER_VERSION = 1  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fingerprints.normalizers", fake)
    assert FingerprintSet.open(set_dir, KEY).record_count == 1000
    # Ignored below: a stand-in module object given the attribute the set checks.
    fake.NORMALIZER_VERSION = 2  # type: ignore[attr-defined]
    with pytest.raises(FingerprintSetError, match="re-fingerprint"):
        FingerprintSet.open(set_dir, KEY)
    del fake.NORMALIZER_VERSION
    with pytest.raises(FingerprintSetError, match="normalizer_version"):
        FingerprintSet.open(set_dir, KEY)


def test_bad_field_leaves_no_trace_of_the_record(tmp_path: Path) -> None:
    builder = FingerprintSetBuilder(tmp_path / "d", "d", KEY, normalizer_version=NV)
    builder.add_record("ok", [("phone", "+819012345678")])
    with pytest.raises(ValueError):
        builder.add_record("bad", [("phone", "+819011112222"), ("x" * 17, "v")])
    assert builder.record_count == 1
    manifest = builder.finish()
    assert manifest.record_count == 1
    assert manifest.kinds["phone"].count == 1
    assert manifest.filter.count == 1


def test_future_manifest_format_is_refused(set_dir: Path, tmp_path: Path) -> None:
    copy = copy_set(set_dir, tmp_path / "copy")
    text = (copy / "manifest.json").read_text()
    current = f'"format_version": {SET_FORMAT_VERSION}'
    assert current in text
    (copy / "manifest.json").write_text(text.replace(current, '"format_version": 9'))
    with pytest.raises(FingerprintSetError, match="format version 9"):
        FingerprintSet.open(copy, KEY, normalizer_version=NV)


def test_kind_config_must_be_json(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="JSON"):
        FingerprintSetBuilder(
            tmp_path / "d", "d", KEY, normalizer_version=NV, kind_config={"x": object()}
        )
