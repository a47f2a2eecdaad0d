"""The matcher: a document in, one :class:`MatchResult` per fingerprint set out.

Pipeline per chunk of text (SPEC 4): strip HTML, cut the text into regions
(:mod:`matchers.regions`) and decide the layout of each, ``prepare`` (the
import's own common normalization), cut rows, extract and canonicalize
candidates, digest and probe the distinct values of each region in one batch
(a white-space table's poorly explained lines are read as prose as well), tie
hits to records row by row over all regions, score, and draw one shape-only
snippet.

Large inputs go through :meth:`Matcher.scan_stream`: ~8 MB pieces cut on line
boundaries (a longer line in overlapping windows, :mod:`matchers.pieces`), the
layout (and header hints) of one piece handed to the next, results merged per
record (:mod:`matchers.stream`, re-exported here with the piece helpers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

from fingerprints.decode import decode_bytes, utf8_length
from fingerprints.kindconfig import registry_from_config
from fingerprints.normalizers import KindRegistry
from fingerprints.reader import FingerprintSet
from fingerprints.text import prepare
from matchers.candidates import Extractor
from matchers.columns import ColumnMemo, scan_columns
from matchers.confidence import WEAK_KINDS
from matchers.evidence import FEW_RECORDS, collect_columns, matched_cells
from matchers.markup import looks_like_html, strip_html
from matchers.pieces import (
    CHUNK_BYTES,
    CUT_SEARCH,
    LINE_OVERLAP,
    READ_PROBE,
    decode_piece,
    detect_encoding,
    is_wide,
    line_chunks,
    line_pieces,
    safe_cut,
    wide_text_chunks,
)
from matchers.probe import (
    DigestProber,
    Hits,
    Prober,
    answers_epoch,
    known_answers,
    record_key_arrays,
    record_refs,
)
from matchers.prose import LineCounter, prose_candidates, prose_windows
from matchers.regions import cut_regions, region_layouts, whole_document
from matchers.result import ChunkHits, MatchResult, RecordHit
from matchers.retry import WHITESPACE_TABLES, Reading, with_prose
from matchers.rows import (
    PROSE_RADIUS,
    Layout,
    detect_layout,
    split_rows,
)
from matchers.shapes import KindPlan, Pair, RowCandidates, slots_objects
from matchers.snippet import prose_snippet, row_snippet, scrub
from matchers.stream import no_cyclic_gc, scan_stream_many

# Line-based tables are scanned column-wise (matchers.columns); whitespace-split
# tokens ("spaced") need neighbouring cells joined, so they go row by row.
_COLUMNAR: Final = frozenset({"delimited", "aligned", "lines"})
__all__ = [
    "CHUNK_BYTES",
    "CUT_SEARCH",
    "LINE_OVERLAP",
    "READ_PROBE",
    "MatchResult",
    "Matcher",
    "RecordHit",
    "decode_piece",
    "detect_encoding",
    "is_wide",
    "line_chunks",
    "line_pieces",
    "no_cyclic_gc",
    "safe_cut",
    "scan_stream_many",
    "wide_text_chunks",
]


class Matcher:
    """Scans text against one fingerprint set.

    ``registry`` defaults to the normalizers recorded in the set's manifest.
    ``prober`` replaces the keyed-digest probe (benchmarks only).

    A matcher keeps bounded caches of canonicalized cells and probe answers across
    calls (values repeat across pages and chunks); use one matcher per thread.

    Example::

        fpset = FingerprintSet.open(directory, key)
        result = Matcher(fpset).scan_bytes(data, name="dump.csv")
        for hit in result.record_hits:
            print(hit.ref, hit.confidence, hit.fields)
    """

    def __init__(
        self,
        fpset: FingerprintSet | None,
        registry: KindRegistry | None = None,
        *,
        prober: Prober | None = None,
        kinds: Iterable[str] | None = None,
    ) -> None:
        if prober is None:
            if fpset is None:
                raise ValueError("Matcher needs a fingerprint set or a prober")
            prober = DigestProber(fpset)
        self.prober = prober
        if registry is None:
            # The set's own customer_id rule and custom kinds, as at import.
            registry = registry_from_config(fpset.manifest.kind_config if fpset else None)
        self.registry = registry
        self.primary = registry.primary_kinds()
        # Kinds probed only once some value of another kind hit (never a primary);
        # empty: every value probed at once (the reference the tests compare with).
        self._deferred: frozenset[str] = WEAK_KINDS - self.primary
        if kinds is None:
            kinds = fpset.kinds if fpset is not None else registry.kinds()
        lengths = {k: frozenset(prober.kind_lengths(k)) for k in kinds}
        # Kinds without a strategy of their own in the extractor (custom kinds, and
        # any built-in that declares a search pattern) are searched for by it.
        custom = {
            kind: re.compile(f"(?<![A-Za-z0-9])(?:{pattern})(?![A-Za-z0-9])")
            for kind in registry.kinds()
            if isinstance(pattern := registry.get(kind).search, str)
        }
        self.extractor = Extractor(registry, KindPlan(lengths, self.primary, custom))
        self._memo: tuple[Prober, ColumnMemo] | None = None

    def _column_memo(self) -> ColumnMemo:
        """The memo of cell values for the prober in use (a new one if it was swapped)."""
        memo = self._memo
        if memo is None or memo[0] is not self.prober:
            memo = self._memo = (self.prober, ColumnMemo())
        return memo[1]

    @property
    def dataset(self) -> str:
        return self.prober.dataset

    # ---------------------------------------------------------------- entry points

    def scan_text(self, text: str, *, name: str = "") -> MatchResult:
        """Scan one decoded document (``name`` is its file name or URL, for hints)."""
        result, _ = self.scan_chunk(text, name=name)
        result.bytes_scanned = utf8_length(text)
        result.encoding = result.encoding or "str"
        return result

    def scan_bytes(self, data: bytes, *, name: str = "") -> MatchResult:
        """Decode (SPEC 5.3; never fails) and scan one document."""
        decoded = decode_bytes(data)
        result, _ = self.scan_chunk(decoded.text, name=name)
        result.encoding = decoded.encoding
        result.lossy = decoded.lossy
        result.bytes_scanned = len(data)
        return result

    def scan_stream(self, chunks: Iterable[bytes], *, name: str = "") -> MatchResult:
        """Scan a large document given as byte pieces, in bounded memory."""
        return scan_stream_many([self], chunks, name=name)[0]

    # ---------------------------------------------------------------------- core

    def scan_chunk(
        self,
        text: str,
        *,
        name: str = "",
        layout: Layout | None = None,
        first_line: int = 1,
        continues: bool = False,
    ) -> tuple[MatchResult, Layout]:
        """Scan one piece of a document; returns its result and the layout it had."""
        with no_cyclic_gc():  # (the summary sorts the record hits: paused too)
            part, layout = self._scan_chunk(text, name, layout, first_line, continues)
            return part.summarized(self.dataset), layout

    def chunk_hits(
        self,
        text: str,
        *,
        name: str = "",
        layout: Layout | None = None,
        first_line: int = 1,
        continues: bool = False,
    ) -> tuple[ChunkHits, Layout]:
        """:meth:`scan_chunk` without the summary: for an :class:`Accumulator`, which
        merges the chunks of a document and summarizes them once."""
        with no_cyclic_gc():
            return self._scan_chunk(text, name, layout, first_line, continues)

    def _scan_chunk(
        self, text: str, name: str, layout: Layout | None, first_line: int, continues: bool
    ) -> tuple[ChunkHits, Layout]:
        if looks_like_html(text) or name.lower().endswith((".html", ".htm")):
            text = strip_html(text)
        parts: list[tuple[int, str, Layout, list[str] | None]]
        if whole_document(text) or (layout is not None and layout.kind in ("sql", "json")):
            parts = [(0, text, detect_layout(text, layout), None)]
        else:
            parts = [(r.first, r.text, lay, r.lines)
                     for r, lay in region_layouts(cut_regions(text), layout)]
            if not parts:
                parts = [(0, text, detect_layout(text, layout), None)]
        rows: list[RowCandidates] = []
        texts: list[str] = []  # per row: the text its prose span points into
        hits: dict[Pair, Hits] = {}
        n_prim = n_matched = 0
        for first, region, region_layout, split in parts:
            got = self._read(region, region_layout, first_line + first, continues, split)
            rows += got.rows
            texts += got.texts
            hits.update(got.hits)
            n_prim += got.n_prim
            n_matched += got.n_matched
            # The next chunk continues the last table (its header hints), not a
            # line of chatter read as prose after it.
            if region_layout.kind != "prose" or layout is None:
                layout = region_layout
        assert layout is not None
        prober = self.prober
        ev = collect_columns(rows, hits, self.primary,
                             records=prober.record_count, record_keys=prober.record_keys,
                             key_arrays=record_key_arrays(prober))
        refs = record_refs(prober, ev.records)
        columns = (ev.line, refs, ev.confidence, ev.fields, ev.chance, ev.matched, ev.why)
        # A hit-dense chunk has a record hit for every line or more: the instances'
        # slots set directly (a post's few records cost less through the constructor).
        record_hits = (list(map(RecordHit, *columns)) if len(refs) <= FEW_RECORDS
                       else slots_objects(RecordHit, *columns))
        snippet, snippet_conf = "", None
        if refs:
            best = ev.best()
            at = ev.row_index[best]
            snippet = self._snippet(texts[at], rows[at], hits)
            snippet_conf = ev.confidence[best]
        return ChunkHits(record_hits, self.primary, n_prim, n_matched, snippet,
                         snippet_conf), layout

    def _read(self, text: str, layout: Layout, first_line: int, continues: bool,
              split: list[str] | None = None) -> Reading:
        """Rows and probe answers of one region read with ``layout``; where the
        row reading explains a line poorly, the line is read as prose as well.
        ``split`` is ``text.split("\n")`` when the caller has it."""
        if layout.kind == "prose":
            # Prose is searched as a whole (substrings, windows), so it is prepared
            # as a whole; table cells are prepared one distinct cell at a time.
            text = prepare(text)
            return self._prose(text, first_line)
        if layout.kind in _COLUMNAR:
            rows, hits, n_prim, n_matched = scan_columns(
                self.extractor, self.prober, text, layout, first_line, self._column_memo(),
                self._deferred, split,
            )
            reading = Reading(rows, [text] * len(rows), hits, n_prim, n_matched)
        else:
            reading = self._probed(text, self._table(text, layout, first_line, continues))
        if layout.kind not in WHITESPACE_TABLES:
            # Delimiters and keys say where every cell is: a row explains its line.
            return reading
        return with_prose(reading, text, first_line, self.extractor, self.prober, self.primary)

    def _probed(self, text: str, rows: list[RowCandidates]) -> Reading:
        unique = list(dict.fromkeys(pair for rc in rows for pair, _ in rc.found))
        hits = dict(zip(unique, self.prober.probe(unique), strict=True))
        n_prim, n_matched = self._primary_counts(rows, None, hits)
        return Reading(rows, [text] * len(rows), hits, n_prim, n_matched)

    def _table(
        self, text: str, layout: Layout, first_line: int, continues: bool
    ) -> list[RowCandidates]:
        extract = self.extractor.table_row
        rows: list[RowCandidates] = []
        for row in split_rows(text, layout, first_line, continues=continues):
            rc = extract(row)
            if rc is not None:
                rows.append(rc)
        return rows

    def _prose(self, text: str, first_line: int) -> Reading:
        """Prepared prose: its candidates probed in one batch, then cut into
        windows that keep only the hits."""
        # Strong values first, as in matchers.columns: a window without a hit of a
        # kind outside WEAK_KINDS is no evidence of anyone (evidence.collect skips
        # it), and nearly all prose holds none — while its names, the costliest
        # candidates to find, hit by the dozen. Without the weak kinds the
        # candidates of the others are a superset of the full reading's (a kind
        # skipped leaves its share of the budget to the others), and the primaries
        # are the same: no strong hit here means none there, no row that counts,
        # no matched primary.
        # A primary candidate known to hit (the prober remembers hits) is a strong
        # hit: then the whole reading is needed, and the first one would only be
        # paid on top (posts full of customers' phone numbers: a fifth of a 0.5 KB
        # post's time). Whichever reading runs, the result is the same.
        deferred = self._deferred
        located = self.extractor.primaries(text)
        answers = known_answers(self.prober)
        if deferred and located and not (answers and any(
            answers.get((k, c)) for k, c, _s, _e in located
        )):
            first = prose_candidates(self.extractor, text, PROSE_RADIUS,
                                     answers, answers_epoch(self.prober),
                                     skip=deferred, located=located)
            strong = [pair for pair in first.pairs() if pair[0] not in deferred]
            strong_hits = self.prober.probe(strong)
            if not any(strong_hits):
                return Reading([], [], dict(zip(strong, strong_hits, strict=True)),
                               len(first.prim), 0)
        line_of = LineCounter(text, first_line)
        cands = prose_candidates(self.extractor, text, PROSE_RADIUS,
                                 answers, answers_epoch(self.prober), located=located)
        unique = cands.pairs()
        hits = dict(zip(unique, self.prober.probe(unique), strict=True))
        rows = prose_windows(cands, line_of, PROSE_RADIUS, hits)
        prim_pairs = [pair for pair, _s, _e in cands.prim]
        n_prim, n_matched = self._primary_counts(rows, prim_pairs, hits)
        return Reading(rows, [text] * len(rows), hits, n_prim, n_matched)

    def _primary_counts(
        self,
        rows: list[RowCandidates],
        prim_pairs: list[Pair] | None,
        hits: Mapping[Pair, Hits],
    ) -> tuple[int, int]:
        primary = self.primary
        if prim_pairs is None:
            prim_pairs = [pair for rc in rows for pair, _ in rc.found if pair[0] in primary]
        return len(prim_pairs), sum(1 for pair in prim_pairs if hits[pair])

    def _snippet(self, text: str, rc: RowCandidates, hits: Mapping[Pair, Hits]) -> str:
        values = [pair[1] for pair, _ in rc.found if hits[pair]]
        row = rc.table_row()
        if row is not None:
            # Only a row's cells are labelled by the records they tie to.
            records = {rec for pair, _ in rc.found for rec, _k in hits[pair]}
            kinds = self.extractor.labels(row)
            kinds.update(matched_cells(rc, hits, records))
            snippet = row_snippet(row, kinds, row.style)
        else:
            lo, hi = rc.span or (0, len(text))
            center = rc.first if rc.first is not None else min(
                (where for _pair, where in rc.found), default=lo
            )
            snippet = prose_snippet(text[lo:hi], max(0, center - lo))
        return scrub(snippet, values)
