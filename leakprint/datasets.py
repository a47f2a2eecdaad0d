"""Registered fingerprint sets: import, list, drop, open."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import select

from fingerprints.fpset import FingerprintSet
from fingerprints.importer import ColumnPlan, ImportFailed, ImportReport, import_file
from fingerprints.keyed import FingerprintKey
from fingerprints.normalizers import NORMALIZER_VERSION
from leakprint import audit
from leakprint.config import Settings
from leakprint.contractors import membership
from leakprint.db import Database, Dataset, SetSecretRow
from leakprint.inputs import InputError, lit
from leakprint.setsecrets import (
    companion_layers,
    create_secret,
    end_secrets,
    forget_secret,
    scrub,
    snapshot,
)

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class DatasetError(InputError):
    """A one-line, user-facing dataset problem (naming the inputs it is about, if any)."""


@dataclass(frozen=True)
class DatasetInfo:
    #: The keys of ``as_json``, in order: the columns of an (empty) listing.
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "id", "name", "path", "key_id", "normalizer_version", "record_count", "kinds",
        "bad_rows", "created_at", "source")

    id: int
    name: str
    path: str
    key_id: str
    normalizer_version: int
    record_count: int
    kinds: dict[str, Any]
    bad_rows: int
    created_at: str
    source_name: str | None = None
    source_sha256: str | None = None

    @classmethod
    def of(cls, row: Dataset) -> DatasetInfo:
        return cls(
            row.id,
            row.name,
            row.path,
            row.key_id,
            row.normalizer_version,
            row.record_count,
            dict(row.kinds),
            row.bad_rows,
            row.created_at.isoformat(),
            row.source_name,
            row.source_sha256,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "path": self.path,
            "key_id": self.key_id,
            "normalizer_version": self.normalizer_version,
            "record_count": self.record_count,
            "kinds": self.kinds,
            "bad_rows": self.bad_rows,
            "created_at": self.created_at,
            "source": {"name": self.source_name, "sha256": self.source_sha256},
        }


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise DatasetError(
            f"dataset name {name!r} must be letters, digits, '.', '_' or '-' (max 100)"
        )
    return name


def import_dataset(
    settings: Settings,
    db: Database,
    path: Path,
    *,
    name: str,
    id_column: str,
    mapping: dict[str, str] | None,
    encoding: str = "auto",
    max_bad_share: float = 0.01,
    replace: bool = False,
    on_plan: Callable[[ColumnPlan, str], None] | None = None,
    progress: Callable[[int], None] | None = None,
    key: FingerprintKey | None = None,
    memory: int | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Fingerprint ``path`` into ``sets_dir/name`` and register it.

    The set gets a fresh per-set secret; the secrets of the sets it replaces are
    destroyed (SPEC 16: copies of the old set match nothing). The source is recorded by
    file name and SHA-256 only. ``memory`` (bytes, all processes) and ``workers`` are
    passed to the streaming build.
    """
    check_name(name)
    key = key or settings.load_key()
    with db.session() as session:
        existing = session.scalars(select(Dataset).where(Dataset.name == name)).first()
        if existing and not replace:
            raise DatasetError.about(f"dataset {lit(name)} exists: drop it first or pass "
                                     "{replace}")
        # Handovers name rows of the set being replaced: keep their references to
        # map them onto the new rows (SPEC 14: membership survives a re-import).
        saved = membership.snapshot(session, name, Path(existing.path)) if existing else {}
    out_dir = settings.sets_dir / name
    if not settings.sets_dir.exists():
        settings.sets_dir.mkdir(parents=True, mode=0o700)
    # The set's own secret (SPEC 16: `fingerprint shred` destroys it), stored first.
    secret = create_secret(db, key, name)
    try:
        report = import_file(
            path,
            dataset=name,
            key=key,
            out_dir=out_dir,
            id_column=id_column,
            mapping=mapping,
            encoding=encoding,
            registry=settings.kinds.registry(),
            max_bad_share=max_bad_share,
            overwrite=replace,
            on_plan=on_plan,
            progress=progress,
            memory=memory,
            workers=workers,
            secret=secret,
        )
    except BaseException:
        forget_secret(db, secret)
        raise
    manifest = report.manifest
    assert manifest is not None
    kinds = {kind: stats.count for kind, stats in manifest.kinds.items()}
    with db.session() as session:
        row = session.scalars(select(Dataset).where(Dataset.name == name)).first()
        if row is None:
            row = Dataset(name=name)
            session.add(row)
        else:  # --replace: the set was built anew, and `fingerprint list` says when
            row.created_at = datetime.now(UTC)
        row.path = str(out_dir)
        row.key_id = manifest.key_id
        row.normalizer_version = manifest.normalizer_version
        row.record_count = manifest.record_count
        row.kinds = kinds
        row.bad_rows = report.bad_rows
        row.source_name = report.source_name
        row.source_sha256 = report.source_sha256
        if saved:
            audit.append(session, "handover.remap",
                         {"dataset": name, **membership.remap(session, saved, out_dir)})
        # The replaced set's secret (and any earlier one a drop or replace kept, before
        # they destroyed it): its copies, a backup or a scanning host's, match nothing.
        ended = end_secrets(session, name, "replace", datetime.now(UTC),
                            keep=companion_layers(out_dir), before=secret.layer_id)
        audit.append(
            session,
            "fingerprint.import",
            {
                "dataset": name,
                "records": manifest.record_count,
                "bad_rows": report.bad_rows,
                "key_id": manifest.key_id,
                "layer": secret.layer_id,
                "ended_layers": ended,
                "kinds": kinds,
                "source": {"name": report.source_name, "sha256": report.source_sha256},
            },
        )
    if ended:
        scrub(db)
    return report


