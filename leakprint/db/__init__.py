"""The leakprint database: SQLAlchemy 2 models, migrations applied on first use."""

from leakprint.db.engine import Database, open_database
from leakprint.db.ledger_models import Canary, Contractor, Handover
from leakprint.db.models import (
    AlertRow,
    AuditEntry,
    Base,
    CoverageError,
    Dataset,
    Document,
    Finding,
    Incident,
    IncidentFinding,
    RecordHitRow,
    ScanRun,
    ScanRunFinding,
    ScanRunWorker,
    SetSecretRow,
)

__all__ = [
    "AlertRow",
    "AuditEntry",
    "Base",
    "Canary",
    "Contractor",
    "CoverageError",
    "Database",
    "Dataset",
    "Document",
    "Finding",
    "Handover",
    "Incident",
    "IncidentFinding",
    "RecordHitRow",
    "ScanRun",
    "ScanRunFinding",
    "ScanRunWorker",
    "SetSecretRow",
    "open_database",
]
