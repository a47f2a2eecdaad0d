"""HTML pages -> text that the layouts read (SPEC 4 step 1).

Tags are dropped, block tags become line breaks and table cells tabs, so a
``<table>`` of customers reads as a tab-separated table and a ``<pre>`` dump as
its own region (a blank line around it, :mod:`matchers.regions`); scripts,
styles and comments go, and a paste page's line-number gutter is not content.
"""

from __future__ import annotations

import html
import re

__all__ = ["looks_like_html", "strip_html"]

_HTML_HINT = re.compile(r"<(?:!doctype|html|body|div|p|br|pre|table|td|span|a)\b", re.I)
_HTML_DROP = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>", re.I | re.S)
_HTML_BLOCK = re.compile(r"</?(?:br|p|div|tr|li|pre|h[1-6]|table|section|article)\b[^>]*>", re.I)
# A cell's start is a tab, except the first of its row (cells stay aligned with
# the header's, and a row of one cell is that cell).
_HTML_CELL = re.compile(r"<(?:td|th)\b[^>]*>", re.I)
_HTML_FIRST_CELL = re.compile(r"(<tr\b[^>]*>)\s*<(?:td|th)\b[^>]*>", re.I)
_HTML_TAG = re.compile(r"<[^>]{0,2000}>")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
# Regions (matchers.regions): a blank line around each, so that a dump in a
# <pre> or <table> is read apart from the menu around it.
_HTML_REGION = re.compile(
    r"</?(?:pre|table|textarea|article|section|blockquote|ul|ol)\b[^>]*>", re.I
)
# A code table's rows (a paste page: <td>12</td><td><code>…</code></td>): the
# line-number cell is not content.
_HTML_ROW = re.compile(r"<tr\b[^>]*>.*?</tr\s*>", re.I | re.S)
_HTML_CODE = re.compile(r"<(?:code|pre)\b", re.I)
# A row's end adds no line break of its own (the next row's start does): a blank
# line between rows would cut the table into one region per row.
_HTML_ROW_END = re.compile(r"</tr\s*>", re.I)
_HTML_NUMBER_CELL = re.compile(r"<t[dh]\b[^>]*>\s*[0-9]{1,6}\s*</t[dh]\s*>", re.I)


def _drop_gutter(m: re.Match[str]) -> str:
    row = m.group()
    return _HTML_NUMBER_CELL.sub("", row) if _HTML_CODE.search(row) else row


def looks_like_html(text: str) -> bool:
    """True when the start of the text has HTML tags worth stripping."""
    return _HTML_HINT.search(text, 0, 4096) is not None


def strip_html(text: str) -> str:
    """Remove tags (block tags become line breaks, table cells tabs) and unescape entities."""
    text = _HTML_COMMENT.sub(" ", text)
    text = _HTML_DROP.sub(" ", text)
    text = _HTML_ROW.sub(_drop_gutter, text)
    text = _HTML_FIRST_CELL.sub(r"\1", text)
    text = _HTML_REGION.sub("\n\n", text)
    text = _HTML_ROW_END.sub("", text)
    text = _HTML_BLOCK.sub("\n", text)
    text = _HTML_CELL.sub("\t", text)
    text = _HTML_TAG.sub("", text)
    return html.unescape(text)
