"""``leakprint findings`` and ``findings show``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from leakprint import audit
from leakprint.cli.attribute_view import print_attribution
from leakprint.cli.common import (
    AppContext,
    UserError,
    emit,
    format_option,
    pass_app,
    user_errors,
)
from leakprint.cli.render import finding_detail, findings_table
from leakprint.contractors.attribute import attribute_findings
from leakprint.findings import query_findings
from leakprint.findingview import FindingView, finding_views
from leakprint.urlsafe import SealError, UrlGuard
from matchers.confidence import Confidence


def parse_since(value: str | None) -> datetime | None:
    """``7d``, ``12h``, ``30m`` or an ISO date/time (UTC when no zone is given)."""
    if not value:
        return None
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if value[-1:] in units and value[:-1].isdigit():
        try:
            return datetime.now(UTC) - timedelta(**{units[value[-1]]: int(value[:-1])})
        except (OverflowError, ValueError):
            raise click.BadParameter(
                f"{value} reaches back before the year 1", param_hint="--since"
            ) from None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "use 7d, 12h, 30m or an ISO date such as 2026-11-01", param_hint="--since"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.group(invoke_without_command=True)
@click.option("--incident", type=int, help="Only findings linked to this incident.")
@click.option("--since", help="Only findings seen since (7d, 12h, 2026-11-01…).")
@click.option(
    "--min-confidence",
    type=click.Choice(Confidence.names()),
    help="Hide findings below this level.",
)
@format_option
@click.pass_context
@user_errors()
def findings(
    ctx: click.Context,
    incident: int | None,
    since: str | None,
    min_confidence: str | None,
    output: str,
) -> None:
    """List findings: which records, which fields, where and since when.

    \b
    Example:
      leakprint findings --since 7d --min-confidence medium
      leakprint findings --incident 3 --json
      leakprint findings --since 30d --format csv > findings.csv
    """
    if ctx.invoked_subcommand:
        return
    app: AppContext = ctx.obj
    with app.db.session() as session:
        views = finding_views(query_findings(
            session, incident=incident, since=parse_since(since), min_confidence=min_confidence))
        if output != "table":
            # JSON and CSV list every record reference of every finding: a view, audited.
            audit.append(session, "findings.list", {
                "findings": [v.id for v in views], "incident": incident, "since": since,
                "min_confidence": min_confidence})
    if output != "table":
        emit(output, [v.as_json() for v in views], FindingView.COLUMNS)
    else:
        findings_table(app.out, views)


@findings.command("show")
@click.argument("finding_id", type=int)
@click.option("--full-url", is_flag=True,
              help="Also show the full URL or path, unsealed (audited as its own view).")
@format_option
@pass_app
@user_errors(SealError)
def show(app: AppContext, finding_id: int, full_url: bool, output: str) -> None:
    """Show one finding with its record references (the view is audited).

    Where the document's URL or path held a customer value, it is shown redacted
    (``/u/[email]/dump.txt``); ``--full-url`` unseals the full one for taking it
    down, and the audit log records that it was asked for.

    \b
    Example:
      leakprint findings show 12
      leakprint findings show 12 --full-url
    """
    guard = UrlGuard(app.settings.load_key()) if full_url else None
    with app.db.session() as session:
        found = query_findings(session, ids=[finding_id])
        if not found:
            raise UserError(f"no finding {finding_id} (see `leakprint findings`)")
        data = FindingView.of(found[0]).as_json()
        attribution = attribute_findings(session, found, app.settings.attribution_p)[0]
        if attribution["ledger"]:  # a deployment without a contractor ledger: no section
            data["attribution"] = attribution
        audit.append(session, "finding.view", {"finding": finding_id})
        if guard is not None:
            doc = found[0].document
            # A document stored before URLs were sealed holds its full URL as is.
            data["full_url"] = guard.unseal(doc.url_sealed) if doc.url_sealed else doc.url
            audit.append(session, "finding.full_url",
                         {"finding": finding_id, "document": doc.id})
    if output != "table":
        emit(output, data)
    else:
        finding_detail(app.out, data)
        if "attribution" in data:
            print_attribution(app.out, data["attribution"])
