"""Per-set secrets in the database, sealing old sets, and crypto-shredding (SPEC 16).

Each fingerprint set is sealed with a random secret of its own (``fingerprints.shred``);
the secret is kept here, in ``set_secrets``, never in the set's files, encrypted with a
key derived from the master key (AES-GCM, bound to the set's layer id). Opening a set
goes through :func:`snapshot`: the live secrets, and for each shredded one the date it
was shredded, so a copy of a shredded set is refused with that date.

``shred`` destroys a dataset's secrets (every generation, its canary companions too),
then deletes its files: every copy of the set anywhere is from then on a table of PRF
outputs under a key nobody holds. ``fingerprint drop`` and ``fingerprint import
--replace`` destroy the old set's secret the same way (:func:`end_secrets`), keeping
the canary companions' (their sets are not dropped or replaced).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from fingerprints.errors import FingerprintSetError
from fingerprints.keyed import FingerprintKey
from fingerprints.manifest import MANIFEST_FILE, Manifest
from fingerprints.normalizers import NORMALIZER_VERSION
from fingerprints.rekey import rekey_set
from fingerprints.shred import SetSecret, StaticSecrets
from leakprint import audit
from leakprint.config import Settings
from leakprint.db import Database, Dataset, SetSecretRow
from leakprint.urlsafe import derive_key
from matchers.companion import companion_dirs, companion_root

SECRET_SEAL = b"leakprint/set-secret/v1"

#: What a copy of a set whose secret is gone is told, by what destroyed the secret
#: (``set_secrets.ended_by``; NULL on tombstones older than the column: shreds).
ENDED_BY = {"shred": "was shredded", "drop": "was dropped",
            "replace": "was replaced by a new import"}


class ShredError(Exception):
    """A one-line, user-facing shredding or sealing problem."""


def _aead(key: FingerprintKey) -> AESGCM:
    return AESGCM(derive_key(key, SECRET_SEAL))


def _seal(key: FingerprintKey, secret: SetSecret) -> bytes:
    nonce = os.urandom(12)
    return nonce + _aead(key).encrypt(nonce, secret.secret, secret.layer_id.encode("ascii"))


def _unseal(aead: AESGCM, layer_id: str, blob: bytes) -> bytes | None:
    try:
        return aead.decrypt(blob[:12], blob[12:], layer_id.encode("ascii"))
    except (InvalidTag, ValueError):
        return None  # another master key: the set's own key check reports it


def create_secret(db: Database, key: FingerprintKey, dataset: str) -> SetSecret:
    """A new secret for a set of ``dataset`` about to be built, stored before the build
    (a build that fails leaves a row no set names; :func:`forget_secret` removes it)."""
    secret = SetSecret.generate()
    with db.session() as session:
        session.add(SetSecretRow(layer_id=secret.layer_id, dataset=dataset,
                                 sealed=_seal(key, secret)))
    return secret


def forget_secret(db: Database, secret: SetSecret) -> None:
    """Remove the row of a secret whose build failed (no set was installed with it)."""
    with db.session() as session:
        row = session.scalars(select(SetSecretRow)
                              .where(SetSecretRow.layer_id == secret.layer_id)).first()
        if row is not None:
            session.delete(row)


def snapshot(db: Database, key: FingerprintKey) -> StaticSecrets:
    """Every live secret, and why each destroyed one is gone (picklable: handed to
    worker processes with the key)."""
    aead = _aead(key)
    live: dict[str, bytes] = {}
    gone: dict[str, str] = {}
    with db.session() as session:
        for row in session.scalars(select(SetSecretRow)):
            if row.shredded_at is not None or row.sealed is None:
                when = row.shredded_at.date().isoformat() if row.shredded_at else "?"
                gone[row.layer_id] = f"{ENDED_BY[row.ended_by or 'shred']} on {when}"
                continue
            secret = _unseal(aead, row.layer_id, row.sealed)
            if secret is not None:
                live[row.layer_id] = secret
    return StaticSecrets(live, gone)


def layer_of(set_dir: Path) -> str | None:
    """The layer id named by the manifest in ``set_dir`` (``None``: unsealed or unreadable)."""
    try:
        manifest = Manifest.from_json((set_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, FingerprintSetError):
        return None
    return str(manifest.layer["id"]) if manifest.layer else None


def companion_layers(set_dir: Path) -> set[str]:
    """The layer ids of the canary companion sets beside the set in ``set_dir``."""
    return {layer for d in companion_dirs(set_dir) if (layer := layer_of(d)) is not None}


def end_secrets(session: Session, dataset: str, ended_by: str, at: datetime, *,
                keep: Collection[str] = (), before: str | None = None) -> list[str]:
    """Destroy the live secrets of ``dataset`` but those in ``keep`` (and, with
    ``before``, those created after that layer's); returns their layer ids.

    Each row's sealed secret is overwritten with NULL and the row kept as a tombstone
    saying when and why (``ended_by``: a key of :data:`ENDED_BY`). Call :func:`scrub`
    once the session is committed.
    """
    stmt = select(SetSecretRow).where(SetSecretRow.dataset == dataset,
                                      SetSecretRow.shredded_at.is_(None))
    if before is not None:
        # An import ends the generations before its own, never a canary companion
        # being minted meanwhile (created after it).
        newest = select(SetSecretRow.id).where(SetSecretRow.layer_id == before)
        stmt = stmt.where(SetSecretRow.id < newest.scalar_subquery())
    rows = [r for r in session.scalars(stmt) if r.layer_id not in keep]
    if rows and session.get_bind().dialect.name == "sqlite":
        # Freed space is zeroed, not left in the file's pages.
        session.execute(text("PRAGMA secure_delete=ON"))
    for row in rows:
        row.sealed = None
        row.shredded_at = at
        row.ended_by = ended_by
    return sorted(r.layer_id for r in rows)


@dataclass
class ShredReport:
    dataset: str
    records: int
    secrets: int
    at: datetime
    deleted: list[str] = field(default_factory=list)


def shred(settings: Settings, db: Database, name: str) -> ShredReport:
    """Destroy every per-set secret of ``name``, unregister it and delete its files.

    Refuses a set built before per-set secrets (its copies cannot be made useless;
    ``rekey`` seals it for the future, ``drop`` deletes its files).
    """
    at = datetime.now(UTC)
    with db.session() as session:
        row = session.scalars(select(Dataset).where(Dataset.name == name)).first()
        secrets = list(session.scalars(select(SetSecretRow).where(
            SetSecretRow.dataset == name, SetSecretRow.shredded_at.is_(None))))
        if row is None and not secrets:
            raise ShredError(f"no dataset named {name!r} with a secret to shred "
                             "(see `leakprint fingerprint list`)")
        path = Path(row.path) if row is not None else settings.sets_dir / name
        if row is not None and path.is_dir() and layer_of(path) is None:
            raise ShredError(
                f"dataset {name!r} was built before per-set secrets: its copies cannot be "
                f"shredded; `leakprint fingerprint rekey {name}` seals it (copies made from "
                "then on can be), `leakprint fingerprint drop` deletes its files")
        layers = end_secrets(session, name, "shred", at)
        records = row.record_count if row is not None else 0
        if row is not None:
            session.delete(row)
        audit.append(session, "fingerprint.shred", {
            "dataset": name, "records": records, "layers": layers})
    scrub(db)
    report = ShredReport(name, records, len(secrets), at)
    # The secrets are gone first: a failure below leaves files that match nothing.
    for d in [path, *companion_dirs(path)]:
        if d.is_dir() and d.resolve().is_relative_to(settings.sets_dir.resolve()):
            shutil.rmtree(d)
            report.deleted.append(str(d))
    root = companion_root(path)
    if root.is_dir() and not any(root.iterdir()):
        root.rmdir()
    return report


def scrub(db: Database) -> None:
    """Best effort to leave no old copy of a destroyed secret in the database's files:
    SQLite's WAL is checkpointed and truncated; PostgreSQL's table rewritten (VACUUM
    FULL). WAL archives, replicas and backups are beyond reach (docs/threat-model.md)."""
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif db.engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM FULL set_secrets")


def rekey(settings: Settings, db: Database, name: str, key: FingerprintKey,
          memory: int | None = None) -> list[str]:
    """Seal the set of ``name`` (and its canary companions) built before per-set
    secrets, from their own files; returns the layer ids made (empty: already sealed)."""
    with db.session() as session:
        row = session.scalars(select(Dataset).where(Dataset.name == name)).first()
        if row is None:
            raise ShredError(f"no dataset named {name!r} (see `leakprint fingerprint list`)")
        path = Path(row.path)
    made: list[str] = []
    for d in [path, *companion_dirs(path)]:
        if layer_of(d) is not None:
            continue
        secret = create_secret(db, key, name)
        try:
            rekey_set(d, key, secret, normalizer_version=NORMALIZER_VERSION, memory=memory)
        except BaseException:
            forget_secret(db, secret)
            raise
        made.append(secret.layer_id)
    if made:
        with db.session() as session:
            audit.append(session, "fingerprint.rekey", {"dataset": name, "layers": made})
    return made


__all__ = [
    "ENDED_BY",
    "ShredError",
    "ShredReport",
    "companion_layers",
    "create_secret",
    "end_secrets",
    "forget_secret",
    "layer_of",
    "rekey",
    "scrub",
    "shred",
    "snapshot",
]
