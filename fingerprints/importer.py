"""Customer file import: CSV/TSV in any supported encoding → a fingerprint set.

A bad row is skipped and reported by row number and column, never by value; the
import fails only past ``max_bad_share`` of the rows. Nothing of a raw value leaves
this module except as a keyed digest.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fingerprints.decode import decode_bytes
from fingerprints.errors import FingerprintSetError
from fingerprints.fpset import FingerprintSetBuilder
from fingerprints.headers import map_columns
from fingerprints.keyed import FingerprintKey
from fingerprints.kindconfig import import_fields
from fingerprints.manifest import Manifest
from fingerprints.normalizers import NORMALIZER_VERSION, KindRegistry, default_registry

SNIFF_BYTES = 1 << 20
MAX_REPORTED_PROBLEMS = 1000


class ImportFailed(Exception):
    """The import was refused or aborted; the message is one line and value-free."""


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.reason}"


def _commonest(kinds: dict[tuple[str | None, str], list[int]], top: int = 3) -> str:
    """The commonest kinds of problem, each with its count and first row (row numbers
    and column names only), so a refused import still says where to look."""
    ranked = sorted(kinds.items(), key=lambda item: -item[1][0])
    parts = []
    for (column, reason), (count, first_row) in ranked[:top]:
        where = f"column {column!r}: " if column else ""
        parts.append(f"{count} × {where}{reason} (first at row {first_row})")
    more = len(ranked) - top
    return "most: " + "; ".join(parts) + (f"; and {more} other kinds" if more > 0 else "")


@dataclass
class ImportReport:
    dataset: str
    rows: int = 0
    imported: int = 0
    bad_rows: int = 0
    encoding: str = ""
    delimiter: str = ","
    mapping: dict[str, str] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    # (column, reason) -> [count, first row], over every bad row (problems stops at
    # MAX_REPORTED_PROBLEMS).
    problem_kinds: dict[tuple[str | None, str], list[int]] = field(default_factory=dict)
    manifest: Manifest | None = None


@dataclass(frozen=True)
class ColumnPlan:
    """Which columns feed which kinds, and the id column."""

    headers: list[str]
    id_index: int
    kinds: dict[int, str]

    def describe(self) -> dict[str, str]:
        return {self.headers[i]: kind for i, kind in sorted(self.kinds.items())}


def sniff_encoding(path: Path) -> str:
    """Detect the file's encoding from its first megabyte (SPEC 5.3 cascade)."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head:
        raise ImportFailed(f"{path.name}: the file is empty")
    return decode_bytes(head).encoding


def _normalise_encoding(name: str) -> str:
    lowered = name.lower().replace("-", "_")
    if lowered.startswith(("shift_jis", "sjis", "shiftjis", "ms932", "windows_31j")):
        return "cp932"  # never decode Shift_JIS-family bytes as anything but cp932
    if lowered in ("utf_8", "utf8"):
        return "utf-8"
    return name


