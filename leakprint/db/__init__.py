"""The leakprint database: SQLAlchemy 2 models, migrations applied on first use."""

from leakprint.db.engine import Database, open_database
from leakprint.db.models import (
    AlertRow,
    AuditEntry,
    Base,
    Dataset,
    Document,
    Finding,
    Incident,
    IncidentFinding,
    RecordHitRow,
    ScanRun,
)

__all__ = [
    "AlertRow",
    "AuditEntry",
    "Base",
    "Database",
    "Dataset",
    "Document",
    "Finding",
    "Incident",
    "IncidentFinding",
    "RecordHitRow",
    "ScanRun",
    "open_database",
]
