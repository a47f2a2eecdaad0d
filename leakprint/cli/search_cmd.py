"""``leakprint search``."""

from __future__ import annotations

import click

from leakprint.cli.common import AppContext, emit_json, json_option, pass_app, user_errors
from leakprint.cli.render import findings_table
from leakprint.datasets import DatasetError
from leakprint.search import SearchError, search


@click.command("search")
@click.option("--phone", help="A phone number in any format (hashed locally).")
@click.option("--email", help="An e-mail address (hashed locally).")
@click.option("--name", help="A kanji name (hashed locally).")
@click.option("--record", help="Your record reference (the --id-column value).")
@click.option("--dataset", "datasets", multiple=True, help="Only these datasets.")
@json_option
@pass_app
@user_errors(SearchError, DatasetError)
def search_cmd(app: AppContext, phone: str | None, email: str | None, name: str | None,
               record: str | None, datasets: tuple[str, ...], as_json: bool) -> None:
    """Has this customer been seen? Answers from fingerprints, stores no value.

    Values are normalized and hashed with the deployment key on this machine; the
    search is written to the audit log by digest only.

    \b
    Example:
      leakprint search --phone 090-1234-5678
      leakprint search --record C0012345 --json
    """
    values = {k: v for k, v in (("phone", phone), ("email", email), ("name", name)) if v}
    answer = search(app.settings, app.db, values=values, record=record,
                    datasets=list(datasets) or None)
    if as_json:
        emit_json(answer.as_json())
        return
    for kind in answer.invalid:
        app.console.print(f"the --{kind} value is not a valid {kind}; it was not searched")
    if not answer.records:
        app.out.print("not one of the fingerprinted customers")
        return
    for dataset, refs in answer.records.items():
        app.out.print(f"{dataset}: record {', '.join(refs)}")
    if not answer.findings:
        app.out.print("fingerprinted, but not seen in any scanned document")
        return
    findings_table(app.out, answer.findings, title="seen in")
