"""The per-set layer (issue 16.3): sealed builds, rewrites of old sets, shredded copies."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from fingerprints.errors import FingerprintSetError
from fingerprints.fpset import FingerprintSet, FingerprintSetBuilder
from fingerprints.keyed import FingerprintKey, Hasher
from fingerprints.manifest import LAYERED_FORMAT_VERSION, MANIFEST_FILE, SET_FORMAT_VERSION
from fingerprints.rekey import rekey_set
from fingerprints.shred import SetLayer, SetSecret, StaticSecrets
from matchers.probe import DigestProber
from tests.fingerprints.factories import KEY, NV, build, record_fields

SECRET = SetSecret("00112233aabbccdd", bytes(range(32)))
SECRETS = StaticSecrets({SECRET.layer_id: SECRET.secret})


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())
            if p.name not in (MANIFEST_FILE, ".verified")}


def test_the_layer_is_keyed_blake2b_of_the_stored_eight_bytes() -> None:
    # The vector a compiled core must reproduce bit for bit.
    digest = bytes(range(16))
    want = hashlib.blake2b(digest[:8], key=SECRET.secret, digest_size=16,
                           person=b"lp-set-layer").digest()
    layer = SetLayer(SECRET.secret)
    assert layer.one(digest) == want
    assert layer.blob(digest * 3) == want * 3
    keys = np.frombuffer(digest[:8], dtype="<u8")
    assert layer.keys(keys).tobytes() == want
    assert layer.digests(np.frombuffer(digest, dtype=np.uint8).reshape(1, 16)).tobytes() == want
    assert "00010203" not in repr(layer) and SECRET.secret.hex() not in repr(SECRET)


def test_a_sealed_set_finds_what_an_unsealed_one_finds(tmp_path: Path) -> None:
    build(tmp_path / "sealed", n=300, secret=SECRET)
    fpset = FingerprintSet.open(tmp_path / "sealed", KEY, normalizer_version=NV, secrets=SECRETS)
    assert fpset.manifest.format_version == LAYERED_FORMAT_VERSION
    assert fpset.manifest.layer == SECRET.info()
    h = Hasher(KEY)
    for i in (0, 7, 10, 299):
        for kind, value in record_fields(i):
            hits = fpset.lookup([h.digest(kind, value)], kind)[0]
            assert any(hit.row == i for hit in hits)
    prober = DigestProber(fpset)
    assert prober.probe([("email", "user.42@example.jp")])[0] == ((42, "email"),)
    assert prober.hits_of_kind("phone", ["+819000000042", "+819099999999"]) == (
        [0], [((42, "phone"),)])
    # The stored digests are not the master key's: the bare digest is not in the set.
    raw = np.frombuffer(h.digest("email", "user.42@example.jp"), dtype=np.uint8).reshape(1, 16)
    assert not fpset.bloom.contains(raw)[0]


def test_a_sealed_set_needs_its_secret_and_names_why(tmp_path: Path) -> None:
    build(tmp_path / "s", n=50, secret=SECRET)
    with pytest.raises(FingerprintSetError, match="per-set secret held in") as none:
        FingerprintSet.open(tmp_path / "s", KEY, normalizer_version=NV)
    gone = StaticSecrets(gone={SECRET.layer_id: "was shredded on 2026-12-04"})
    with pytest.raises(FingerprintSetError, match="shredded on 2026-12-04") as shredded:
        FingerprintSet.open(tmp_path / "s", KEY, normalizer_version=NV, secrets=gone)
    with pytest.raises(FingerprintSetError, match="not in this deployment's database"):
        FingerprintSet.open(tmp_path / "s", KEY, normalizer_version=NV, secrets=StaticSecrets())
    wrong = StaticSecrets({SECRET.layer_id: bytes(32)})
    with pytest.raises(FingerprintSetError, match="not this set's"):
        FingerprintSet.open(tmp_path / "s", KEY, normalizer_version=NV, secrets=wrong)
    for exc in (none.value, shredded.value):
        assert "\n" not in str(exc) and SECRET.secret.hex() not in str(exc)


def test_an_old_set_rewritten_from_its_own_files_equals_a_sealed_build(tmp_path: Path) -> None:
    build(tmp_path / "old", n=400)
    build(tmp_path / "fresh", n=400, secret=SECRET)
    before = FingerprintSet.open(tmp_path / "old", KEY, normalizer_version=NV)
    assert before.manifest.format_version == SET_FORMAT_VERSION and before.layer is None
    del before
    manifest = rekey_set(tmp_path / "old", KEY, SECRET, normalizer_version=NV, memory=64 << 20)
    assert manifest.layer == SECRET.info()
    assert _files(tmp_path / "old") == _files(tmp_path / "fresh")
    rewritten = FingerprintSet.open(tmp_path / "old", KEY, normalizer_version=NV,
                                    secrets=SECRETS)
    assert rewritten.verify() == len(manifest.files)  # re-sealed: MAC and every SHA-256
    h = Hasher(KEY)
    assert [hit.row for hit in rewritten.lookup([h.digest("phone", "+819000000123")])[0]] \
        == [123]
    with pytest.raises(FingerprintSetError, match="sealed with a per-set secret"):
        rekey_set(tmp_path / "old", KEY, SECRET, normalizer_version=NV)


def test_a_copy_with_the_master_key_but_no_secret_matches_nothing(tmp_path: Path) -> None:
    build(tmp_path / "s", n=100, secret=SECRET)
    shutil.copytree(tmp_path / "s", tmp_path / "copy")
    # Someone holding the copy and the master key, trying the digests by hand.
    copy = FingerprintSet.open(tmp_path / "copy", KEY, normalizer_version=NV, secrets=SECRETS)
    copy.layer = None  # what the files answer without the secret
    h = Hasher(KEY)
    digests = [h.digest(kind, value) for i in range(100) for kind, value in record_fields(i)]
    assert not any(copy.lookup(digests))
    other = SetLayer(bytes(32))  # or a guessed secret
    copy.layer = other
    assert not any(copy.lookup(digests))


def test_the_builder_refuses_nothing_it_took_before(tmp_path: Path) -> None:
    # add_hashed and add_batch go through the same layer as add_record.
    b = FingerprintSetBuilder(tmp_path / "s", "d1", KEY, normalizer_version=NV, secret=SECRET)
    h = Hasher(KEY)
    b.add_hashed("R0", ["phone"], h.digest("phone", "+819011112222"), [13])
    b.finish()
    fpset = FingerprintSet.open(tmp_path / "s", KEY, normalizer_version=NV, secrets=SECRETS)
    assert fpset.lookup([h.digest("phone", "+819011112222")])[0][0].row == 0
    other = FingerprintKey(bytes(32))
    with pytest.raises(FingerprintSetError, match="key id"):
        FingerprintSet.open(tmp_path / "s", other, normalizer_version=NV, secrets=SECRETS)
