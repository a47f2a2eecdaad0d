"""Alembic environment: leakprint passes the connection in; no alembic.ini needed."""

from alembic import context

from leakprint.db.models import Base

connection = context.config.attributes["connection"]


def include_name(name, type_, parent_names):  # type: ignore[no-untyped-def]
    # APScheduler owns its job table; Alembic leaves it alone.
    return not (type_ == "table" and name == "apscheduler_jobs")


context.configure(
    connection=connection,
    include_name=include_name,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
