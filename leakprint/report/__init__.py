"""The draft of the regulator's leak report (SPEC 16): facts, model, rendering."""

from leakprint.report.model import Report, ReportError, build_report, deadlines
from leakprint.report.render import output_paths, render_html, render_markdown, write_report

__all__ = ["Report", "ReportError", "build_report", "deadlines", "output_paths",
           "render_html", "render_markdown", "write_report"]
