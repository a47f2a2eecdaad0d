"""Append-only, hash-chained audit log (SPEC 10), anchored outside the database.

Each entry's hash covers the previous entry's hash and the entry's own canonical JSON,
so editing or deleting an entry breaks the chain at that point. A chain alone cannot
show that its *last* entries were deleted, or that someone with write access
recomputed every hash after an edit; so after each audited action the chain's head
(last id, its hash, the number of entries) is written to an **anchor file** outside
the database, MAC'd with a key derived from the master key (:class:`AuditAnchor`).
``leakprint audit verify`` checks both.

Details carry digests and identifiers only, never a searched value. The actor is the
operating system's user of the process (``os.getuid()``), never an environment
variable that anyone can set.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import pwd
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event, func, select, text
from sqlalchemy.orm import Session

from fingerprints.keyed import FingerprintKey
from leakprint.db.models import AuditEntry

GENESIS = "0" * 64
#: The PostgreSQL advisory lock held while appending: concurrent writers (a CLI, the
#: scheduler, a second CLI) append one after the other and never fork the chain.
PG_LOCK_ID = 0x6C70_6175_6469_74  # "lpaudit"
_ANCHOR_LABEL = b"leakprint/audit-anchor/v1"


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
    return sha256(body.encode("utf-8")).hexdigest()


def current_actor() -> str:
    """The operating system user running this process (by uid, not ``LOGNAME``/``USER``)."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid:{uid}"


# --------------------------------------------------------------------- anchor


class AnchorError(Exception):
    """The anchor file is missing, unreadable or does not carry a valid MAC."""


@dataclass(frozen=True)
class Head:
    """The head of the chain: the last entry's id and hash, and how many entries."""

    last_id: int
    hash: str
    count: int


