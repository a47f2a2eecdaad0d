"""The contractor ledger (SPEC 14): contractors, sub-contractors, handovers.

Every change is appended to the audit log inside the same transaction. Errors are
:class:`LedgerError`: one line, never a record value (references are named only
by count).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pyroaring import BitMap
from sqlalchemy import select
from sqlalchemy.orm import Session

from leakprint import audit
from leakprint.contractors.membership import MembershipError, SetRefs, from_bytes, to_bytes
from leakprint.datasets import DatasetError, get_dataset
from leakprint.db import Canary, Contractor, Database, Handover

CONTRACTS = ("entrustment", "external-service")
MAX_NAME = 200


class LedgerError(Exception):
    """A one-line, user-facing ledger problem (exit status 2)."""


def contractor_by_name(session: Session, name: str) -> Contractor:
    row = session.scalars(select(Contractor).where(Contractor.name == name)).first()
    if row is None:
        raise LedgerError(f"no contractor named {name!r} (see `leakprint contractor list`)")
    return row


def chain_of(session: Session, contractor: Contractor) -> list[str]:
    """Names from the top contractor down to ``contractor``."""
    names = [contractor.name]
    seen = {contractor.id}
    row = contractor
    while row.parent_id is not None and row.parent_id not in seen:
        seen.add(row.parent_id)
        parent = session.get(Contractor, row.parent_id)
        if parent is None:
            break
        names.append(parent.name)
        row = parent
    return names[::-1]


def add_contractor(db: Database, name: str, *, parent: str | None = None,
                   contract: str = "entrustment", note: str = "") -> dict[str, Any]:
    """Register a contractor (or a sub-contractor of ``parent``)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or "\n" in name:
        raise LedgerError("a contractor name must be one non-empty line of at most 200 characters")
    if contract not in CONTRACTS:
        raise LedgerError(f"--contract must be one of {', '.join(CONTRACTS)}")
    with db.session() as session:
        if session.scalars(select(Contractor).where(Contractor.name == name)).first():
            raise LedgerError(f"contractor {name!r} exists already")
        parent_row = contractor_by_name(session, parent) if parent else None
        row = Contractor(name=name, parent_id=parent_row.id if parent_row else None,
                         contract=contract, note=note)
        session.add(row)
        session.flush()
        audit.append(session, "contractor.add", {
            "contractor": name, "parent": parent, "contract": contract})
        return contractor_json(session, row)


#: The keys of each entry of ``list_contractors`` and ``list_handovers``, in order: the
#: columns of an (empty) listing.
CONTRACTOR_COLUMNS = ("id", "name", "parent", "contract", "note", "chain", "created_at",
                      "depth", "children")
HANDOVER_COLUMNS = ("id", "contractor", "dataset", "date", "purpose", "records", "canaries",
                    "created_at")


def contractor_json(session: Session, row: Contractor) -> dict[str, Any]:
    parent = session.get(Contractor, row.parent_id) if row.parent_id else None
    return {"id": row.id, "name": row.name, "parent": parent.name if parent else None,
            "contract": row.contract, "note": row.note, "chain": chain_of(session, row),
            "created_at": row.created_at.isoformat()}


def list_contractors(db: Database) -> list[dict[str, Any]]:
    """Every contractor as a tree, depth first: each entry has ``depth`` and ``children``."""
    with db.session() as session:
        rows = list(session.scalars(select(Contractor).order_by(Contractor.name)))
        kids: dict[int | None, list[Contractor]] = {}
        for row in rows:
            kids.setdefault(row.parent_id, []).append(row)

        def tree(row: Contractor, depth: int) -> dict[str, Any]:
            item = contractor_json(session, row)
            item["depth"] = depth
            item["children"] = [tree(k, depth + 1) for k in kids.get(row.id, [])]
            return item

        return [tree(r, 0) for r in kids.get(None, [])]


def show_contractor(db: Database, name: str) -> dict[str, Any]:
    """One contractor with its handovers, canary counts and sub-contractors."""
    with db.session() as session:
        row = contractor_by_name(session, name)
        item = contractor_json(session, row)
        item["subcontractors"] = [c.name for c in session.scalars(
            select(Contractor).where(Contractor.parent_id == row.id).order_by(Contractor.name))]
        item["handovers"] = [handover_json(session, h) for h in session.scalars(
            select(Handover).where(Handover.contractor_id == row.id).order_by(Handover.id))]
        counts: dict[str, int] = {}
        for c in session.scalars(select(Canary).where(Canary.contractor_id == row.id)):
            counts[c.dataset] = counts.get(c.dataset, 0) + 1
        item["canaries"] = counts
        return item


