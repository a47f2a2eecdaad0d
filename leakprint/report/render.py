"""Write a :class:`~leakprint.report.model.Report` as Markdown and printable HTML."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from leakprint.report.model import Report, when

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def _md(text: object) -> str:
    # Stored strings (URLs, snippets, names) must not turn into Markdown markup.
    out = str(text)
    for ch in "\\`*_[]<>|":
        out = out.replace(ch, "\\" + ch)
    return out


def _cell(text: object) -> str:
    return _md(" ".join(str(text).split()))


def _gaps(coverage: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(coverage.items())) or "0"


def _when(value: datetime | None) -> str:
    return when(value)


_env.filters.update(md=_md, cell=_cell, gaps=_gaps, when=_when)


def render_markdown(report: Report) -> str:
    """The report as Markdown."""
    return _env.get_template("report.md.j2").render(r=report)


def render_html(report: Report) -> str:
    """The report as a self-contained HTML page, printable (A4)."""
    return _env.get_template("report.html.j2").render(r=report)


def default_stem(incident_id: int, day: str) -> str:
    """The file name (without suffix) used when no ``--out`` is given."""
    return f"leak-report-incident-{incident_id}-{day}"


def output_paths(out: Path | None, incident_id: int, day: str) -> tuple[Path, Path]:
    """``PATH.md`` and ``PATH.html`` (a suffix given is replaced)."""
    base = out if out is not None else Path.cwd() / default_stem(incident_id, day)
    if base.suffix:
        base = base.with_suffix("")
    return base.with_name(base.name + ".md"), base.with_name(base.name + ".html")


def write_report(report: Report, md_path: Path, html_path: Path) -> None:
    """Write both files, readable by the owner only (record references may be in them)."""
    for path, text in ((md_path, render_markdown(report)), (html_path, render_html(report))):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
