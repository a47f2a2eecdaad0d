"""``leakprint purge``: delete what is past its retention (SPEC 16)."""

from __future__ import annotations

import click

from leakprint.cli.common import AppContext, emit, format_option, pass_app, user_errors
from leakprint.retention import purge

LABELS = {
    "incidents": "closed incidents", "alerts": "alerts", "findings": "findings",
    "record_hits": "record hits", "documents": "documents", "scan_runs": "scan runs",
    "coverage_errors": "coverage errors", "logs": "crawl log files",
    "audit_entries": "audit entries",
}


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@format_option
@pass_app
@user_errors()
def purge_cmd(app: AppContext, dry_run: bool, output: str) -> None:
    """Delete findings, documents, scan runs, logs, closed incidents and alerts past
    their retention (``[retention]`` in leakprint.toml), and say how many.

    Nothing of an open incident, or of one whose watch period is not over, is
    deleted. The purge is recorded in the audit log; the log itself is cut only when
    ``retention.audit_days`` is set, at a checkpoint `audit verify` accepts.
    `serve` runs the same purge once a day.

    \b
    Example:
      leakprint purge --dry-run
      leakprint purge --json
    """
    settings = app.settings
    report = purge(app.db, settings.retention, logs_dir=settings.home / "logs", dry_run=dry_run)
    if output != "table":
        emit(output, {"dry_run": dry_run, "deleted" if not dry_run else "would_delete":
                   report.counts()})
        return
    verb = "would delete" if dry_run else "deleted"
    parts = [f"{n:,} {LABELS[k]}" for k, n in report.counts().items() if n]
    click.echo(f"purge {verb}: {', '.join(parts) if parts else 'nothing'}")
