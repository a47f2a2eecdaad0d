"""``leakprint contractor``, ``handover``: the contractor ledger (SPEC 14)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from leakprint.cli.common import AppContext, emit, format_option, pass_app, user_errors
from leakprint.contractors.canaries import mint_canaries, read_phone_pool
from leakprint.contractors.ledger import (
    CONTRACTOR_COLUMNS,
    CONTRACTS,
    HANDOVER_COLUMNS,
    LedgerError,
    add_contractor,
    add_handover,
    list_contractors,
    list_handovers,
    read_refs,
    show_contractor,
)


@click.group()
def contractor() -> None:
    """Contractors and sub-contractors that hold customer records.

    \b
    Example:
      leakprint contractor add shop-east --contract entrustment
      leakprint contractor add callcenter-x --parent shop-east --contract external-service
      leakprint contractor list
    """


@contractor.command("add")
@click.argument("name")
@click.option("--parent", help="The contractor this one works for (a sub-contractor).")
@click.option("--contract", type=click.Choice(CONTRACTS), default="entrustment",
              show_default=True, help="The kind of contract it works under.")
@click.option("--note", default="", help="Free text (no customer values).")
@format_option
@pass_app
@user_errors(LedgerError)
def add_cmd(app: AppContext, name: str, parent: str | None, contract: str, note: str,
            output: str) -> None:
    """Register a contractor (audited).

    \b
    Example:
      leakprint contractor add dm-print --parent shop-east --contract external-service \\
          --note "direct mail printing"
    """
    item = add_contractor(app.db, name, parent=parent, contract=contract, note=note)
    if output != "table":
        emit(output, item)
    else:
        click.echo(f"contractor {' > '.join(item['chain'])} ({contract}) added")


def _tree_lines(items: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for item in items:
        pad = "  " * item["depth"] + ("└ " if item["depth"] else "")
        note = f"  — {item['note']}" if item["note"] else ""
        lines.append(f"{pad}{item['name']} [{item['contract']}]{note}")
        lines += _tree_lines(item["children"])
    return lines


@contractor.command("list")
@format_option
@pass_app
@user_errors(LedgerError)
def list_cmd(app: AppContext, output: str) -> None:
    """The contractors as a tree, with their contract kinds.

    \b
    Example:
      leakprint contractor list --json
      leakprint contractor list --format csv > contractors.csv
    """
    items = list_contractors(app.db)
    if output != "table":
        emit(output, items, CONTRACTOR_COLUMNS)
        return
    if not items:
        click.echo("no contractors yet: `leakprint contractor add NAME`")
    for line in _tree_lines(items):
        click.echo(line)


@contractor.command("show")
@click.argument("name")
@format_option
@pass_app
@user_errors(LedgerError)
def show_cmd(app: AppContext, name: str, output: str) -> None:
    """One contractor: chain, contract, handovers and canaries.

    \b
    Example:
      leakprint contractor show callcenter-x
    """
    item = show_contractor(app.db, name)
    if output != "table":
        emit(output, item)
        return
    click.echo(f"{' > '.join(item['chain'])}  [{item['contract']}]")
    if item["note"]:
        click.echo(f"note: {item['note']}")
    if item["subcontractors"]:
        click.echo(f"sub-contractors: {', '.join(item['subcontractors'])}")
    for h in item["handovers"]:
        what = f"{h['canaries']} canaries" if h["canaries"] else f"{h['records']} records"
        click.echo(f"handover {h['id']}: {h['dataset']}, {what}"
                   f"{', ' + h['date'] if h['date'] else ''}"
                   f"{' — ' + h['purpose'] if h['purpose'] else ''}")
    for dataset, n in sorted(item["canaries"].items()):
        click.echo(f"canaries in {dataset}: {n}")


@click.group()
def handover() -> None:
    """Which records of a dataset went to which contractor.

    \b
    Example:
      leakprint handover add --contractor shop-east --dataset crm-2026 --all
      leakprint handover list --contractor shop-east
    """


@handover.command("add")
@click.option("--contractor", "who", required=True, help="The receiving contractor.")
@click.option("--dataset", required=True, help="The fingerprint set the records are in.")
@click.option("--all", "everything", is_flag=True, help="Every record of the dataset.")
@click.option("--refs", "refs_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A file of record references, one a line (or a CSV with --ref-column).")
@click.option("--ref-column", help="The CSV column of --refs holding the references.")
@click.option("--date", "handed_on", type=click.DateTime(["%Y-%m-%d"]),
              help="When the records were handed over (YYYY-MM-DD).")
@click.option("--purpose", default="", help="What the contractor uses them for.")
@format_option
@pass_app
@user_errors(LedgerError)
def handover_add_cmd(app: AppContext, who: str, dataset: str, everything: bool,
                     refs_file: Path | None, ref_column: str | None, handed_on: Any,
                     purpose: str, output: str) -> None:
    """Record a handover of records (audited). A sub-contractor's records must be
    held by its parent.

    \b
    Example:
      leakprint handover add --contractor callcenter-x --dataset crm-2026 \\
          --refs batch-07.csv --ref-column 顧客ID --date 2026-10-01 --purpose "renewal calls"
    """
    if everything == (refs_file is not None):
        raise LedgerError("give exactly one of --all or --refs FILE")
    if ref_column and refs_file is None:
        raise LedgerError("--ref-column needs --refs FILE")
    refs = read_refs(refs_file, ref_column) if refs_file is not None else None
    day: date | None = handed_on.date() if handed_on else None
    item = add_handover(app.db, contractor=who, dataset=dataset, everything=everything,
                        refs=refs, handed_on=day, purpose=purpose)
    if output != "table":
        emit(output, item)
    else:
        n = item["records"]
        click.echo(f"handover {item['id']}: {n} record{'' if n == 1 else 's'} of {dataset} "
                   f"to {who}")


@handover.command("list")
@click.option("--contractor", "who", help="Only this contractor's handovers.")
@format_option
@pass_app
@user_errors(LedgerError)
def handover_list_cmd(app: AppContext, who: str | None, output: str) -> None:
    """The recorded handovers (record counts, never references).

    \b
    Example:
      leakprint handover list --contractor shop-east --json
      leakprint handover list --format csv > handovers.csv
    """
    items = list_handovers(app.db, who)
    if output != "table":
        emit(output, items, HANDOVER_COLUMNS)
        return
    if not items:
        click.echo("no handovers recorded")
    for h in items:
        what = f"{h['canaries']} canaries" if h["canaries"] else f"{h['records']} records"
        click.echo(f"{h['id']:>4}  {h['contractor']:<24} {h['dataset']:<20} {what:<16} "
                   f"{h['date'] or '-':<10} {h['purpose']}")


@click.group()
def canary() -> None:
    """Canary records: synthetic customers unique to one contractor.

    \b
    Example:
      leakprint canary mint --contractor callcenter-x --dataset crm-2026 --count 5 \\
          --email-domain canary.example.jp --out canaries-callcenter-x.csv
    """


@canary.command("mint")
@click.option("--contractor", "who", required=True, help="The contractor they are for.")
@click.option("--dataset", required=True, help="The dataset whose columns they imitate.")
@click.option("--count", type=int, default=5, show_default=True, help="How many.")
@click.option("--email-domain", required=True,
              help="A domain you control: every canary's e-mail address is on it.")
@click.option("--phones", "phones_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Your own pool of phone numbers, one a line (else canaries have none).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where the canaries are written, once (mode 0600).")
@format_option
@pass_app
@user_errors(LedgerError)
def mint_cmd(app: AppContext, who: str, dataset: str, count: int, email_domain: str,
             phones_file: Path | None, out: Path, output: str) -> None:
    """Mint canaries for a contractor, fingerprint them into the dataset as its canaries
    and record them as handed over to it (audited). Their values exist only in --out.

    \b
    Example:
      leakprint canary mint --contractor shop-east --dataset crm-2026 --count 5 \\
          --email-domain canary.example.jp --phones our-spare-numbers.txt --out shop-east.csv
    """
    phones = read_phone_pool(phones_file) if phones_file else None
    result = mint_canaries(app.db, app.settings.load_key(), contractor=who, dataset=dataset,
                           count=count, email_domain=email_domain, out=out, phones=phones)
    if output != "table":
        emit(output, {"contractor": result.contractor, "dataset": result.dataset,
                   "count": result.count, "batch": result.batch, "columns": result.columns,
                   "with_phones": result.with_phones, "out": str(result.out)})
    else:
        click.echo(f"{result.count} canaries for {result.contractor} in {result.dataset} "
                   f"written to {result.out}")
    click.echo(f"reminder: {result.reminder}", err=True)
