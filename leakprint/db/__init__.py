"""The leakprint database: SQLAlchemy 2 models, migrations applied on first use."""

from leakprint.db.engine import Database, open_database
from leakprint.db.models import AuditEntry, Base, Dataset

__all__ = ["AuditEntry", "Base", "Database", "Dataset", "open_database"]
