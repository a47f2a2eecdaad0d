"""Record membership of handovers: Roaring bitmaps over a set's rows, kept by reference.

A handover's bitmap names rows of the dataset's fingerprint set as it was when the
bitmap was written (``set_digest``: the SHA-256 of the set's ``refs.txt`` in its
manifest). Rows are only meaningful with that set; the references are what
survives a rebuild, so a re-import maps every bitmap old row → reference → new
row (:func:`snapshot` before the rebuild, :func:`remap` after).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pyroaring import BitMap
from sqlalchemy import select
from sqlalchemy.orm import Session

from fingerprints.index import REFS_FILE, RefStore
from fingerprints.manifest import MANIFEST_FILE, Manifest
from leakprint.db import Handover


class MembershipError(Exception):
    """A one-line, user-facing problem with a set's references."""


@dataclass(frozen=True)
class SetRefs:
    """The references of one built set, row by row, without the key."""

    directory: Path
    record_count: int
    digest: str
    refs: RefStore

    @classmethod
    def open(cls, directory: Path) -> SetRefs:
        try:
            manifest = Manifest.from_json((directory / MANIFEST_FILE).read_text("utf-8"))
        except OSError:
            raise MembershipError(
                f"fingerprint set {directory} is missing: import the dataset again") from None
        digest = str(manifest.files.get(REFS_FILE, {}).get("sha256", ""))
        refs = RefStore(directory, manifest.record_count)
        return cls(directory, manifest.record_count, digest, refs)

    def rows_of(self, wanted: Iterable[str]) -> tuple[BitMap, list[str]]:
        """The rows holding ``wanted`` references, and the references not in the set.

        One pass over ``refs.txt`` (its lines are the rows, in order).
        """
        want = set(wanted)
        rows = BitMap()
        if not want:
            return rows, []
        with (self.directory / REFS_FILE).open("rb") as fh:
            for row, line in enumerate(fh):
                ref = line[:-1].decode("utf-8")
                if ref in want:
                    rows.add(row)
                    want.discard(ref)
                    if not want:
                        break
        return rows, sorted(want)

    def refs_of(self, rows: BitMap) -> list[str]:
        """The references of ``rows``."""
        return [self.refs[r] for r in rows]

    def all_rows(self) -> BitMap:
        return BitMap(range(self.record_count))


def to_bytes(rows: BitMap) -> bytes:
    rows.run_optimize()
    return bytes(rows.serialize())


def from_bytes(blob: bytes) -> BitMap:
    return BitMap.deserialize(blob) if blob else BitMap()


def snapshot(session: Session, dataset: str, set_dir: Path) -> dict[int, list[str]]:
    """Before a rebuild of ``dataset``: each handover's references, by handover id."""
    handovers = list(session.scalars(select(Handover).where(Handover.dataset == dataset)))
    if not handovers or not (set_dir / MANIFEST_FILE).is_file():
        return {}
    refs = SetRefs.open(set_dir)
    return {h.id: refs.refs_of(from_bytes(h.members)) for h in handovers}


def remap(session: Session, saved: dict[int, list[str]], set_dir: Path) -> dict[str, int]:
    """After a rebuild: point each saved handover at the new rows of its references.

    Returns ``{"handovers": n, "kept": records still in the set, "lost": gone}``.
    """
    if not saved:
        return {"handovers": 0, "kept": 0, "lost": 0}
    refs = SetRefs.open(set_dir)
    wanted = {ref for group in saved.values() for ref in group}
    rows, _ = refs.rows_of(wanted)
    row_of = {refs.refs[r]: r for r in rows}
    kept = lost = 0
    for handover_id, group in saved.items():
        handover = session.get(Handover, handover_id)
        if handover is None:
            continue
        new = BitMap(row_of[ref] for ref in group if ref in row_of)
        kept += len(new)
        lost += len(group) - len(new)
        handover.members = to_bytes(new)
        handover.record_count = len(new)
        handover.set_digest = refs.digest
    return {"handovers": len(saved), "kept": kept, "lost": lost}


__all__ = ["MembershipError", "SetRefs", "from_bytes", "remap", "snapshot", "to_bytes"]