def list_datasets(db: Database) -> list[DatasetInfo]:
    with db.session() as session:
        rows = session.scalars(select(Dataset).order_by(Dataset.name)).all()
        return [DatasetInfo.of(r) for r in rows]


def get_dataset(db: Database, name: str) -> DatasetInfo:
    with db.session() as session:
        row = session.scalars(select(Dataset).where(Dataset.name == name)).first()
        if row is None:
            last = session.execute(
                select(SetSecretRow.shredded_at, SetSecretRow.ended_by)
                .where(SetSecretRow.dataset == name, SetSecretRow.shredded_at.is_not(None))
                .order_by(SetSecretRow.shredded_at.desc())).first()
            # A copy of a shredded set matches nothing (SPEC 16); a dropped name is free.
            if last is not None and last.ended_by in (None, "shred"):
                raise DatasetError(f"dataset {name!r} was shredded on "
                                   f"{last.shredded_at.date().isoformat()}")
            raise DatasetError(f"no dataset named {name!r} (see `leakprint fingerprint list`)")
        return DatasetInfo.of(row)


def drop_dataset(settings: Settings, db: Database, name: str) -> DatasetInfo:
    """Unregister ``name``, destroy its set's secret and delete its files (findings keep
    their record refs). Copies of the set match nothing from then on (SPEC 16); the
    canary companions are left as they are (``fingerprint shred`` takes them too)."""
    with db.session() as session:
        row = session.scalars(select(Dataset).where(Dataset.name == name)).first()
        if row is None:
            raise DatasetError(f"no dataset named {name!r}")
        info = DatasetInfo.of(row)
        ended = end_secrets(session, name, "drop", datetime.now(UTC),
                            keep=companion_layers(Path(info.path)))
        session.delete(row)
        audit.append(session, "fingerprint.drop", {"dataset": name, "layers": ended})
    if ended:
        scrub(db)
    path = Path(info.path)
    if path.is_dir() and path.resolve().parent == settings.sets_dir.resolve():
        shutil.rmtree(path)
    return info


def verify_dataset(
    settings: Settings, db: Database, name: str, key: FingerprintKey | None = None
) -> tuple[DatasetInfo, int]:
    """Open ``name`` and check its manifest MAC and every file's SHA-256.

    Returns the dataset and how many files were checked; a damaged set raises a
    one-line FingerprintSetError naming the file.
    """
    info = get_dataset(db, name)
    key = key or settings.load_key()
    fpset = FingerprintSet.open(Path(info.path), key, normalizer_version=NORMALIZER_VERSION,
                                secrets=snapshot(db, key))
    return info, fpset.verify()


def open_sets(
    settings: Settings,
    db: Database,
    names: list[str] | None = None,
    key: FingerprintKey | None = None,
) -> list[FingerprintSet]:
    """Open the named (default: all) registered sets with the deployment key."""
    infos = [get_dataset(db, n) for n in names] if names else list_datasets(db)
    if not infos:
        raise DatasetError("no fingerprint sets yet: run `leakprint fingerprint import` first")
    key = key or settings.load_key()
    secrets = snapshot(db, key)  # each set's per-set secret (SPEC 16)
    return [
        FingerprintSet.open(Path(i.path), key, normalizer_version=NORMALIZER_VERSION,
                            secrets=secrets)
        for i in infos
    ]


__all__ = [
    "DatasetError",
    "DatasetInfo",
    "ImportFailed",
    "drop_dataset",
    "get_dataset",
    "import_dataset",
    "list_datasets",
    "open_sets",
    "verify_dataset",
]
