"""``leakprint scan``: files, URLs or declared sources, on demand."""

from __future__ import annotations

import sys

import click
from rich.markup import escape

from leakprint.cli.common import (
    AppContext,
    UserError,
    emit,
    flag,
    format_option,
    pass_app,
    user_errors,
)
from leakprint.cli.render import findings_table
from leakprint.coverage import describe
from leakprint.datasets import DatasetError
from leakprint.findings import at_least, query_findings
from leakprint.findingview import FindingView, finding_views
from leakprint.scanning import ScanInputError, ScanOutcome, scan_paths
from matchers.confidence import Confidence
from matchers.stream import keep_freed_memory


@click.command("scan")
@click.option("--file", "files", multiple=True, metavar="PATH",
              help="A file to scan (repeatable; '-' reads standard input).")
@click.option("--url", "urls", multiple=True, metavar="URL", help="A URL to fetch and scan.")
@click.option("--render", is_flag=True, help="Render --url pages in Chromium (JavaScript).")
@click.option("--wait-for", metavar="CSS",
              help="With --render: wait until this selector is on the page (text written "
                   "by scripts after loading).")
@click.option("--depth", default=0, show_default=True, type=click.IntRange(0, 5),
              help="Follow links from --url pages this many levels deep.")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="A declared source.")
@click.option("--all-sources", is_flag=True, help="Every declared source.")
@click.option("--full", is_flag=True, help="Match unchanged documents again.")
@click.option("--distributed", is_flag=True,
              help="With --source/--all-sources: crawl through `leakprint worker`s "
                   "([scale] redis_url).")
@click.option("--dataset", "datasets", multiple=True, help="Only these datasets (default: all).")
@click.option("--workers", type=click.IntRange(1, 256),
              help="Processes for large files (default: all cores).")
@click.option("--fail-on", type=click.Choice(Confidence.names()),
              help="Exit with status 1 when a finding reaches this level.")
@format_option
@pass_app
@user_errors(DatasetError, ScanInputError)
def scan(app: AppContext, files: tuple[str, ...], urls: tuple[str, ...], render: bool,
         wait_for: str | None, depth: int, sources: tuple[str, ...], all_sources: bool, full: bool,
         distributed: bool, datasets: tuple[str, ...], workers: int | None, fail_on: str | None,
         output: str) -> None:
    """Scan files, URLs or declared sources for fingerprinted customer records.

    \b
    Exit status:
      0  scanned, no finding at or above --fail-on (or no --fail-on)
      1  a finding at or above --fail-on (wins over 3)
      2  usage or input error, or nothing could be scanned
      3  scanned, but some documents could not be read in full (coverage
         errors, listed on stderr: refused address or redirect, redirect
         loop, size or type refused, unreachable page)

    \b
    Examples:
      leakprint scan --file dump.csv --fail-on medium
      cat paste.txt | leakprint scan --file - --json
      leakprint scan --file dump.csv --format csv > findings.csv
      leakprint scan --url https://paste.example/AbCd1234 --render --wait-for pre
      leakprint scan --all-sources
      leakprint scan --source example-paste --distributed
    """
    if wait_for and not render:
        raise click.UsageError("--wait-for needs --render")
    chosen = sum(bool(x) for x in (files, urls, sources or all_sources))
    if chosen != 1:
        raise click.UsageError("give exactly one of --file, --url, or --source/--all-sources")
    if distributed and not (sources or all_sources):
        raise click.UsageError("--distributed crawls declared sources: use it with --source "
                               "or --all-sources")
    from leakprint.runs import reap_and_notify

    reap_and_notify(app.db)  # runs left running by a scan whose process is gone
    # Progress goes to stderr, but machine-readable output is read by a program: none.
    quiet = output != "table"
    if files:
        # This process scans the files (and hands large ones' ranges to workers that
        # do the same): what each piece frees is kept for the next.
        keep_freed_memory()
        outcome = scan_paths(
            app.settings, app.db, files, datasets=list(datasets) or None, workers=workers,
            stdin=sys.stdin.buffer if "-" in files else None,
            on_file=None if quiet else lambda n: app.console.print(f"scanning {escape(n)}"),
        )
    else:
        from leakprint.crawl import CrawlError, crawl_scan

        try:
            outcome = crawl_scan(
                app.settings, app.db, urls=list(urls), sources=list(sources),
                all_sources=all_sources, render=render, wait_for=wait_for, depth=depth,
                full=full, distributed=distributed,
                datasets=list(datasets) or None, console=None if quiet else app.console,
            )
        except CrawlError as exc:
            raise UserError(exc.render(flag)) from None
    _report(app, outcome, output, fail_on)
    if outcome.error:
        # Findings above are real, but the scan did not cover everything it should have.
        raise UserError(outcome.error)
    if outcome.coverage:
        raise SystemExit(EXIT_COVERAGE)


def _report(app: AppContext, outcome: ScanOutcome, output: str, fail_on: str | None) -> None:
    with app.db.session() as session:
        views = finding_views(query_findings(session, ids=outcome.finding_ids))
    if output != "table":
        emit(output, [v.as_json() for v in views], FindingView.COLUMNS)
    elif views or not (outcome.error or outcome.coverage):
        # "no findings" would read as a clean result when something was not read.
        findings_table(app.out, views, title=f"scan {outcome.run_id}")
    # On stderr, also with --json: how much was read, and what could not be.
    errors = f", {_count(outcome.errors, 'fetch error')}" if outcome.errors else ""
    click.echo(f"{_count(outcome.documents, 'document')}, {outcome.bytes:,} bytes "
               f"scanned{errors} (scan run {outcome.run_id})", err=True)
    _coverage_lines(outcome)
    if fail_on and any(at_least(v.confidence, fail_on) for v in views):
        if outcome.error:
            click.echo(f"error: {outcome.error}", err=True)
        raise SystemExit(1)


EXIT_COVERAGE = 3
SHOWN_COVERAGE = 20


def _coverage_lines(outcome: ScanOutcome) -> None:
    items = outcome.coverage
    if not items:
        return
    click.echo(f"coverage: {_count(len(items), 'document')} could not be read in full "
               "(not a clean result):", err=True)
    for item in items[:SHOWN_COVERAGE]:
        click.echo(f"  {describe(item)}", err=True)
    if len(items) > SHOWN_COVERAGE:
        click.echo(f"  … and {len(items) - SHOWN_COVERAGE} more "
                   f"(log: logs/scan-{outcome.run_id}.log)", err=True)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
