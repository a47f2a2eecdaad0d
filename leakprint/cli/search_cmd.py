"""``leakprint search``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

import click

from fingerprints.normalizers import BUILTIN, SEARCHABLE_KINDS
from leakprint.cli.common import AppContext, emit, format_option, pass_app, user_errors
from leakprint.cli.render import findings_table
from leakprint.datasets import DatasetError
from leakprint.search import SearchError, search

#: What ``--stdin`` lines may name: the searchable kinds and the record reference.
KINDS = (*SEARCHABLE_KINDS, "record")


def _kind_options(command: Callable[..., None]) -> Callable[..., None]:
    """One ``--<kind>`` option per searchable kind (``Normalizer.search_help``)."""
    for kind in reversed(SEARCHABLE_KINDS):
        command = click.option(f"--{kind}", kind, help=BUILTIN[kind].search_help)(command)
    return command


def read_stdin_values(stream: TextIO, given: dict[str, str | None]) -> dict[str, str | None]:
    """``KIND=VALUE`` lines (blank lines and ``#`` comments skipped) merged into the
    values given as options. Errors never quote a value."""
    out = dict(given)
    for n, line in enumerate(stream, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        kind, sep, value = text.partition("=")
        kind = kind.strip().lower()
        if not sep or kind not in KINDS:
            raise SearchError(f"standard input line {n}: expected KIND=VALUE, KIND one of "
                              f"{', '.join(KINDS)}")
        if out.get(kind):
            raise SearchError(f"standard input line {n}: {kind} given twice")
        out[kind] = value.strip() or None
    return out


@click.command("search")
@_kind_options
@click.option("--record", help="Your record reference (the --id-column value).")
@click.option("--stdin", "from_stdin", is_flag=True,
              help="Read the values from standard input, one KIND=VALUE a line (KIND: "
                   f"{', '.join(KINDS[:-1])} or {KINDS[-1]}), so they do not show in the "
                   "process list.")
@click.option("--dataset", "datasets", multiple=True, help="Only these datasets.")
@format_option
@pass_app
@user_errors(SearchError, DatasetError)
def search_cmd(app: AppContext, /, record: str | None, from_stdin: bool,
               datasets: tuple[str, ...], output: str, **by_kind: str | None) -> None:
    """Has this customer been seen? Answers from fingerprints, stores no value.

    Values are normalized and hashed with the deployment key on this machine; the
    search is written to the audit log by digest only.

    A value given as an option is visible to every user of the machine while the
    command runs (/proc/*/cmdline, `ps`); --stdin keeps it out of there.

    \b
    Example:
      leakprint search --phone 090-1234-5678
      leakprint search --record C0012345 --json
      printf 'phone=090-1234-5678\\nname=山田 太郎\\n' | leakprint search --stdin
    """
    given = {**by_kind, "record": record}
    if from_stdin:
        given = read_stdin_values(sys.stdin, given)
    record = given.pop("record")
    values = {k: v for k, v in given.items() if v}
    answer = search(app.settings, app.db, values=values, record=record,
                    datasets=list(datasets) or None)
    if output != "table":
        emit(output, answer.as_json())
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
    # Each finding lists only the searched records, not the leak's others: say so.
    findings_table(app.out, answer.findings, title="seen in", records="searched records")
