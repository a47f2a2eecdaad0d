"""Coverage errors: what a scan could not read in full is said, never a silent "no findings".

A document refused for its size, encoding or type, a redirect loop, an unreachable
source, a refused address or redirect, a ``wait_for`` selector that never appeared:
each becomes a row of ``coverage_errors`` for its scan run, listed by ``scan``
(on stderr, also with ``--json``) and ``incident show``; ``scan`` exits 3 when
there are any and no finding reached ``--fail-on``.

Every URL stored or shown here goes through :func:`display_url`, the one place
where a URL is made fit to store and show (SPEC 10.2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from leakprint.db import CoverageError, Database

#: Kinds of coverage errors (``kind`` column) and how they read.
KINDS = {
    "refused_address": "destination address refused",
    "refused_redirect": "redirect to a host the source does not allow",
    "redirect_loop": "redirect loop",
    "too_large": "refused: larger than the size bound (or a compression bomb)",
    "binary": "binary content type, not read",
    "unreachable": "could not be fetched",
    "wait_for": "wait_for selector never appeared (page read as it was)",
    "offsite_dropped": "linked entry on a host allow_offsite does not cover, not fetched",
    "parse": "could not be parsed (feed)",
}
MAX_PER_RUN = 1000  # a dead site of 50,000 links is one story, not 50,000 rows


def display_url(url: str) -> str:
    """The form of a URL (or file path) that may be stored and shown.

    The single hook for SPEC 10.2's value redaction: every URL that coverage errors
    store or print passes through here.
    """
    return url


@dataclass(frozen=True)
class CoverageItem:
    """One coverage error, as reported by a crawl or a file scan."""

    kind: str
    url: str
    detail: str = ""
    source: str | None = None


def record_coverage(db: Database, run_id: int, items: Iterable[CoverageItem],
                    redact: Callable[[str], str] = display_url) -> int:
    """Store coverage errors of a run (at most ``MAX_PER_RUN`` rows); returns how many.

    ``redact`` makes each URL fit to store: the crawl passes its URL guard's redaction,
    so a customer's value in a refused link is stored as its kind's shape."""
    rows = list(items)
    if not rows:
        return 0
    with db.session() as session:
        have = session.scalar(select(func.count()).select_from(CoverageError)
                              .where(CoverageError.scan_run_id == run_id)) or 0
        room = max(0, MAX_PER_RUN - have)
        for item in rows[:room]:
            session.add(CoverageError(scan_run_id=run_id, kind=item.kind[:40],
                                      source=item.source, url=redact(display_url(item.url))[:2000],
                                      detail=item.detail[:500]))
        return min(len(rows), room)


def coverage_errors(db: Database, run_ids: Sequence[int]) -> list[CoverageItem]:
    """The coverage errors of these runs, oldest first."""
    if not run_ids:
        return []
    with db.session() as session:
        rows = session.scalars(select(CoverageError)
                               .where(CoverageError.scan_run_id.in_(list(run_ids)))
                               .order_by(CoverageError.id))
        return [CoverageItem(r.kind, r.url, r.detail, r.source) for r in rows]


def describe(item: CoverageItem) -> str:
    """One line for a coverage error (its URL already in display form)."""
    label = KINDS.get(item.kind, item.kind)
    detail = f" ({item.detail})" if item.detail else ""
    return f"{item.url}: {label}{detail}"
