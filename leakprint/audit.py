"""Append-only, hash-chained audit log (SPEC 10).

Each entry's hash covers the previous entry's hash and the entry's own canonical JSON,
so deleting or editing an entry breaks the chain at that point. Details carry digests
and identifiers only, never a searched value.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leakprint.db.models import AuditEntry

GENESIS = "0" * 64


def _entry_hash(prev_hash: str, at: datetime, actor: str, action: str, details: Any) -> str:
    body = json.dumps(
        {
            "prev": prev_hash,
            "at": at.isoformat(),
            "actor": actor,
            "action": action,
            "details": details,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def current_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def append(
    session: Session, action: str, details: dict[str, Any], *, actor: str | None = None
) -> AuditEntry:
    """Add one entry at the end of the chain (inside the caller's transaction)."""
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    prev_hash = last.hash if last else GENESIS
    at = datetime.now(UTC).replace(microsecond=0)
    who = actor or current_actor()
    entry = AuditEntry(
        at=at,
        actor=who,
        action=action,
        details=details,
        prev_hash=prev_hash,
        hash=_entry_hash(prev_hash, at, who, action, details),
    )
    session.add(entry)
    session.flush()
    return entry


def verify(session: Session) -> int | None:
    """Return the id of the first entry that breaks the chain, or ``None`` when intact."""
    prev = GENESIS
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        expected = _entry_hash(prev, entry.at, entry.actor, entry.action, entry.details)
        if entry.prev_hash != prev or entry.hash != expected:
            return entry.id
        prev = entry.hash
    return None
