"""Documents and findings in the database: their rules and queries, JSON as SPEC 7.

They are stored by :mod:`leakprint.storebatch` (without duplicates)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fingerprints.normalizers import WEAK_KINDS, shown_kind
from leakprint.db.models import Finding, IncidentFinding, RecordHitRow
from matchers.chance import explain
from matchers.companion import is_canary_ref
from matchers.confidence import RANK, Confidence
from matchers.scan import RecordHit

# Kinds that alone say nothing about WHICH customer is in a document: common names and
# birth dates are shared by many customers of a large operator (with 20,000 synthetic
# customers one page of other people's names gave ~1,500 such low hits). A record hit
# made only of these is not stored; one with any other field (a phone, an e-mail, an
# address …) or at medium or above is.
# Issue 18: a postal code alone neither (a 7-digit code covers ~1,000 people).
# (``Role.WEAK`` in the registry of kinds.)
WEAK_ONLY_KINDS = WEAK_KINDS


def display_fields(fields: Sequence[str]) -> tuple[str, ...]:
    """Field kinds as a responder reads them: the folded name form (variant kanji
    unified) is a name match, shown once as ``name``. JSON keeps the kinds as stored."""
    return tuple(dict.fromkeys(map(shown_kind, fields)))


def stronger(a: str | None, b: str | None) -> str:
    """The higher of two confidence levels."""
    return max((a or Confidence.LOW, b or Confidence.LOW), key=Confidence.rank_of)


def at_least(confidence: str, threshold: str) -> bool:
    return Confidence.rank_of(confidence) >= RANK[threshold]


@dataclass(frozen=True)
class FindingChange:
    """What storing one match result did to its finding."""

    finding_id: int
    status: Literal["new", "grown", "unchanged"]
    record_count: int
    previous_count: int
    confidence: str


def is_evidence(hit: RecordHit) -> bool:
    """Whether a record hit names a customer (see ``WEAK_ONLY_KINDS``).

    The same rule holds for canaries: their names and dates come from common pools,
    so only a canary's e-mail address or phone (or two of its fields) is evidence.
    """
    return hit.confidence != "low" or not set(hit.fields) <= WEAK_ONLY_KINDS


def customer_count(refs: Iterable[str]) -> int:
    """How many of ``refs`` are customers: canaries never count (SPEC 14)."""
    return sum(1 for ref in refs if not is_canary_ref(ref))


def record_why(row: RecordHitRow) -> str:
    """Why a stored record hit has its level: kinds and chance, never a value."""
    if row.chance is None or not row.chance_fields:
        return f"{' + '.join(display_fields(row.fields))}: scored before chance estimates"
    return explain(row.chance_fields, math.log10(max(row.chance, 1e-300)))


def query_findings(
    session: Session, *, incident: int | None = None, since: datetime | None = None,
    ids: Sequence[int] | None = None, min_confidence: str | None = None,
) -> list[Finding]:
    """Findings, newest first, with their documents and records loaded."""
    stmt = select(Finding).options(selectinload(Finding.records),
                                   selectinload(Finding.document))
    if incident is not None:
        stmt = stmt.join(IncidentFinding, IncidentFinding.finding_id == Finding.id).where(
            IncidentFinding.incident_id == incident)
    if since is not None:
        stmt = stmt.where(Finding.last_seen >= since)
    if ids is not None:
        stmt = stmt.where(Finding.id.in_(list(ids)))
    found = list(session.scalars(stmt.order_by(Finding.last_seen.desc(), Finding.id.desc())))
    if min_confidence:
        found = [f for f in found if at_least(f.confidence, min_confidence)]
    return found
