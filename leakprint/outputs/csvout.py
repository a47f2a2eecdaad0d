"""``--format csv``: one row per item, one column per JSON key, safe to open in a
spreadsheet.

The columns are the JSON output's keys (in their first appearance order), so CSV
carries exactly what JSON does and never more. A nested value (a list of field
kinds, the records of a finding) is one cell holding its compact JSON. A text cell
that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) is prefixed with ``'`` (OWASP's CSV-injection advice).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from typing import Any, TextIO

NAME = "csv"
ORDER = 20  # place among the --format choices

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """The text of one cell: empty for null, ``true``/``false``, numbers as written,
    nested values as compact JSON, formula-like text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple | dict):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write(data: Any, stream: TextIO) -> None:
    """Rows of ``data`` (a list of objects, or one object as one row) with a header:
    the columns a :class:`~leakprint.outputs.Listing` names (so an empty listing is its
    header alone), then any other key of a row."""
    rows = [data] if isinstance(data, Mapping) else list(data)
    columns: dict[str, None] = dict.fromkeys(getattr(data, "columns", ()))
    for row in rows:
        if not isinstance(row, Mapping):
            raise TypeError(f"CSV rows must be objects, not {type(row).__name__}")
        columns.update(dict.fromkeys(row))
    if not columns:
        return
    out = csv.writer(stream, lineterminator="\n")
    out.writerow([cell(name) for name in columns])
    for row in rows:
        out.writerow([cell(row.get(name)) for name in columns])