class AuditAnchor:
    """The chain's head in a file outside the database, MAC'd (HMAC-SHA256) with a key
    derived from the master key: whoever can rewrite the table but does not hold the
    key cannot make the file agree with a shortened or recomputed chain.

    ``key`` is a loader, called only when the anchor is written or checked (so
    commands that need no key do not fail when it is absent).
    """

    def __init__(self, path: Path, key: Callable[[], FingerprintKey]) -> None:
        self.path = path
        self._key_loader = key
        self._mac_key: bytes | None = None

    def _mac(self, head: Head) -> str:
        if self._mac_key is None:
            from leakprint.urlsafe import derive_key

            self._mac_key = derive_key(self._key_loader(), _ANCHOR_LABEL)
        body = f"{head.last_id}:{head.hash}:{head.count}".encode("ascii")
        return hmac.new(self._mac_key, body, sha256).hexdigest()

    def read(self) -> Head | None:
        """The anchored head (``None`` when there is no anchor file yet)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise AnchorError(f"anchor file {self.path}: unreadable ({type(exc).__name__})"
                              ) from None
        try:
            head = Head(int(data["last_id"]), str(data["hash"]), int(data["count"]))
            mac = str(data["mac"])
        except (KeyError, TypeError, ValueError):
            raise AnchorError(f"anchor file {self.path}: not an anchor") from None
        if not hmac.compare_digest(mac, self._mac(head)):
            raise AnchorError(f"anchor file {self.path}: its MAC does not match "
                              "(edited, or written with another key)")
        return head

    def write(self, head: Head, *, force: bool = False) -> bool:
        """Write ``head`` atomically; unless ``force``, only when it is past the
        anchored one (two writers finishing out of order never move it back).
        Returns whether it was written."""
        if not force:
            try:
                current = self.read()
            except AnchorError:
                # A damaged anchor is left for `audit verify` to report: overwriting
                # it here would hide the tampering.
                return False
            if current is not None and current.last_id >= head.last_id:
                return False
        payload = {"last_id": head.last_id, "hash": head.hash, "count": head.count,
                   "mac": self._mac(head)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".audit-anchor.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh)
                fh.flush()
                os.fsync(fh.fileno())
            Path(tmp).chmod(0o600)
            Path(tmp).replace(self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
            raise
        return True


# --------------------------------------------------------------------- append


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Held to the end of the transaction: the next writer reads our entry as last.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_ID})


def append(
    session: Session, action: str, details: dict[str, Any], *, actor: str | None = None
) -> AuditEntry:
    """Add one entry at the end of the chain (inside the caller's transaction).

    When the session's database has an anchor (``session.info["audit_anchor"]``),
    the new head is written to it once the transaction commits.
    """
    _lock(session)
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
    anchor = session.info.get("audit_anchor")
    if isinstance(anchor, AuditAnchor):
        count = session.scalar(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.id <= entry.id)) or 0
        session.info["audit_head"] = Head(entry.id, entry.hash, count)
        if not session.info.get("audit_hooked"):
            session.info["audit_hooked"] = True
            event.listen(session, "after_commit", _anchor_after_commit)
            event.listen(session, "after_soft_rollback", _forget_head)
    return entry


def _anchor_after_commit(session: Session) -> None:
    head = session.info.pop("audit_head", None)
    anchor = session.info.get("audit_anchor")
    if isinstance(head, Head) and isinstance(anchor, AuditAnchor):
        anchor.write(head)


def _forget_head(session: Session, _previous: Any) -> None:
    session.info.pop("audit_head", None)


# --------------------------------------------------------------------- verify


def verify(session: Session) -> int | None:
    """Return the id of the first entry that breaks the chain, or ``None`` when intact."""
    broken = check_chain(session)
    return broken[0] if broken else None


def check_chain(session: Session) -> tuple[int, str] | None:
    """The first entry that breaks the chain and why, or ``None`` when intact.

    The chain starts at the genesis hash, or — after a retention cut — at the entry
    that followed the removed ones, vouched for by a :data:`CHECKPOINT` entry later in
    the (verified) chain that names that entry's predecessor's hash.
    """
    prev = GENESIS
    prev_id = 0
    first = session.scalars(select(AuditEntry).order_by(AuditEntry.id).limit(1)).first()
    if first is not None and first.prev_hash != GENESIS and _vouched(session, first):
        prev = first.prev_hash
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        if entry.prev_hash != prev:
            return entry.id, (f"entry {entry.id} does not follow entry {prev_id} "
                              "(an entry before it was deleted or changed)"
                              if prev_id else f"entry {entry.id} is not the chain's start")
        expected = _entry_hash(prev, entry.at, entry.actor, entry.action, entry.details)
        if entry.hash != expected:
            return entry.id, f"entry {entry.id} does not match its hash (edited)"
        prev, prev_id = entry.hash, entry.id
    return None


# --------------------------------------------------------------------- retention cut

#: The action of the entry that records a retention cut of the log itself.
CHECKPOINT = "audit.checkpoint"


def _vouched(session: Session, first: AuditEntry) -> bool:
    """Whether a checkpoint entry after ``first`` records a cut just before it.

    The checkpoint is itself hashed into the chain that the walk then verifies, and
    the anchor vouches for the chain's head: removing more entries from the start, or
    forging a checkpoint, breaks one or the other."""
    for cp in session.scalars(select(AuditEntry).where(AuditEntry.action == CHECKPOINT,
                                                       AuditEntry.id >= first.id)):
        details = cp.details if isinstance(cp.details, dict) else {}
        if (details.get("cut_hash") == first.prev_hash
                and int(details.get("removed_through", 0)) < first.id):
            return True
    return False


@dataclass(frozen=True)
class Cut:
    """What a retention cut removed: how many entries, which ids, the hash of the last
    one (the chain's new starting point) and a digest over all their hashes."""

    removed: int
    removed_from: int
    removed_through: int
    cut_hash: str
    removed_digest: str


def cut_before(session: Session, before: datetime, *, dry_run: bool = False,
               keep_newest: bool = True) -> Cut | None:
    """Remove the audit entries older than ``before`` and record a checkpoint entry.

    The checkpoint is appended first (it chains to the present head), then the old
    entries are deleted, in one transaction under the append lock; the anchor is
    moved to the new head with the new count when the transaction commits. The
    newest entry is never removed, so the chain always has a head (``keep_newest=False``
    counts, for a dry run, as if an entry were about to be appended). ``None`` when
    nothing is old enough."""
    _lock(session)
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    if last is None:
        return None
    # Only a prefix of the chain can go: up to the first entry that is not old enough
    # (an entry stamped later than a following one, after a clock change, stops the cut).
    first_young = session.scalar(select(func.min(AuditEntry.id)).where(AuditEntry.at >= before))
    newest = last.id - 1 if keep_newest else last.id
    through = min(newest, (first_young - 1) if first_young is not None else newest)
    prefix = [(entry_id, entry_hash) for entry_id, entry_hash in session.execute(
        select(AuditEntry.id, AuditEntry.hash).where(AuditEntry.id <= through)
        .order_by(AuditEntry.id))]
    if not prefix:
        return None
    digest = sha256("".join(h for _, h in prefix).encode("ascii")).hexdigest()
    result = Cut(len(prefix), prefix[0][0], prefix[-1][0], prefix[-1][1], digest)
    if dry_run:
        return result
    append(session, CHECKPOINT, {
        "removed": result.removed, "removed_from": result.removed_from,
        "removed_through": result.removed_through, "cut_hash": result.cut_hash,
        "removed_digest": result.removed_digest, "before": before.isoformat()})
    session.execute(delete(AuditEntry).where(AuditEntry.id <= result.removed_through))
    session.flush()
    if isinstance(session.info.get("audit_anchor"), AuditAnchor):
        head = current_head(session)
        if head is not None:
            session.info["audit_head"] = head
    return result


@dataclass(frozen=True)
class Verdict:
    """What ``audit verify`` found: ``problem`` is ``None`` when all is intact."""

    entries: int
    head: Head | None
    anchored: Head | None
    problem: str | None
    after_anchor: int = 0


def current_head(session: Session) -> Head | None:
    """The chain's head as the table holds it (``None`` when empty)."""
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    if last is None:
        return None
    count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return Head(last.id, last.hash, count)


def verify_all(session: Session, anchor: AuditAnchor | None) -> Verdict:
    """Check the chain, then the table against the anchored head.

    Entries after the anchored head are fine (a writer whose anchor update lost a
    race, or one without the key); a missing anchored entry, another hash for it
    (the chain recomputed) or fewer entries up to it (entries deleted) is a break.
    """
    head = current_head(session)
    entries = head.count if head else 0
    broken = check_chain(session)
    if broken is not None:
        return Verdict(entries, head, None, broken[1])
    if anchor is None:
        return Verdict(entries, head, None, None)
    try:
        anchored = anchor.read()
    except AnchorError as exc:
        return Verdict(entries, head, None, str(exc))
    if anchored is None:
        if head is None:
            return Verdict(0, None, None, None)
        return Verdict(entries, head, None,
                       f"no anchor file at {anchor.path} for {entries} audit entries "
                       "(deleted? `leakprint audit anchor --reset` writes one deliberately)")
    row = session.get(AuditEntry, anchored.last_id)
    if row is None:
        return Verdict(entries, head, anchored,
                       f"entry {anchored.last_id}, the anchored head, is gone "
                       "(entries deleted from the end)")
    if not hmac.compare_digest(row.hash, anchored.hash):
        return Verdict(entries, head, anchored,
                       f"entry {anchored.last_id} is not the anchored head "
                       "(the chain was rewritten and its hashes recomputed)")
    upto = session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.id <= anchored.last_id)) or 0
    if upto != anchored.count:
        return Verdict(entries, head, anchored,
                       f"{upto} entries up to entry {anchored.last_id}, the anchor holds "
                       f"{anchored.count} (entries deleted)")
    return Verdict(entries, head, anchored, None, entries - upto)
