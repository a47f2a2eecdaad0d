"""``search``: has this customer been seen? Values are hashed here and never stored.

The audit log records each search by keyed digest (and by record reference for
``--record``), so a later reader can tell a search happened without learning the value.
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from fingerprints.fpset import FingerprintSet
from fingerprints.index import REFS_FILE
from fingerprints.kindconfig import registry_from_config
from leakprint import audit
from leakprint.config import Settings
from leakprint.datasets import open_sets
from leakprint.db import Database, Finding, RecordHitRow
from leakprint.findingview import FindingView


class SearchError(Exception):
    """A one-line, user-facing search problem."""


@dataclass
class SearchAnswer:
    """Which of our records the query names, and the findings that hold them."""

    records: dict[str, list[str]] = field(default_factory=dict)  # dataset → refs
    findings: list[FindingView] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"records": self.records, "findings": [f.as_json() for f in self.findings],
                "invalid": self.invalid}


def _has_ref(fpset: FingerprintSet, ref: str) -> bool:
    """Whether ``ref`` is a record of the set (one pass over its memory-mapped refs)."""
    path = fpset.directory / REFS_FILE
    needle = ref.encode("utf-8")
    if not needle or b"\n" in needle:
        return False
    try:
        with path.open("rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                return False
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as blob:
                if blob[: len(needle) + 1] == needle + b"\n":
                    return True
                return blob.find(b"\n" + needle + b"\n") >= 0
    except OSError:
        return any(fpset.record_ref(row) == ref for row in range(fpset.record_count))


def search(
    settings: Settings, db: Database, *, values: dict[str, str], record: str | None = None,
    datasets: list[str] | None = None,
) -> SearchAnswer:
    """Find the records matching ``values`` (kind → raw value) and where they were seen."""
    if not values and not record:
        raise SearchError("give at least one of --phone, --email, --name or --record")
    answer = SearchAnswer()
    digests: dict[str, str] = {}
    for fpset in open_sets(settings, db, datasets):
        registry = registry_from_config(fpset.manifest.kind_config)
        wanted: list[tuple[str, bytes]] = []
        for kind, value in values.items():
            pairs = [p for p in registry.fields_for(kind, value) if p[0] == kind]
            if not pairs:
                if kind not in answer.invalid:
                    answer.invalid.append(kind)
                continue
            digest = fpset.hasher.digest(kind, pairs[0][1])
            digests[kind] = digest.hex()
            wanted.append((kind, digest))
        if not wanted and not record:
            continue  # nothing valid to look for in this set
        refs: set[str] | None = None
        for _kind, digest in wanted:
            rows = {hit.row for hit in fpset.lookup([digest])[0]}
            found = {fpset.record_ref(r) for r in rows}
            refs = found if refs is None else refs & found  # every given field must agree
        if record:
            refs = ({record} if refs is None else refs & {record}) \
                if _has_ref(fpset, record) else set()
        if refs:
            answer.records[fpset.dataset] = sorted(refs)
    if values and not record and set(answer.invalid) >= set(values):
        given = ", ".join(f"--{kind}" for kind in values)
        raise SearchError(f"not a valid value for {given}: nothing was searched")
    with db.session() as session:
        for dataset, dataset_refs in answer.records.items():
            # A subquery, not DISTINCT: PostgreSQL cannot compare the JSON columns.
            holding = select(RecordHitRow.finding_id).where(
                RecordHitRow.record_ref.in_(dataset_refs))
            stmt = (select(Finding)
                    .where(Finding.dataset == dataset, Finding.id.in_(holding))
                    .options(selectinload(Finding.records), selectinload(Finding.document)))
            wanted_refs = set(dataset_refs)
            for finding in session.scalars(stmt):
                # Only the searched records: the other records of the leak are not asked for.
                answer.findings.append(FindingView.of(finding).only_records(wanted_refs))
        audit.append(session, "search", {
            "digests": digests, "record": record, "datasets": datasets or "all",
            "records_found": sum(len(v) for v in answer.records.values()),
            "findings": [f.id for f in answer.findings],
        })
    answer.findings.sort(key=lambda f: f.last_seen, reverse=True)
    return answer
