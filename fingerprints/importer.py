"""Customer file import: CSV/TSV in any supported encoding → a fingerprint set.

A bad row is skipped and reported by row number and column, never by value; the
import fails only past ``max_bad_share`` of the rows. Nothing of a raw value leaves
this module except as a keyed digest.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fingerprints.fpset import FingerprintSetBuilder
from fingerprints.headers import map_columns
from fingerprints.importinput import (
    ID_SAMPLE_ROWS,
    SEEN_BYTES_PER_RECORD,
    ImportFailed,
    SeenRefs,
    check_id_values,
    decoded_lines,
    resolve_encoding,
    sniff_delimiter,
    source_digest,
)
from fingerprints.importwork import CHUNK_ROWS, ChunkPipeline, ChunkResult, default_workers
from fingerprints.keyed import FingerprintKey
from fingerprints.manifest import Manifest
from fingerprints.normalizers import (
    BUILTIN,
    CONTACT_KINDS,
    NORMALIZER_VERSION,
    KindRegistry,
    default_registry,
)
from fingerprints.shred import SetSecret
from fingerprints.streambuild import DEFAULT_MEMORY

MAX_REPORTED_PROBLEMS = 1000

__all__ = [
    "ColumnPlan",
    "ImportFailed",
    "ImportReport",
    "RowProblem",
    "import_file",
    "plan_columns",
]


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
    source_name: str = ""  # the file's name, never its directory
    source_sha256: str = ""
    runs: int = 0
    bloom_passes: int = 0
    workers: int = 1


@dataclass(frozen=True)
class ColumnPlan:
    """Which columns feed which kinds, and the id column."""

    headers: list[str]
    id_index: int
    kinds: dict[int, str]

    def describe(self) -> dict[str, str]:
        return {self.headers[i]: kind for i, kind in sorted(self.kinds.items())}


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
        kinds = dict(mapping.kinds)
    if kinds.get(id_index) in CONTACT_KINDS:
        raise ImportFailed(
            f"--id-column {id_column!r} is mapped to {kinds[id_index]}: record references "
            "must be pseudonymous ids (a customer or contract number), not contact values"
        )
    kinds.pop(id_index, None)
    if not kinds:
        raise ImportFailed("no column maps to a field kind — give --map COLUMN=KIND")
    return ColumnPlan(list(headers), id_index, kinds)



def _fields_per_row(kinds: Iterable[str]) -> int:
    # a name cell also gives its folded form (``Normalizer.pairs``); custom kinds one
    return sum(BUILTIN[k].pairs_per_value if k in BUILTIN else 1 for k in kinds)


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
    memory: int | None = None,
    workers: int | None = None,
    secret: SetSecret | None = None,
) -> ImportReport:
    """Fingerprint every row of ``path`` into a new set at ``out_dir``.

    ``memory`` bounds the build (all processes, bytes; default 1 GiB); ``workers``
    processes normalise and digest (default: one per core; 1 = in this process).
    """
    registry = registry or default_registry()
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file")
    enc = resolve_encoding(path, encoding)
    sha256, newlines = source_digest(path)

    bad_lines: set[int] = set()
    lines = decoded_lines(path, enc, bad_lines)
    try:
        first = next(lines)
    except StopIteration:
        raise ImportFailed(f"{path.name}: the file is empty") from None
    delimiter = sniff_delimiter(first)
    header_row = next(csv.reader(io.StringIO(first), delimiter=delimiter))
    plan = plan_columns(header_row, id_column, mapping, registry)
    if on_plan:
        on_plan(plan, enc)

    report = ImportReport(
        dataset=dataset,
        encoding=enc,
        delimiter=delimiter,
        mapping=plan.describe(),
        source_name=path.name,
        source_sha256=sha256,
    )
    reader = csv.reader(lines, delimiter=delimiter)
    width = len(plan.headers)
    columns = list(plan.kinds.items())
    kinds = tuple(kind for _, kind in columns)
    id_name = plan.headers[plan.id_index]

    def problem(row: int, column: str | None, reason: str) -> None:
        report.bad_rows += 1
        report.problem_kinds.setdefault((column, reason), [0, row])[0] += 1
        if len(report.problems) < MAX_REPORTED_PROBLEMS:
            report.problems.append(RowProblem(row, column, reason))

    def parsed() -> Iterator[tuple[int, str, list[str]]]:
        """Rows that pass the structural checks: (line number, id, mapped cells)."""
        last_line = 1  # the header was line 1
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
                problem(row_no, id_name, "empty record id")
                continue
            if "\n" in ref or "\r" in ref:
                problem(row_no, id_name, "record id spans lines")
                continue
            yield row_no, ref, [cells[i] for i, _ in columns]

    rows = parsed()
    try:
        sample = [row for _, row in zip(range(ID_SAMPLE_ROWS), rows, strict=False)]
    except csv.Error as exc:
        raise ImportFailed(f"row {reader.line_num + 1}: malformed CSV ({exc})") from None
    check_id_values(id_name, (ref for _, ref, _ in sample), registry)

    budget = memory or DEFAULT_MEMORY
    # The one part that grows with the record count (about 80 MB at 10M records): a
    # budget it would crowd out is refused up front rather than crawling in tiny runs.
    if SEEN_BYTES_PER_RECORD * (newlines + 1) > max(budget // 2, 64 << 20):
        need = 2 * SEEN_BYTES_PER_RECORD * (newlines + 1) + (512 << 20)
        raise ImportFailed(
            f"--memory {budget >> 20} MiB is too small for {newlines:,} rows: the duplicate-id "
            f"check keeps 8 bytes a record; give --memory {-(-need // (1 << 30))}G or more"
        )
    n_workers = max(1, workers or default_workers())
    report.workers = n_workers
    rows_bound = newlines + 1
    pipeline = ChunkPipeline(n_workers, key, registry.config(), kinds)
    builder: FingerprintSetBuilder | None = None
    try:
        builder = FingerprintSetBuilder(
            out_dir,
            dataset,
            key,
            normalizer_version=NORMALIZER_VERSION,
            kind_config=registry.config(),
            overwrite=overwrite,
            memory=memory,
            workers=n_workers if n_workers > 1 else 0,
            expected_fields=rows_bound * _fields_per_row(kinds),
            reserve=SEEN_BYTES_PER_RECORD * rows_bound,
            secret=secret,
        )
        seen = SeenRefs()
        # chunks no larger than a run, so a small budget still makes runs of its size
        chunk_rows = max(16, min(CHUNK_ROWS, builder.plan.run_fields // _fields_per_row(kinds)))

        def accept(meta: list[tuple[int, str]], result: ChunkResult) -> None:
            """Keep a chunk's good rows whose id is new; report the others by row."""
            assert builder is not None
            outcome = np.frombuffer(result.outcome, dtype=np.int32)
            hashes = [hash(ref) for _, ref in meta]
            known = seen.known(hashes)
            recent = seen.recent
            keep = np.zeros(len(meta), dtype=np.bool_)
            for r, ((row_no, _), status) in enumerate(zip(meta, outcome.tolist(), strict=True)):
                h = hashes[r]
                if known[r] or h in recent:
                    problem(row_no, id_name, "duplicate record id")
                elif status == -1:
                    problem(row_no, None, "no field with a value")
                elif status < -1:
                    index = -2 - status
                    problem(row_no, plan.headers[columns[index][0]], f"not a valid {kinds[index]}")
                else:
                    recent.add(h)
                    keep[r] = True
            seen.compact()
            good = outcome > 0
            counts = outcome[good].astype(np.int64)
            kind_index = np.frombuffer(result.kind_index, dtype=np.uint8)
            lengths = np.frombuffer(result.lengths, dtype=np.uint32)
            digests = result.digests
            if not keep[good].all():  # drop the fields of rows refused here (duplicates)
                fields = np.repeat(keep[good], counts)
                kind_index, lengths = kind_index[fields], lengths[fields]
                digests = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 16)[fields].tobytes()
                counts = counts[keep[good]]
            refs = [ref for (_, ref), k in zip(meta, keep.tolist(), strict=True) if k]
            builder.add_batch(refs, counts, result.kinds, kind_index, digests, lengths)
            report.imported += len(refs)

        meta: list[tuple[int, str]] = []
        cells: list[list[str]] = []
        for row_no, ref, mapped in _chain(sample, rows):
            meta.append((row_no, ref))
            cells.append(mapped)
            if len(cells) >= chunk_rows:
                for done in pipeline.submit(meta, cells):
                    accept(*done)
                meta, cells = [], []
        if cells:
            for done in pipeline.submit(meta, cells):
                accept(*done)
        for done in pipeline.drain():
            accept(*done)
        pipeline.close()
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
        report.runs = builder.stats["runs"]
        report.bloom_passes = builder.stats["bloom_passes"]
    except csv.Error as exc:
        if builder is not None:
            builder.abort()
        raise ImportFailed(f"row {reader.line_num + 1}: malformed CSV ({exc})") from None
    except BaseException:
        if builder is not None:
            builder.abort()
        raise
    finally:
        pipeline.close()
    return report


def _chain(
    first: list[tuple[int, str, list[str]]], rest: Iterator[tuple[int, str, list[str]]]
) -> Iterator[tuple[int, str, list[str]]]:
    yield from first
    yield from rest


