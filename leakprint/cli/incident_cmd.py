"""``leakprint incident open|list|show|close``."""

from __future__ import annotations

import click
from rich.table import Table

from alerts.recipients import shown
from leakprint.cli.common import (
    AppContext,
    UserError,
    emit,
    format_option,
    one_line,
    pass_app,
    user_errors,
)
from leakprint.cli.render import findings_table
from leakprint.coverage import coverage_errors, describe
from leakprint.datasets import DatasetError, get_dataset
from leakprint.findings import query_findings
from leakprint.findingview import finding_views
from leakprint.incidents import (
    IncidentError,
    IncidentInfo,
    close_incident,
    get_incident,
    list_incidents,
    open_incident,
)
from matchers.confidence import Confidence


@click.group()
def incident() -> None:
    """Watch sources after a leak: scheduled scans, findings and alert e-mails.

    \b
    Example:
      leakprint incident open leak-2026-11 --dataset crm-2026 --source example-paste \\
          --every 30m --for 90d --notify soc@example.jp
      leakprint incident show 1
    """


@incident.command("open")
@click.argument("name")
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    required=True,
    help="A fingerprint set at risk (repeatable).",
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    required=True,
    help="A declared source to watch (repeatable).",
)
@click.option("--every", help="Scan interval, e.g. 30m, 6h (at least 1m).")
@click.option("--cron", help='Or a crontab schedule in UTC, e.g. "0 */2 * * *".')
@click.option(
    "--for",
    "period",
    default="90d",
    show_default=True,
    help="Watch period, e.g. 90d; the incident closes itself after it.",
)
@click.option("--notify", multiple=True, required=True,
              help="Alert recipient: an e-mail address (bare or mailto:addr) or an "
                   "https:// webhook (repeatable).")
@click.option(
    "--threshold",
    type=click.Choice(Confidence.names()),
    help="Alert at or above this confidence (default: alerts.threshold).",
)
@format_option
@pass_app
@user_errors(IncidentError, DatasetError)
def open_cmd(
    app: AppContext,
    name: str,
    datasets: tuple[str, ...],
    sources: tuple[str, ...],
    every: str | None,
    cron: str | None,
    period: str,
    notify: tuple[str, ...],
    threshold: str | None,
    output: str,
) -> None:
    """Open an incident; `leakprint serve` scans it at once, then on its cadence.

    \b
    Example:
      leakprint incident open leak-2026-11 --dataset crm-2026 --source example-paste \\
          --source example-forum --every 30m --for 90d --notify soc@example.jp
    """
    from leakprint.crawl import CrawlError, check_sources

    for name_ in datasets:
        get_dataset(app.db, name_)
    try:
        check_sources(app.settings, sources, all_sources=False)
    except CrawlError as exc:
        raise UserError(one_line(exc)) from None
    info = open_incident(
        app.db,
        name=name,
        datasets=datasets,
        sources=sources,
        every=every,
        cron=cron,
        period=period,
        notify=notify,
        threshold=threshold or app.settings.threshold,
    )
    if output != "table":
        emit(output, info.as_json())
        return
    click.echo(
        f"incident {info.id} opened: {info.name}, {info.cadence} until "
        f"{info.ends_at:%Y-%m-%d %H:%M} UTC, alerts at {info.threshold} or above to "
        f"{', '.join(map(shown, info.notify))}"
    )
    click.echo("run `leakprint serve` to start scanning")


@incident.command("list")
@click.option("--state", type=click.Choice(["open", "closed"]), help="Only this state.")
@format_option
@pass_app
@user_errors()
def list_cmd(app: AppContext, state: str | None, output: str) -> None:
    """List incidents.

    \b
    Example:
      leakprint incident list --state open --json
      leakprint incident list --format csv > incidents.csv
    """
    infos = list_incidents(app.db, state=state)
    if output != "table":
        emit(output, [i.as_json() for i in infos], IncidentInfo.COLUMNS)
        return
    table = Table(
        "id",
        "name",
        "state",
        "cadence",
        "until",
        "datasets",
        "sources",
        "findings",
        "last scan",
        "next scan",
    )
    for i in infos:
        table.add_row(
            str(i.id),
            i.name,
            i.state,
            i.cadence,
            f"{i.ends_at:%Y-%m-%d}",
            ", ".join(i.datasets),
            ", ".join(i.sources),
            str(i.findings),
            i.last_scan,
            i.next_scan(),
        )
    app.out.print(table)


@incident.command("show")
@click.argument("incident_id", type=int)
@format_option
@pass_app
@user_errors(IncidentError)
def show_cmd(app: AppContext, incident_id: int, output: str) -> None:
    """Show an incident and its findings.

    \b
    Example:
      leakprint incident show 3
    """
    info = get_incident(app.db, incident_id)
    with app.db.session() as session:
        views = finding_views(query_findings(session, incident=incident_id))
    from leakprint.runs import blind_runs

    blind = blind_runs(app.db, incident_id)
    # What the last scan could not read in full (SPEC 10): never a silent "no findings".
    gaps = coverage_errors(app.db, [info.last_scan_run]) if info.last_scan_run else []
    if output != "table":
        emit(output, {**info.as_json(), "blind_scans": blind,
                             "findings": [v.as_json() for v in views],
                   "coverage_errors": [
                       {"kind": g.kind, "url": g.url, "source": g.source, "detail": g.detail}
                       for g in gaps]})
        return
    app.out.print(f"[bold]incident {info.id}[/]: {info.name} ({info.state})")
    app.out.print(f"  datasets: {', '.join(info.datasets)}   sources: {', '.join(info.sources)}")
    app.out.print(
        f"  {info.cadence} until {info.ends_at:%Y-%m-%d %H:%M} UTC; alerts at "
        f"{info.threshold}+ to {', '.join(map(shown, info.notify))}"
    )
    last = f"  last scan: {info.last_scan}"
    if info.last_scan_status not in (None, "ok"):
        n = info.last_scan_run
        last += f" (scan run {n}, log logs/scan-{n}.log: {info.last_scan_error or 'no reason'})"
    app.out.print(last, markup=False, highlight=False)
    if gaps:
        app.out.print(f"  coverage errors of the last scan ({len(gaps)}): not read in full",
                      markup=False, highlight=False)
        for gap in gaps[:20]:
            app.out.print(f"    {describe(gap)}", markup=False, highlight=False)
        if len(gaps) > 20:
            app.out.print(f"    … and {len(gaps) - 20} more (--json lists all)", markup=False,
                          highlight=False)
    app.out.print(f"  next scan: {info.next_scan()}", markup=False, highlight=False)
    if blind:
        app.out.print(f"  scans that saw nothing since the last good one ({len(blind)}):",
                      highlight=False)
        for b in blind:
            app.out.print(f"    {str(b['at'])[:16].replace('T', ' ')} {b['status']} "
                          f"(scan run {b['scan_run']}): {b['error'] or 'no reason'}",
                          markup=False, highlight=False)
    findings_table(app.out, views)


@incident.command("close")
@click.argument("incident_id", type=int)
@pass_app
@user_errors(IncidentError)
def close_cmd(app: AppContext, incident_id: int) -> None:
    """Close an incident; its scans stop at the scheduler's next sync.

    \b
    Example:
      leakprint incident close 3
    """
    info = close_incident(app.db, incident_id)
    click.echo(f"incident {info.id} closed")
