"""``leakprint attribute`` and the "likely source" section of ``findings show``."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.table import Table

from leakprint import audit
from leakprint.cli.common import AppContext, UserError, emit, format_option, pass_app
from leakprint.contractors.attribute import attribute_findings, summary_line
from leakprint.findings import query_findings


def print_attribution(console: Console, item: dict[str, Any]) -> None:
    """The "likely source" section: verdict, then the ranked contractors."""
    console.print()
    console.print("[bold]likely source[/bold]")
    if not item["candidates"]:
        console.print("  none of the recorded contractors held these records "
                      "(`leakprint handover list`)")
        return
    console.print(f"  {summary_line(item).removeprefix('likely source: ')}")
    table = Table(show_edge=False)
    for col in ("rank", "contractor", "contract", "held", "canaries", "guilt"):
        table.add_column(col, justify="right" if col in {"rank", "held", "guilt"} else "left")
    for n, c in enumerate(item["candidates"], 1):
        table.add_row(str(n), " > ".join(c["chain"]), c["contract"],
                      f"{c['held']} ({c['held_share']:.0%})", str(c["canaries"]),
                      f"{c['guilt']:.3f}")
    console.print(table)
    console.print(f"  verdict: {item['verdict']} — guilt after Papadimitriou & "
                  f"Garcia-Molina, p = {item['p']}; over {item['records']} customer "
                  "records at medium or above")


@click.command("attribute")
@click.argument("finding_id", type=int, required=False)
@click.option("--incident", type=int, help="Every finding of this incident.")
@format_option
@pass_app
def attribute_cmd(app: AppContext, finding_id: int | None, incident: int | None,
                  output: str) -> None:
    """Which contractor's copy a finding came from (audited).

    For each contractor: the share of the finding's medium+ records it held, its
    canaries present and a guilt estimate; verdict certain | likely | ambiguous.

    \b
    Example:
      leakprint attribute 12
      leakprint attribute --incident 3 --json
    """
    if (finding_id is None) == (incident is None):
        raise UserError("give a FINDING_ID or --incident N")
    with app.db.session() as session:
        found = (query_findings(session, ids=[finding_id]) if finding_id is not None
                 else query_findings(session, incident=incident))
        if not found:
            raise UserError(f"no finding {finding_id} (see `leakprint findings`)"
                            if finding_id is not None else f"incident {incident} has no findings")
        items = attribute_findings(session, found, app.settings.attribution_p)
        audit.append(session, "attribute.view", {"findings": [f.id for f in found],
                                                 "incident": incident})
    if output != "table":
        emit(output, items[0] if finding_id is not None else items)
        return
    for item in items:
        app.out.print(f"finding {item['finding']} ({item['dataset']})")
        print_attribution(app.out, item)
        app.out.print()