def _decoded_lines(path: Path, encoding: str, bad_lines: set[int]) -> Iterator[str]:
    """Yield decoded physical lines; undecodable ones are noted by line number."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError:
                bad_lines.add(number)
                # Decode the content alone so a broken trailing byte cannot eat the newline
                # and glue the next row onto this one.
                content = raw.rstrip(b"\r\n")
                line = content.decode(encoding, errors="replace") + "\n"
            if number == 1 and line.startswith("\ufeff"):
                line = line[1:]
            yield line


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", "|", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def plan_columns(
    headers: Sequence[str],
    id_column: str,
    explicit: dict[str, str] | None,
    registry: KindRegistry,
) -> ColumnPlan:
    """Resolve ``--map`` (or fuzzy header matching) into a column plan."""
    headers = [h.strip() for h in headers]
    if id_column not in headers:
        raise ImportFailed(f"id column {id_column!r} is not in the header row")
    id_index = headers.index(id_column)
    kinds: dict[int, str] = {}
    if explicit:
        for column, kind in explicit.items():
            if column not in headers:
                raise ImportFailed(f"--map {column}={kind}: no column {column!r} in the header row")
            if kind not in registry.kinds():
                known = ", ".join(sorted(registry.kinds()))
                raise ImportFailed(f"--map {column}={kind}: unknown kind (known: {known})")
            kinds[headers.index(column)] = kind
    else:
        mapping = map_columns(list(headers))
        if mapping.ambiguous:
            parts = [
                f"{header!r} could be {' or '.join(cands)}"
                for _, header, cands in mapping.ambiguous
            ]
            raise ImportFailed(
                "ambiguous column mapping: " + "; ".join(parts) + " — give --map COLUMN=KIND"
            )
        kinds = {i: k for i, k in mapping.kinds.items() if i != id_index}
    kinds.pop(id_index, None)
    if not kinds:
        raise ImportFailed("no column maps to a field kind — give --map COLUMN=KIND")
    return ColumnPlan(list(headers), id_index, kinds)


def import_file(
    path: Path,
    *,
    dataset: str,
    key: FingerprintKey,
    out_dir: Path,
    id_column: str,
    mapping: dict[str, str] | None = None,
    encoding: str = "auto",
    registry: KindRegistry | None = None,
    max_bad_share: float = 0.01,
    overwrite: bool = False,
    on_plan: Callable[[ColumnPlan, str], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Fingerprint every row of ``path`` into a new set at ``out_dir``."""
    registry = registry or default_registry()
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file")
    enc = _normalise_encoding(sniff_encoding(path) if encoding == "auto" else encoding)
    try:
        "".encode(enc)
    except LookupError:
        raise ImportFailed(f"unknown encoding {encoding!r}") from None

    bad_lines: set[int] = set()
    lines = _decoded_lines(path, enc, bad_lines)
    try:
        first = next(lines)
    except StopIteration:
        raise ImportFailed(f"{path.name}: the file is empty") from None
    delimiter = _sniff_delimiter(first)
    header_row = next(csv.reader(io.StringIO(first), delimiter=delimiter))
    plan = plan_columns(header_row, id_column, mapping, registry)
    if on_plan:
        on_plan(plan, enc)

    report = ImportReport(
        dataset=dataset, encoding=enc, delimiter=delimiter, mapping=plan.describe()
    )
    builder = FingerprintSetBuilder(
        out_dir,
        dataset,
        key,
        normalizer_version=NORMALIZER_VERSION,
        kind_config=registry.config(),
        overwrite=overwrite,
    )
    width = len(plan.headers)
    seen_refs: set[str] = set()
    reader = csv.reader(lines, delimiter=delimiter)

    def problem(row: int, column: str | None, reason: str) -> None:
        report.bad_rows += 1
        report.problem_kinds.setdefault((column, reason), [0, row])[0] += 1
        if len(report.problems) < MAX_REPORTED_PROBLEMS:
            report.problems.append(RowProblem(row, column, reason))

    last_line = 1  # the header was line 1
    try:
        for cells in reader:
            report.rows += 1
            # Physical line numbers as an editor shows them (the header is line 1).
            first_line, row_no = last_line + 1, reader.line_num + 1
            last_line = row_no
            if progress and report.rows % 1000 == 0:
                progress(report.rows)
            if any(n in bad_lines for n in range(first_line, row_no + 1)):
                problem(row_no, None, f"bytes that are not valid {enc}")
                continue
            if not cells or all(not c.strip() for c in cells):
                report.rows -= 1
                continue
            if len(cells) != width:
                problem(row_no, None, f"{len(cells)} cells where the header has {width}")
                continue
            ref = cells[plan.id_index].strip()
            if not ref:
                problem(row_no, plan.headers[plan.id_index], "empty record id")
                continue
            if ref in seen_refs:
                problem(row_no, plan.headers[plan.id_index], "duplicate record id")
                continue
            fields: list[tuple[str, str]] = []
            bad = False
            for index, kind in plan.kinds.items():
                cell = cells[index]
                if not cell.strip():
                    continue
                pairs = import_fields(registry, kind, cell)
                if not pairs:
                    problem(row_no, plan.headers[index], f"not a valid {kind}")
                    bad = True
                    break
                fields.extend(pairs)
            if bad:
                continue
            if not fields:
                problem(row_no, None, "no field with a value")
                continue
            seen_refs.add(ref)
            builder.add_record(ref, fields)
            report.imported += 1
        if progress:
            progress(report.rows)
        if report.rows and report.bad_rows / report.rows > max_bad_share:
            share = 100 * report.bad_rows / report.rows
            raise ImportFailed(
                f"{report.bad_rows} of {report.rows} rows are bad ({share:.1f}%, more than "
                f"--max-bad-rows {100 * max_bad_share:g}%): nothing was written; "
                f"{_commonest(report.problem_kinds)}"
            )
        if report.imported == 0:
            raise ImportFailed("no valid rows: nothing was written")
        report.manifest = builder.finish()
    except csv.Error as exc:
        builder.abort()
        raise ImportFailed(f"row {reader.line_num + 1}: malformed CSV ({exc})") from None
    except (ImportFailed, FingerprintSetError):
        builder.abort()
        raise
    return report
