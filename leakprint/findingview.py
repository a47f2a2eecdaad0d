"""The typed view of a finding that listings print and serialize (SPEC 7 / 12.1).

`FindingView.of` reads a stored finding once; the table renderer reads its
attributes, and `as_json` gives the JSON shape every ``--format json`` and
``--format csv`` output is made of. Nothing here holds a customer value: record
references are the operator's pseudonyms, fields are kind names, the snippet is
shape only and the URL is stored redacted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from leakprint.db import Finding, RecordHitRow
from leakprint.findings import record_why
from matchers.confidence import RANK


@dataclass(frozen=True)
class RecordView:
    """One record of a finding: its reference, level, kinds, chance and why."""

    ref: str
    confidence: str
    fields: tuple[str, ...]
    chance: float | None
    why: str

    @classmethod
    def of(cls, row: RecordHitRow) -> RecordView:
        return cls(row.record_ref, row.confidence, tuple(row.fields), row.chance, record_why(row))

    def as_json(self) -> dict[str, Any]:
        """The SPEC 7 / 12.1 JSON shape of one record."""
        return {"ref": self.ref, "confidence": self.confidence, "fields": list(self.fields),
                "chance": self.chance, "why": self.why}


@dataclass(frozen=True)
class FindingView:
    """One finding as the listings show it; records strongest first, then by reference."""

    #: The keys of ``as_json``, in order: the columns of an (empty) listing.
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "id", "dataset", "source", "url", "content_sha256", "first_seen", "last_seen",
        "confidence", "bulk", "record_count", "fields", "records", "snippet")

    id: int
    dataset: str
    source: str | None
    url: str
    content_sha256: str
    first_seen: str  # ISO 8601, as the JSON has it
    last_seen: str
    confidence: str
    bulk: bool
    record_count: int
    fields: tuple[str, ...]
    records: tuple[RecordView, ...]
    snippet: str

    @classmethod
    def of(cls, finding: Finding) -> FindingView:
        """The view of a stored finding (its document and records loaded)."""
        doc = finding.document
        records = sorted(finding.records,
                         key=lambda r: (-RANK[r.confidence], r.record_ref))
        return cls(
            id=finding.id,
            dataset=finding.dataset,
            source=doc.source,
            url=doc.url,
            content_sha256=finding.content_sha256,
            first_seen=finding.first_seen.isoformat(),
            last_seen=finding.last_seen.isoformat(),
            confidence=finding.confidence,
            bulk=finding.bulk,
            record_count=finding.record_count,
            fields=tuple(finding.fields),
            records=tuple(RecordView.of(r) for r in records),
            snippet=finding.snippet,
        )

    def only_records(self, refs: set[str]) -> FindingView:
        """The same finding listing only the records in ``refs`` (``search``)."""
        return replace(self, records=tuple(r for r in self.records if r.ref in refs))

    def as_json(self) -> dict[str, Any]:
        """The SPEC 7 JSON shape of the finding (key order is part of the output)."""
        return {
            "id": self.id,
            "dataset": self.dataset,
            "source": self.source,
            "url": self.url,
            "content_sha256": self.content_sha256,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "confidence": self.confidence,
            "bulk": self.bulk,
            "record_count": self.record_count,
            "fields": list(self.fields),
            "records": [r.as_json() for r in self.records],
            "snippet": self.snippet,
        }


def finding_views(findings: list[Finding]) -> list[FindingView]:
    """Views of ``findings``, in their order."""
    return [FindingView.of(f) for f in findings]
