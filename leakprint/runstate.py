"""The values of a scan run's state: its status and its counters.

Plain values, no database: :mod:`leakprint.runs` is the one module that writes them
into ``scan_runs``; the crawl's pipeline, file scans and fleet workers only count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any, Protocol


class RunStatus(StrEnum):
    """The states of a scan run (the strings stored in ``scan_runs.status``)."""

    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"  # scanned, but covered less than asked
    FAILED = "failed"
    KILLED = "killed"  # stopped, or its process died without closing it
    MISSED = "missed"  # due, but could not start (the database was away)


# (Plain strings, as the database stores them: they go into queries as they are.)
#: Runs that saw nothing they were asked to see: an incident's watch was blind.
BLIND: tuple[str, ...] = (RunStatus.FAILED.value, RunStatus.KILLED.value,
                          RunStatus.MISSED.value)
#: Runs that scanned what they were asked to (``partial``: with gaps they name).
COMPLETED: tuple[str, ...] = (RunStatus.OK.value, RunStatus.PARTIAL.value)


class _Change(Protocol):
    @property
    def status(self) -> str: ...


@dataclass
class RunCounters:
    """A run's counters (the columns of ``scan_runs`` and of a worker's share in
    ``scan_run_workers``): pages fetched, bytes, fetch errors, documents by what
    they were (new, changed, unchanged — a 304 is unchanged) and findings by what a
    document did to them (new, or grown by more records)."""

    pages: int = 0
    bytes: int = 0
    errors: int = 0
    docs_new: int = 0
    docs_changed: int = 0
    docs_unchanged: int = 0
    findings_new: int = 0
    findings_updated: int = 0

    @property
    def documents(self) -> int:
        return self.docs_new + self.docs_changed + self.docs_unchanged

    @property
    def findings(self) -> int:
        return self.findings_new + self.findings_updated

    def tally(self, doc_status: str, changes: Iterable[_Change] = ()) -> None:
        """Count one stored document: its status (``new``, ``changed`` or
        ``unchanged``) and the changes it made to findings (``new`` or ``grown``;
        a finding seen again unchanged is not counted)."""
        if doc_status not in ("new", "changed", "unchanged"):
            raise ValueError(f"doc_status: not a document status: {doc_status!r}")
        name = f"docs_{doc_status}"
        setattr(self, name, getattr(self, name) + 1)
        for change in changes:
            if change.status == "new":
                self.findings_new += 1
            elif change.status == "grown":
                self.findings_updated += 1

    def __add__(self, other: RunCounters) -> RunCounters:
        return RunCounters(**{f.name: getattr(self, f.name) + getattr(other, f.name)
                              for f in fields(self)})

    def columns(self) -> dict[str, int]:
        """By column name, as ``scan_runs`` and ``scan_run_workers`` store them."""
        return asdict(self)

    @classmethod
    def of(cls, row: Any) -> RunCounters:
        """The counters of a ``ScanRun`` or ``ScanRunWorker`` row (``NULL`` as 0)."""
        return cls(**{f.name: getattr(row, f.name) or 0 for f in fields(cls)})

    def write_to(self, row: Any) -> None:
        """Set a row's counter columns to these."""
        for name, value in self.columns().items():
            setattr(row, name, value)
