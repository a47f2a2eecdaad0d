"""The ``leakprint`` command line: a thin layer over the library."""

from __future__ import annotations

from pathlib import Path

import click

from leakprint.cli.alerts_cmd import alerts_group, serve_cmd
from leakprint.cli.attribute_view import attribute_cmd
from leakprint.cli.audit_cmd import audit_group
from leakprint.cli.common import AppContext, OneLineErrors
from leakprint.cli.contractor_cmd import canary, contractor, handover
from leakprint.cli.demo_cmd import demo
from leakprint.cli.findings_cmd import findings
from leakprint.cli.fingerprint_cmd import fingerprint
from leakprint.cli.incident_cmd import incident
from leakprint.cli.init_cmd import init
from leakprint.cli.purge_cmd import purge_cmd
from leakprint.cli.report_cmd import report_cmd
from leakprint.cli.scan_cmd import scan
from leakprint.cli.search_cmd import search_cmd
from leakprint.cli.shred_cmd import rekey_cmd, shred_cmd  # noqa: F401  (fingerprint shred|rekey)
from leakprint.cli.sources_cmd import sources
from leakprint.cli.worker_cmd import worker_cmd


@click.group(
    cls=OneLineErrors,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="LEAKPRINT_HOME",
    help="Folder holding leakprint.toml (default: the current folder).",
)
@click.version_option(package_name="leakprint")
@click.pass_context
def cli(ctx: click.Context, home: Path | None) -> None:
    """leakprint: find your customers' records in leaks without holding them in the clear.

    \b
    Example:
      leakprint init
      leakprint fingerprint import customers.csv --dataset crm-2026 --id-column 顧客ID
      leakprint scan --file dump.csv
    """
    app = AppContext(home=home)
    ctx.obj = app
    ctx.call_on_close(app.close)


cli.add_command(init)
cli.add_command(fingerprint)
cli.add_command(scan)
cli.add_command(findings)
cli.add_command(search_cmd)
cli.add_command(sources)
cli.add_command(incident)
cli.add_command(serve_cmd)
cli.add_command(alerts_group)
cli.add_command(demo)
cli.add_command(audit_group)
cli.add_command(contractor)
cli.add_command(handover)
cli.add_command(canary)
cli.add_command(attribute_cmd)
cli.add_command(report_cmd)
cli.add_command(purge_cmd)
cli.add_command(worker_cmd)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="leakprint")
