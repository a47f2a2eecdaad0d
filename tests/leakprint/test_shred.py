"""Crypto-shredding end to end (issue 16.3), on SQLite and on PostgreSQL when configured.

A shredded set's copy, with the master key, is refused with one line saying when it
was shredded, and matches nothing; a set built before per-set secrets is sealed from
its own files after the migration and finds what it found before; the shred is
confirmed, audited, and `audit verify` still passes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import cast

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command

from fingerprints.errors import FingerprintSetError
from fingerprints.fpset import FingerprintSet
from fingerprints.importer import import_file
from fingerprints.keyed import FingerprintKey, Hasher
from fingerprints.kindconfig import registry_from_config
from fingerprints.normalizers import NORMALIZER_VERSION
from leakprint.config import load_settings
from leakprint.db import Dataset, open_database
from leakprint.db.engine import alembic_config, make_engine
from leakprint.setsecrets import layer_of, snapshot
from tests.leakprint.helpers import HEADER, PLANTED, customer_rows, refused, run
from tests.leakprint.sites import db_rows, make_deployment, strong_refs

pytestmark = pytest.mark.slow  # shreds, rekeys and scans through the CLI

CUSTOMERS = PLANTED + customer_rows(300)
BY_REF = {r[0]: r for r in CUSTOMERS}
LEAKED = [f"C{i:07d}" for i in range(20, 45)] + ["P0000001", "P0000002"]
MAPPING = {"氏名": "name", "フリガナ": "name_kana", "電話番号": "phone",
           "メールアドレス": "email", "生年月日": "birthdate", "住所": "address"}


def dump(path: Path, refs: list[str]) -> Path:
    lines = ["name,kana,tel,mail,birthday"] + [
        ",".join([BY_REF[r][1], BY_REF[r][2], BY_REF[r][3], BY_REF[r][4], BY_REF[r][5]])
        for r in refs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def scanned_refs(home: Path, env: dict[str, str], path: Path, *args: str) -> set[str]:
    result = run(home, "scan", "--file", str(path), *args, "--json", env=env)
    assert result.exit_code == 0, result.output
    return {ref for f in json.loads(result.stdout) for ref in strong_refs(f)}


def key_of(home: Path) -> FingerprintKey:
    return FingerprintKey.load(home / "leakprint.key")


def digests(key: FingerprintKey) -> list[bytes]:
    """Every field digest of the planted and leaked customers, by the master key."""
    h, registry = Hasher(key), registry_from_config(None)
    out = []
    for ref in LEAKED:
        for kind, value in zip(HEADER[1:], BY_REF[ref][1:], strict=True):
            for k, canonical in registry.fields_for(MAPPING[kind], value):
                out.append(h.digest(k, canonical))
    return out


@pytest.fixture
def deployed(tmp_path: Path, db_url: str) -> tuple[Path, dict[str, str], str]:
    home = tmp_path / "home"
    return home, make_deployment(home, db_url, CUSTOMERS, dataset="crm"), db_url


def test_a_shredded_sets_copy_is_refused_in_one_line_and_matches_nothing(
    deployed: tuple[Path, dict[str, str], str], tmp_path: Path
) -> None:
    home, env, db_url = deployed
    leak = dump(tmp_path / "leak.csv", LEAKED)
    assert scanned_refs(home, env, leak) == set(LEAKED)
    set_dir = home / "fingerprint-sets" / "crm"
    copy = shutil.copytree(set_dir, tmp_path / "scanning-host" / "crm")  # a backup, a host

    # Without --yes it asks; no answer or "n" leaves everything as it was.
    for answer in (None, b"n\n"):
        declined = run(home, "fingerprint", "shred", "crm", env=env, input=answer)
        assert declined.exit_code == 2, declined.output
        assert "shred dataset 'crm'" in declined.output and "not shredded" in declined.output
        assert set_dir.is_dir()
    done = run(home, "fingerprint", "shred", "crm", env=env, input=b"y\n")
    assert done.exit_code == 0, done.output
    assert "shredded crm on " in done.output and "matches nothing" in done.output
    assert not set_dir.exists()
    assert run(home, "fingerprint", "list", "--json", env=env).stdout.strip() == "[]"
    gone = run(home, "scan", "--file", str(leak), "--dataset", "crm", env=env)
    assert gone.exit_code == 2 and "dataset 'crm' was shredded on " in gone.output

    # The audit log has the shred, and its chain and anchor still verify.
    entries = [row for row in db_rows(db_url, ("audit_log",))["audit_log"]
               if "fingerprint.shred" in row]
    assert len(entries) == 1 and "crm" in json.dumps(entries[0], default=str)
    verify = run(home, "audit", "verify", env=env)
    assert verify.exit_code == 0, verify.output
    # No secret is left in the database, only the tombstone.
    (tomb,) = db_rows(db_url, ("set_secrets",))["set_secrets"]
    assert tomb[3] is None and tomb[5] is not None

    # The copy, with the master key and the deployment's database: one line, with why.
    settings = load_settings(home)
    key = key_of(home)
    message = refused(copy, home, db_url, leak, "was shredded on")
    assert "\n" not in message
    assert "'crm' was shredded on " in message and "secret is gone" in message
    assert str(settings.sets_dir) not in message
    # And whoever bypasses the refusal: the copy's files answer no digest of the key's.
    with pytest.raises(FingerprintSetError, match="per-set secret held in"):
        FingerprintSet.open(copy, key, normalizer_version=NORMALIZER_VERSION)
    from fingerprints.bloom import BloomFilter
    from fingerprints.index import ExactIndex, digest_keys

    bloom = BloomFilter.open(copy / "bloom.bin", key.key_id)
    index = ExactIndex.open(copy)
    probe = np.frombuffer(b"".join(digests(key)), dtype=np.uint8).reshape(-1, 16)
    assert len(probe) > 100
    assert not bloom.contains(probe).any()
    assert not len(index.ranges(digest_keys(probe))[0])


def _downgrade_to_0010(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn, conn.begin():
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0010")
    finally:
        engine.dispose()


def test_a_set_built_before_secrets_is_sealed_after_the_migration_and_finds_the_same(
    tmp_path: Path, db_url: str
) -> None:
    home = tmp_path / "home"
    env = make_deployment(home, db_url, [CUSTOMERS[0]], dataset="tiny")
    # The deployment as it was before migration 0011, with a set built the old way.
    _downgrade_to_0010(db_url)
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        assert "set_secrets" not in sa.inspect(conn).get_table_names()
    engine.dispose()
    src = tmp_path / "customers.csv"
    src.write_text(",".join(HEADER) + "\n" + "\n".join(",".join(r) for r in CUSTOMERS) + "\n",
                   encoding="utf-8")
    key = key_of(home)
    sets_dir = home / "fingerprint-sets"
    report = import_file(src, dataset="old", key=key, out_dir=sets_dir / "old",
                         id_column="顧客ID", mapping=MAPPING)  # no secret: format 2
    assert report.manifest is not None and report.manifest.layer is None
    src.unlink()
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.insert(cast(sa.Table, Dataset.__table__)).values(
            name="old", path=str(sets_dir / "old"), key_id=key.key_id,
            normalizer_version=NORMALIZER_VERSION, record_count=len(CUSTOMERS),
            kinds={}, bad_rows=0, created_at=sa.func.now()))
    engine.dispose()
    leak = dump(tmp_path / "leak.csv", LEAKED)
    # Any command migrates the database (0011); the old set is listed as not sealed...
    listed = json.loads(run(home, "fingerprint", "list", "--json", env=env).stdout)
    assert {d["name"]: d["sealed"] for d in listed} == {"old": False, "tiny": True}
    # ... still scans, unsealed, ...
    before = run(home, "scan", "--file", str(leak), "--dataset", "old", "--json", env=env)
    assert before.exit_code == 0, before.output
    found = {ref for f in json.loads(before.stdout) for ref in strong_refs(f)}
    assert found == set(LEAKED)
    # ... and cannot be shredded until it is sealed.
    early = run(home, "fingerprint", "shred", "old", "--yes", env=env)
    assert early.exit_code == 2 and "fingerprint rekey old" in early.output
    sealed = run(home, "fingerprint", "rekey", "--all", "--json", env=env)
    assert sealed.exit_code == 0, sealed.output
    layers = json.loads(sealed.stdout)["sealed"]
    assert len(layers["old"]) == 1 and layers["tiny"] == []  # the new import was sealed
    manifest = json.loads((sets_dir / "old" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == 3 and manifest["layer"]["id"] == layers["old"][0]
    assert run(home, "fingerprint", "verify", "old", env=env).exit_code == 0
    after = dump(tmp_path / "leak-again.csv", list(reversed(LEAKED)))
    # (--dataset: the downgrade above dropped the secret of the deployment's own set)
    assert scanned_refs(home, env, after, "--dataset", "old") == found
    again = run(home, "fingerprint", "rekey", "old", env=env)
    assert again.exit_code == 0 and "old: already sealed" in again.output
    # Sealed now: shredding it makes its copies useless.
    copy = shutil.copytree(sets_dir / "old", tmp_path / "copy")
    assert run(home, "fingerprint", "shred", "old", "--yes", env=env).exit_code == 0
    db = open_database(db_url)
    try:
        with pytest.raises(FingerprintSetError, match="'old' was shredded on "):
            FingerprintSet.open(copy, key, normalizer_version=NORMALIZER_VERSION,
                                secrets=snapshot(db, key))
    finally:
        db.close()
    assert run(home, "audit", "verify", env=env).exit_code == 0


def test_shred_takes_the_canary_companions_with_it(
    deployed: tuple[Path, dict[str, str], str], tmp_path: Path
) -> None:
    home, env, db_url = deployed
    assert run(home, "contractor", "add", "dm-print", env=env).exit_code == 0
    minted = run(home, "canary", "mint", "--contractor", "dm-print", "--dataset", "crm",
                 "--count", "2", "--email-domain", "canary.example.jp",
                 "--out", str(tmp_path / "canaries.csv"), env=env)
    assert minted.exit_code == 0, minted.output
    root = home / "fingerprint-sets" / ".canaries" / "crm"
    (batch,) = list(root.iterdir())
    assert layer_of(batch) is not None  # the companion has a secret of its own
    copy = shutil.copytree(batch, tmp_path / "copy-of-canaries")
    done = run(home, "fingerprint", "shred", "crm", "--yes", env=env)
    assert done.exit_code == 0, done.output
    assert "2 per-set secret(s) destroyed, 2 set folder(s) deleted" in done.output
    assert not root.exists()
    key = key_of(home)
    db = open_database(db_url)
    try:
        with pytest.raises(FingerprintSetError, match="'crm' was shredded on "):
            FingerprintSet.open(copy, key, normalizer_version=NORMALIZER_VERSION,
                                secrets=snapshot(db, key))
    finally:
        db.close()
