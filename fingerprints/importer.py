"""Customer file import: CSV/TSV in any supported encoding → a fingerprint set.

A bad row is skipped and reported by row number and column, never by value; the
import fails only past ``max_bad_share`` of the rows. Nothing of a raw value leaves
this module except as a keyed digest.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fingerprints.decode import decode_bytes
from fingerprints.fpset import FingerprintSetBuilder
from fingerprints.headers import map_columns
from fingerprints.importwork import CHUNK_ROWS, ChunkPipeline, ChunkResult, default_workers
from fingerprints.keyed import FingerprintKey
from fingerprints.manifest import Manifest
from fingerprints.normalizers import NORMALIZER_VERSION, KindRegistry, default_registry
from fingerprints.streambuild import DEFAULT_MEMORY

SNIFF_BYTES = 1 << 20
MAX_REPORTED_PROBLEMS = 1000
ID_SAMPLE_ROWS = 1000  # rows whose id is checked for contact values before anything is built
CONTACT_KINDS = ("email", "phone")
_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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


def source_digest(path: Path) -> tuple[str, int]:
    """SHA-256 of the file and its number of line feeds, in one pass at C speed."""
    h = hashlib.sha256()
    lines = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
            lines += block.count(b"\n")
    return h.hexdigest(), lines


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



def check_id_values(
    plan: ColumnPlan, refs: Iterable[str], registry: KindRegistry
) -> None:
    """Refuse an id column whose sampled values mostly look like e-mails or phones.

    Record references are stored and shown (SPEC 10.2): they must be opaque ids. The
    message gives counts only, never a value.
    """
    phone = registry.get("phone")
    sampled = emails = phones = 0
    for ref in refs:
        if not ref:
            continue
        sampled += 1
        if _EMAIL_SHAPE.match(ref):
            emails += 1
        elif phone.canonical(ref) is not None:
            phones += 1
    column = plan.headers[plan.id_index]
    for count, what in ((emails, "e-mail addresses"), (phones, "phone numbers")):
        if sampled and 2 * count > sampled:
            raise ImportFailed(
                f"--id-column {column!r}: {count} of the first {sampled} ids look like "
                f"{what}; record references must be pseudonymous ids (a customer or "
                "contract number): choose another column"
            )


class _SeenRefs:
    """Record ids seen so far, as 64-bit hashes: 8 bytes a record, not a str each.

    A hash collision (about n²/2⁶⁵: 3·10⁻⁴ at 100M records) would report one record as
    a duplicate id; it can never merge two records.
    """

    def __init__(self) -> None:
        self._sorted = np.empty(0, dtype=np.int64)
        self._recent: set[int] = set()

    @property
    def recent(self) -> set[int]:
        """Hashes added since the last ``compact()`` (callers add to it)."""
        return self._recent

    def known(self, hashes: list[int]) -> list[bool]:
        """Whether each hash is in the sorted array (one vectorized search)."""
        a = self._sorted
        if not len(a):
            return [False] * len(hashes)
        q = np.array(hashes, dtype=np.int64)
        i = np.minimum(a.searchsorted(q), len(a) - 1)
        found: list[bool] = (a[i] == q).tolist()
        return found

    def compact(self) -> None:
        """Merge the recent hashes into the sorted array once there are enough."""
        if len(self._recent) >= 1 << 16:
            new = np.sort(np.fromiter(self._recent, dtype=np.int64, count=len(self._recent)))
            self._sorted = np.insert(self._sorted, self._sorted.searchsorted(new), new)
            self._recent.clear()


def _fields_per_row(kinds: Iterable[str]) -> int:
    # a name cell also gives its folded form (KindRegistry.fields_for)
    return sum(2 if kind == "name" else 1 for kind in kinds)


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
) -> ImportReport:
    """Fingerprint every row of ``path`` into a new set at ``out_dir``.

    ``memory`` bounds the build (all processes, bytes; default 1 GiB); ``workers``
    processes normalise and digest (default: one per core; 1 = in this process).
    """
    registry = registry or default_registry()
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file")
    enc = _resolve_encoding(path, encoding)
    sha256, newlines = source_digest(path)

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
    check_id_values(plan, (ref for _, ref, _ in sample), registry)

    budget = memory or DEFAULT_MEMORY
    # The one part that grows with the record count (about 80 MB at 10M records): a
    # budget it would crowd out is refused up front rather than crawling in tiny runs.
    if _SEEN_BYTES_PER_RECORD * (newlines + 1) > max(budget // 2, 64 << 20):
        need = 2 * _SEEN_BYTES_PER_RECORD * (newlines + 1) + (512 << 20)
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
            reserve=_SEEN_BYTES_PER_RECORD * rows_bound,
        )
        seen = _SeenRefs()
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


_SEEN_BYTES_PER_RECORD = 16  # _SeenRefs: 8 bytes a record, twice while it grows


def _chain(
    first: list[tuple[int, str, list[str]]], rest: Iterator[tuple[int, str, list[str]]]
) -> Iterator[tuple[int, str, list[str]]]:
    yield from first
    yield from rest


def _resolve_encoding(path: Path, encoding: str) -> str:
    """The codec to read ``path`` with; one-line refusals for what cannot be read."""
    detected = sniff_encoding(path) if encoding == "auto" else encoding
    if detected.startswith("mixed:"):
        parts = " and ".join(detected.removeprefix("mixed:").split("+"))
        raise ImportFailed(
            f"{path.name}: its lines are in more than one encoding ({parts}): convert the "
            "file to one encoding, or give --encoding to read it as one (lines that do not "
            "decode are then skipped as bad rows)"
        )
    enc = _normalise_encoding(detected)
    try:
        "".encode(enc)
    except LookupError:
        raise ImportFailed(
            f"unknown encoding {detected!r} (give --encoding utf-8, utf-8-sig, cp932 or euc-jp)"
        ) from None
    return enc
