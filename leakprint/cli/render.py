"""Human-readable output of findings (tables and detail views)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

STYLE = {"high": "bold red", "medium": "yellow", "low": "dim"}


def findings_table(console: Console, findings: list[dict[str, Any]], title: str = "") -> None:
    if not findings:
        console.print("no findings")
        return
    table = Table("id", "confidence", "records", "dataset", "fields", "where", "first seen",
                  title=title or None)
    for f in findings:
        level = f["confidence"] + (" (bulk)" if f["bulk"] else "")
        table.add_row(str(f["id"]), f"[{STYLE.get(f['confidence'], '')}]{level}[/]",
                      str(f["record_count"]), f["dataset"], ", ".join(f["fields"]),
                      f["url"], f["first_seen"][:19])
    console.print(table)


def finding_detail(console: Console, f: dict[str, Any], limit: int = 50) -> None:
    console.print(f"[bold]finding {f['id']}[/]  {f['confidence']}"
                  f"{' bulk' if f['bulk'] else ''}  dataset {f['dataset']}")
    console.print(f"  where:      {f['url']}" + (f"  (source {f['source']})" if f["source"] else ""))
    console.print(f"  first seen: {f['first_seen']}   last seen: {f['last_seen']}")
    console.print(f"  content:    sha256 {f['content_sha256']}")
    console.print(f"  fields:     {', '.join(f['fields'])}")
    console.print(f"  records:    {f['record_count']}")
    table = Table("record", "confidence", "fields")
    for r in f["records"][:limit]:
        table.add_row(r["ref"], r["confidence"], ", ".join(r["fields"]))
    console.print(table)
    if len(f["records"]) > limit:
        console.print(f"  … and {len(f['records']) - limit} more (use --json for all)")
    if f["snippet"]:
        console.print("  example row (shape only):")
        console.print(f"    {f['snippet']}", markup=False)
