"""Rows of structured dumps: JSON lines, JSON arrays and SQL ``INSERT`` tuples.

Each JSON object is one row, its (flattened) values the cells and its keys the
header; each SQL tuple is one row, the ``INSERT``'s column list its header. Both
parsers are regex-driven so that a cut or broken dump (a chunk of a large file,
a truncated paste) still yields every complete record in it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from matchers.headers import header_kind
from matchers.rows import SQL_INSERT, Row


def _flatten(value: object, key: str, keys: list[str], cells: list[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, str(k), keys, cells)
    elif isinstance(value, list):
        for v in value:
            _flatten(v, key, keys, cells)
    elif value is not None:
        keys.append(key)
        cells.append(value if isinstance(value, str) else str(value))


_JSON_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*("(?:[^"\\]|\\.)*"|[^,{}\[\]\s][^,{}\[\]]*)')


def _object_row(source: str, line: int) -> Row | None:
    keys: list[str] = []
    cells: list[str] = []
    try:
        _flatten(json.loads(source), "", keys, cells)
    except (ValueError, RecursionError):
        # Broken or cut JSON still has "key": value pairs worth reading.
        for m in _JSON_PAIR.finditer(source):
            raw = m.group(2).strip()
            if raw.startswith('"'):
                try:
                    raw = json.loads(raw)
                except ValueError:
                    raw = raw.strip('"')
            keys.append(m.group(1))
            cells.append(raw)
    if not cells:
        return None
    hints = [header_kind(k) for k in keys]
    return Row(line, cells, hints, keys, ",", style="json")


def jsonl_rows(text: str, first_line: int) -> Iterator[Row]:
    for i, line in enumerate(text.split("\n")):
        s = line.strip().rstrip(",")
        if not s.startswith("{"):
            continue
        row = _object_row(s, first_line + i)
        if row is not None:
            yield row


_JSON_OBJECT = re.compile(r"\{[^{}]*\}")


def json_rows(text: str, first_line: int) -> Iterator[Row]:
    line, pos = first_line, 0
    for m in _JSON_OBJECT.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        row = _object_row(m.group(), line)
        if row is not None:
            yield row


_SQL_TUPLE = re.compile(r"\((?:'(?:[^'\\]|\\.|'')*'|[^'()])*\)")
_SQL_VALUE = re.compile(r"'((?:[^'\\]|\\.|'')*)'|([^,\s()][^,()]*)")
_SQL_UNESCAPE = re.compile(r"\\(.)|''")


def _sql_unquote(value: str) -> str:
    return _SQL_UNESCAPE.sub(lambda m: m.group(1) or "'", value)


def sql_rows(text: str, first_line: int, continues: bool = False) -> Iterator[Row]:
    columns: list[str] | None = None
    hints: list[str | None] | None = None
    inserts = list(SQL_INSERT.finditer(text))
    k = 0
    # Tuples are data only after VALUES and up to the ';' that ends the
    # statement, never inside CREATE TABLE. A later chunk of a multi-line INSERT
    # starts with a tuple line and is read as data too.
    in_values = continues and text.lstrip().startswith("(")
    line, pos = first_line, 0
    for m in _SQL_TUPLE.finditer(text):
        start = m.start()
        while k < len(inserts) and inserts[k].start() <= start:
            ins = inserts[k]
            if start < ins.end():
                break  # the column list of this INSERT
            cols = ins.group(1)
            columns = [c.strip().strip('`"[] ') for c in cols.split(",")] if cols else None
            hints = [header_kind(c) for c in columns] if columns else None
            in_values = True
            k += 1
        if k < len(inserts) and inserts[k].start() <= start < inserts[k].end():
            continue
        if not in_values:
            continue
        cells = [
            _sql_unquote(q) if q or not u else u.strip()
            for q, u in _SQL_VALUE.findall(m.group()[1:-1])
        ]
        line += text.count("\n", pos, start)
        pos = start
        if cells:
            yield Row(line, cells, hints, columns, ",", style="sql")
        tail = text[m.end() : m.end() + 8].lstrip()
        if tail.startswith(";"):
            in_values = False
