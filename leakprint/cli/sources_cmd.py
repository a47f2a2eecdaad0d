"""``leakprint sources list|check``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Table

from leakprint.cli.common import AppContext, emit, format_option, pass_app, user_errors
from leakprint.crawl import CrawlError, sources_path
from leakprint.urlsafe import guard_for

if TYPE_CHECKING:
    from crawler.sources import Source


#: The keys of each source of ``sources list --json``, in order.
SOURCE_COLUMNS = ("name", "kind", "start_urls", "render", "max_depth", "max_pages",
                  "obey_robots")


def _load(app: AppContext) -> list[Source]:
    from crawler.sources import load_sources

    return load_sources(sources_path(app.settings))


@click.group()
def sources() -> None:
    """The declared crawl sources (sources.toml or [[source]] in leakprint.toml).

    \b
    Example:
      leakprint sources list
      leakprint sources check example-paste
    """


@sources.command("list")
@format_option
@pass_app
@user_errors(CrawlError, ValueError)
def list_cmd(app: AppContext, output: str) -> None:
    """List the declared sources.

    \b
    Example:
      leakprint sources list --json
      leakprint sources list --format csv > sources.csv
    """
    declared = _load(app)
    if output != "table":
        emit(output, [{"name": s.name, "kind": s.kind, "start_urls": list(s.start_urls),
                    "render": s.render, "max_depth": s.max_depth, "max_pages": s.max_pages,
                    "obey_robots": s.obey_robots} for s in declared], SOURCE_COLUMNS)
        return
    table = Table("name", "kind", "start URLs", "render", "depth", "max pages")
    for s in declared:
        table.add_row(s.name, s.kind, "\n".join(s.start_urls), "yes" if s.render else "",
                      str(s.max_depth), str(s.max_pages))
    app.out.print(table)


@sources.command("check")
@click.argument("names", nargs=-1)
@format_option
@pass_app
@user_errors(CrawlError, ValueError)
def check_cmd(app: AppContext, names: tuple[str, ...], output: str) -> None:
    """Fetch each source's first page and show the links a crawl would follow.

    \b
    Example:
      leakprint sources check example-paste
    """
    from leakprint.netpolicy import address_policy
    from leakprint.sourcecheck import SourceCheck, check_source

    declared = _load(app)
    unknown = [n for n in names if n not in {s.name for s in declared}]
    if unknown:
        raise CrawlError(f"unknown source {unknown[0]!r}")
    policy = address_policy(app.settings)
    checks = [check_source(s, policy=policy) for s in declared if not names or s.name in names]
    # Links a leak site lists may name customers (/u/<e-mail>/…): shown redacted.
    redact = guard_for(app.settings, app.db).redact
    for c in checks:
        c.url, c.follow, c.offsite = redact(c.url), [redact(u) for u in c.follow], \
            [redact(u) for u in c.offsite]
        c.next_page = redact(c.next_page) if c.next_page else None
        c.dropped = [redact(u) for u in c.dropped]
    if output != "table":
        emit(output, [c.as_json() for c in checks], SourceCheck.COLUMNS)
        return
    for c in checks:
        head = f"[bold]{escape(c.name)}[/] {escape(c.url)}: "
        app.out.print(head + (f"[red]{c.error}[/]" if c.error else f"HTTP {c.status}"))
        if c.note:
            app.out.print(f"  ({c.note})")
        for link in c.follow[:20]:
            app.out.print(f"  follow   {escape(link)}")
        if len(c.follow) > 20:
            app.out.print(f"  … and {len(c.follow) - 20} more")
        for link in c.offsite[:20]:
            app.out.print(f"  offsite  {escape(link)}")
        if c.next_page:
            app.out.print(f"  next     {escape(c.next_page)}")
        if c.dropped:
            app.out.print(f"  [yellow]warning[/]: {len(c.dropped)} links go to hosts "
                          "allow_offsite does not cover; the crawl will not read them:")
            for link in c.dropped[:10]:
                app.out.print(f"  dropped  {link}", markup=False, highlight=False)
            if len(c.dropped) > 10:
                app.out.print(f"  … and {len(c.dropped) - 10} more")
        if not c.error and not c.follow and not c.offsite:
            app.out.print("  no link matches `follow`: only the page itself would be read")
    if any(c.error for c in checks):
        raise SystemExit(1)
