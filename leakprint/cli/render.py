"""Human-readable output of findings (tables and detail views)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leakprint.findings import display_fields
from leakprint.findingview import FindingView, RecordView
from matchers.companion import is_canary_ref
from matchers.confidence import Confidence

STYLE: dict[str, str] = {
    Confidence.HIGH: "bold red", Confidence.MEDIUM: "yellow", Confidence.LOW: "dim"
}


def findings_table(console: Console, findings: Sequence[FindingView], title: str = "",
                   records: str = "customer records") -> None:
    """Findings as a table; ``records`` heads the column counting each finding's
    records of our customers (by level)."""
    if not findings:
        console.print("no findings")
        return
    table = Table(title=title or None)
    table.add_column("id", justify="right")
    table.add_column("confidence")
    table.add_column(records, justify="right")
    table.add_column("fields")
    table.add_column("where", overflow="fold", ratio=3)
    table.add_column("first seen (UTC)")
    several = len({x.dataset for x in findings}) > 1
    for f in findings:
        level = f.confidence + (" bulk" if f.bulk else "")
        table.add_row(
            str(f.id),
            f"[{STYLE.get(f.confidence, '')}]{level}[/]",
            _by_level(f.records),
            short_fields(f.fields),
            escape(f.url) + (f"\n({f.dataset})" if several else ""),
            f.first_seen[:16].replace("T", " "),
        )
    console.print(table)


def short_fields(fields: Sequence[str]) -> str:
    """Field kinds for display (the folded name form shown as ``name``)."""
    return " ".join(display_fields(fields))


def _by_level(records: Sequence[RecordView]) -> str:
    # Canaries are not customers (SPEC 14): counted apart.
    canaries = sum(1 for r in records if is_canary_ref(r.ref))
    counts = {
        level: sum(1 for r in records if r.confidence == level and not is_canary_ref(r.ref))
        for level in Confidence.descending()
    }
    total = sum(counts.values())
    parts = [f"{n} {level[0]}" for level, n in counts.items() if n]
    shown = f"{total} ({' '.join(parts)})" if len(parts) > 1 else str(total)
    return shown + (f" +{canaries} canary" if canaries else "")


def finding_detail(console: Console, f: dict[str, Any], limit: int = 50) -> None:
    console.print(
        f"[bold]finding {f['id']}[/]  {f['confidence']}"
        f"{' bulk' if f['bulk'] else ''}  dataset {f['dataset']}"
    )
    source = f"  (source {f['source']})" if f["source"] else ""
    # escape: a redacted URL's "[email]" is not rich markup.
    console.print(f"  where:      {escape(f['url'])}{escape(source)}")
    if f.get("full_url"):
        console.print(f"  full URL:   {escape(f['full_url'])}  (sealed; this view is audited)",
                      soft_wrap=True)
    console.print(f"  first seen: {f['first_seen']}   last seen: {f['last_seen']}")
    console.print(f"  content:    sha256 {f['content_sha256']}")
    console.print(f"  fields:     {short_fields(f['fields'])}")
    console.print(f"  records:    {f['record_count']}")
    table = Table("record", "confidence", "fields")
    for r in f["records"][:limit]:
        table.add_row(r["ref"], r["confidence"], short_fields(r["fields"]))
    console.print(table)
    # SPEC 12.1: why each record has its level, one line each (a table column would
    # wrap the sentence on a terminal of usual width).
    console.print("  why (what the best row ties on, and the chance it met by coincidence):")
    for r in f["records"][:limit]:
        if r.get("why"):
            console.print(f"    {r['ref']}  {r['why']}", markup=False, soft_wrap=True)
    if len(f["records"]) > limit:
        console.print(f"  … and {len(f['records']) - limit} more (use --json for all)")
    if f["snippet"]:
        console.print("  example row (shape only):")
        console.print(textwrap.indent(f["snippet"], "    "), markup=False)
