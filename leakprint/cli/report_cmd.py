"""``leakprint report``: the draft of the regulator's leak report (SPEC 16)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click

from leakprint import audit
from leakprint.cli.common import AppContext, pass_app, user_errors
from leakprint.report import ReportError, build_report, output_paths, write_report
from leakprint.report.model import JST


def _parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD, e.g. 2026-12-01") from None


@click.command("report")
@click.option("--incident", "incident_id", type=int, required=True, help="The incident.")
@click.option("--stage", type=click.Choice(["preliminary", "final"]), default="preliminary",
              show_default=True, help="速報 (preliminary) or 確報 (final).")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.option("--aware-on", callback=_parse_day, metavar="YYYY-MM-DD",
              help="The day the business learned of the leak: the deadlines count from it.")
@click.option("--wrongful", is_flag=True,
              help="Suspected wrongful intent: the final report is due in 60 days, not 30.")
@click.option("--with-refs", is_flag=True,
              help="List the persons' record references in the appendix (audited).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
              help="Write PATH.md and PATH.html (default: leak-report-incident-N-DATE here).")
@pass_app
@user_errors(ReportError)
def report_cmd(app: AppContext, incident_id: int, stage: str, lang: str, aware_on: date | None,
               wrongful: bool, with_refs: bool, out: Path | None) -> None:
    """Draft the APPI leak report (規則8条1項) of an incident as Markdown and HTML.

    Every item of the report in its order, filled where leakprint knows it and
    marked for the operator where it cannot; the deadlines from --aware-on; whether
    the leak looks reportable; the evidence appendix. Never a customer value.

    \b
    Example:
      leakprint report --incident 1 --aware-on 2026-12-01
      leakprint report --incident 1 --stage final --lang en --wrongful --out report
    """
    now = datetime.now(UTC)
    with app.db.session() as session:
        report = build_report(session, incident_id, stage=stage,  # type: ignore[arg-type]
                              lang=lang, aware_on=aware_on,  # type: ignore[arg-type]
                              wrongful=wrongful, with_refs=with_refs, now=now,
                              attribution_p=app.settings.attribution_p)
        md_path, html_path = output_paths(out, incident_id, now.astimezone(JST).date().isoformat())
        # Who drafted which report is kept; with --with-refs the files list record
        # references, a view of them like `findings show`. Committed before the files
        # are written: no report leaves without its entry.
        audit.append(session, "report.write", {
            "incident": incident_id, "stage": stage, "lang": lang, "with_refs": with_refs,
            "refs": len(report.refs) if report.refs is not None else 0,
            "files": [md_path.name, html_path.name]})
    write_report(report, md_path, html_path)
    click.echo(f"report of incident {incident_id}: {md_path} and {html_path} "
               f"({report.persons:,} persons at {report.threshold} or above)")