def handover_json(session: Session, h: Handover) -> dict[str, Any]:
    who = session.get(Contractor, h.contractor_id)
    return {"id": h.id, "contractor": who.name if who else None, "dataset": h.dataset,
            "date": h.handed_on.isoformat() if h.handed_on else None, "purpose": h.purpose,
            "records": h.record_count, "canaries": h.canaries,
            "created_at": h.created_at.isoformat()}


def holdings(session: Session, contractor_id: int, dataset: str,
             set_digest: str | None = None) -> BitMap:
    """Union of the rows of ``dataset`` handed to a contractor.

    With ``set_digest`` (the current set's), handovers recorded against another build
    of the set are left out: their rows would name other records (a set dropped and
    imported anew, rather than ``--replace``d, is not remapped).
    """
    held = BitMap()
    for h in session.scalars(select(Handover).where(Handover.contractor_id == contractor_id,
                                                    Handover.dataset == dataset)):
        if set_digest is not None and h.record_count and h.set_digest != set_digest:
            continue
        held |= from_bytes(h.members)
    return held


def stale_handovers(session: Session, dataset: str, set_digest: str) -> int:
    """Handovers of ``dataset`` whose rows belong to another build of its set."""
    return sum(1 for h in session.scalars(select(Handover).where(Handover.dataset == dataset))
               if h.record_count and h.set_digest != set_digest)


def read_refs(path: Path, column: str | None = None) -> list[str]:
    """References from a file: one a line, or the ``column`` of a CSV (UTF-8, BOM ok)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"cannot read {path}: {type(exc).__name__}") from None
    if column is None:
        return [line.strip() for line in text.splitlines() if line.strip()]
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or column not in reader.fieldnames:
        raise LedgerError(f"{path} has no column {column!r}")
    return [r[column].strip() for r in reader if (r.get(column) or "").strip()]


def add_handover(db: Database, *, contractor: str, dataset: str, everything: bool = False,
                 refs: Sequence[str] | None = None, handed_on: date | None = None,
                 purpose: str = "") -> dict[str, Any]:
    """Record that ``refs`` (or every record, ``everything``) of ``dataset`` went to
    ``contractor``; a sub-contractor's records must all be held by its parent."""
    if everything == (refs is not None):
        raise LedgerError("give exactly one of --all or --refs")
    try:
        info = get_dataset(db, dataset)
        set_refs = SetRefs.open(Path(info.path))
    except (DatasetError, MembershipError) as exc:
        raise LedgerError(str(exc)) from None
    missing: list[str] = []
    if everything:
        rows = set_refs.all_rows()
    else:
        rows, missing = set_refs.rows_of(refs or ())
    if missing:
        raise LedgerError(f"{len(missing)} of the given references are not in dataset "
                          f"{dataset!r}: check the file and --ref-column")
    if not rows:
        raise LedgerError("no references given")
    with db.session() as session:
        who = contractor_by_name(session, contractor)
        if who.parent_id is not None:
            outside = rows - holdings(session, who.parent_id, dataset, set_refs.digest)
            if outside:
                parent = session.get(Contractor, who.parent_id)
                raise LedgerError(
                    f"{len(outside)} of these records were never handed to "
                    f"{parent.name if parent else 'the parent'!r}: a sub-contractor can "
                    "only hold what its parent holds")
        row = Handover(contractor_id=who.id, dataset=dataset, handed_on=handed_on,
                       purpose=purpose, members=to_bytes(rows), record_count=len(rows),
                       set_digest=set_refs.digest, canaries=0)
        session.add(row)
        session.flush()
        audit.append(session, "handover.add", {
            "handover": row.id, "contractor": who.name, "dataset": dataset,
            "records": len(rows), "all": everything,
            "date": handed_on.isoformat() if handed_on else None})
        return handover_json(session, row)


def list_handovers(db: Database, contractor: str | None = None) -> list[dict[str, Any]]:
    with db.session() as session:
        stmt = select(Handover).order_by(Handover.id)
        if contractor:
            stmt = stmt.where(Handover.contractor_id == contractor_by_name(session, contractor).id)
        return [handover_json(session, h) for h in session.scalars(stmt)]


__all__ = [
    "CONTRACTOR_COLUMNS",
    "CONTRACTS",
    "HANDOVER_COLUMNS",
    "LedgerError",
    "add_contractor",
    "add_handover",
    "chain_of",
    "holdings",
    "list_contractors",
    "list_handovers",
    "read_refs",
    "show_contractor",
]
