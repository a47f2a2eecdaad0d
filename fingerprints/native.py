"""Which scanning core runs: the compiled one (``fingerprints._native``) or the Python
reference (issue 15, SPEC 13).

``LEAKPRINT_PURE_PYTHON=1`` selects the reference at run time. When the extension is
not built (a source checkout run without ``make``), the reference runs and one log
line says so. The hot paths read :data:`CORE` on every call, so tests can switch
cores with :func:`use`.

Both cores give identical results: the reference is the specification, and the
differential tests (``tests/fingerprints/test_native.py``,
``tests/matchers/test_native_core.py``) hold the native functions to it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from contextlib import contextmanager
from types import ModuleType, NotImplementedType
from typing import Any, Protocol, cast, overload

__all__ = ["CORE", "NativeCore", "available", "built", "use"]

log = logging.getLogger(__name__)


#: A region span of matchers.regions: first line, end line, shape, holes.
_Span = tuple[int, int, str, tuple[tuple[int, int], ...]]


class NativeCore(Protocol):
    """The functions of ``fingerprints/_native.c``."""

    def prepare(self, text: str, /) -> str | None: ...

    def prepare_pieces(self, text: str, /) -> list[str | tuple[str]]: ...

    def digest_many(self, key: bytes, person: bytes, values: Sequence[str], lanes: int = 4,
                    /) -> bytes: ...

    def digest_packed(self, key: bytes, person: bytes, blob: bytes, ends: bytes,
                      lanes: int = 4, /) -> bytes: ...

    def packed_strs(self, blob: bytes, ends: bytes, positions: list[int], /) -> list[str]: ...

    def bloom_survivors(self, digests: bytes, words: object, bits: int, probes: int, /
                        ) -> list[int]: ...

    def shaped_column(
        self, values: Iterable[str], phone: bool, email: bool, fixed: bytes,
        prepare: Callable[[str], str], sample: int, max_cell: int, /,
    ) -> tuple[bool, list[str], bytes, bytes, list[str]] | None: ...

    def phone_runs(self, text: str, fixed: bytes, /) -> list[tuple[int, int, str | None]]: ...

    def kind_cells(
        self, values: Sequence[str], kind: str, max_cell: int, canon: Callable[[str], Any],
        fold: Callable[[str], str] | None, folded_kind: str | None, /,
    ) -> tuple[dict[str, Any], list[str]]: ...

    def line_shapes(self, text: str, names: tuple[str, ...], /) -> list[str]: ...

    def may_hold_insert(self, text: str, /) -> bool: ...

    def utf8_length(self, text: str, /) -> int: ...

    def first_rows(self, columns: list[list[str]], cells: list[dict[str, list[Any]]],
                   strong: list[set[str] | None], rows: list[int] | None = None, /
                   ) -> tuple[list[int], list[list[Any]]]: ...

    def rows_with(self, columns: list[Sequence[str]], sets: list[set[str] | None],
                  distinct: list[list[str]] | None = None, /) -> list[int]: ...

    def in_rows(self, values: list[str], column: list[str], rows: list[int],
                distinct: list[str], /) -> list[str] | None: ...

    def slots_objects(self, cls: type, names: tuple[str, ...],
                      columns: tuple[Sequence[Any], ...], /) -> list[Any]: ...

    def sorted_counts(self, cls: type, items: list[Any], keys: tuple[str, str],
                      counted: tuple[str, ...], /
                      ) -> tuple[list[Any], list[dict[Any, int]]] | None: ...

    def index_answers(self, keys: object, buckets: object, shift: int, queries: object,
                      where: object, kinds: list[str], codes: dict[str, int], rows: object,
                      kcodes: object, cap: int, common: Callable[[str, int, int], Any], /
                      ) -> tuple[list[int], list[Any]]: ...

    def record_refs(self, blob: object, offsets: object, rows: list[int], /
                    ) -> list[str]: ...

    def prose_shapes(self, piece: str, is_known_word: Callable[[str], bool], /) -> str: ...

    def prose_guards(self, window: str, /) -> int: ...

    def layer_many(self, secret: bytes, person: bytes, digests: bytes, width: int,
                   lanes: int = 4, /) -> bytes: ...

    def keep_freed_memory(self, arenas: int, mmap_threshold: int, trim_threshold: int, /
                          ) -> None: ...

    def freed_memory(self) -> tuple[int, int, int]: ...

    def address_cells(self, values: Sequence[str], kind: str, max_cell: int, /
                      ) -> tuple[dict[str, Any], list[str]]: ...

    def weak_cells(self, values: Sequence[str], max_cell: int, /
                   ) -> tuple[list[str], list[str]]: ...

    @overload
    def split_columns(self, texts: list[str], delim: str, width: int, /
                      ) -> list[list[str]] | None: ...

    @overload
    def split_columns(self, texts: list[str], delim: str, width: int, distinct: bool, /
                      ) -> tuple[list[list[str]], list[list[str]], list[list[str] | None]
                                 ] | None: ...

    def text_columns(self, text: str, delim: str, first_line: int, drop: Sequence[int], /
                     ) -> tuple[list[list[str]], list[list[str]], list[list[str] | None],
                                list[int], bytes] | None: ...

    def column_hits(
        self, found: Mapping[str, Any], hit_set: set[Any], hits: dict[Any, Any], j: int,
        weak: Set[str], memo: dict[str, Any] | None,
        known: tuple[list[str], list[Any]] | None = None, /,
    ) -> tuple[dict[str, list[Any]], set[str], dict[str, int]]: ...

    def shaped_hits(self, values: list[str], at: list[int], kind: str, canons: list[str],
                    answers: list[Any], j: int, hits: dict[Any, Any], /
                    ) -> dict[str, list[Any]]: ...

    def region_spans(self, shapes: list[str], names: tuple[str, ...], join: Set[str],
                     not_content: Set[str], interruption: int, /
                     ) -> tuple[list[_Span], bool] | None: ...

    def region_texts(self, text: str, spans: list[_Span], /) -> list[str]: ...

    def blank_holes(self, lines: list[str], a: int, b: int,
                    holes: tuple[tuple[int, int], ...], /) -> list[str]: ...

    def memo_split(self, entries: dict[str, Any], values: Iterable[str], /
                   ) -> tuple[list[str], list[str], list[Any], dict[str, Any] | None]: ...

    def memo_settle(self, entries: dict[str, Any], fresh: list[str],
                    found: dict[str, Any], /) -> int: ...

    def cache_split(self, cache: dict[tuple[str, str], Any], pairs: Sequence[tuple[str, str]],
                    /) -> tuple[list[Any], dict[str, list[int]]]: ...

    # The supporting kinds' canonical forms on prepared text (``fingerprints/_canon.c``):
    # each returns the reference's answer, or NotImplemented where it cannot decide
    # exactly and the normalizer's Python code must run.

    def canon_postal(self, s: str, /) -> str | NotImplementedType | None: ...

    def canon_birthdate(self, s: str, /) -> str | None: ...

    def canon_kana(self, s: str, /) -> str | None: ...

    def canon_name(self, s: str, /) -> str | None: ...

    def fold_variants(self, table: bytes, s: str, /) -> str: ...

    def address_key(self, s: str, /) -> tuple[str, bool] | NotImplementedType | None: ...

    #: matchers.probe.Common in C (``fingerprints/_common.c``).
    Common: type

    #: One kind's prose cache of code points (``fingerprints/_prose.c``).
    ProseTable: Callable[[], object]

    def prose_attempts(self, table: object, fields: Callable[[str, str], Sequence[Any]],
                       kind: str, mode: int, window: str, lo: int, lengths: Sequence[int],
                       budget: int, cap: int, out: list[tuple[int, Any]], starts: list[int],
                       answers: Mapping[Any, Any] | None, epoch: int, /) -> int: ...

    def tie_rows(self, rows: Sequence[object], hits: Mapping[Any, Any],
                 resolve: Callable[..., Any], bits: dict[str, int],
                 bit_of: Callable[[str], int], masks: list[int],
                 weights: dict[tuple[str, int], float], weight: Callable[[str, int], float],
                 shape_of: Callable[[int], Any], groups: list[int], log_records: float,
                 log_high: float, log_medium: float,
                 record_keys: Callable[[int], Any] | tuple[object, object], common: type, /
                 ) -> tuple[list[int], list[int], list[tuple[int, float, frozenset[str]]],
                            list[int], list[int], list[int], list[int]] | None: ...


def _load() -> NativeCore | None:
    try:
        from fingerprints import _native  # type: ignore[attr-defined]
    except ImportError:
        return None
    return cast(NativeCore, cast(ModuleType, _native))


_BUILT: NativeCore | None = _load()


def _initial() -> NativeCore | None:
    if os.environ.get("LEAKPRINT_PURE_PYTHON", "").strip() not in ("", "0"):
        return None
    if _BUILT is None:
        log.info("native scanning core not built: using the Python reference "
                 "(run `make install` to build it)")
    return _BUILT


#: The native core in use, or None for the Python reference.
CORE: NativeCore | None = _initial()


def available() -> bool:
    """Whether the extension is built (whatever ``LEAKPRINT_PURE_PYTHON`` says)."""
    return _BUILT is not None


def built() -> NativeCore | None:
    """The extension whichever core scans (``LEAKPRINT_PURE_PYTHON`` selects only the
    matching code): for what is no part of matching, such as a scanning process's
    memory (``matchers.stream.keep_freed_memory``). None when it is not built."""
    return _BUILT


@contextmanager
def use(native: bool) -> Iterator[None]:
    """Run a block with the native core (``True``, if built) or the reference."""
    global CORE
    before = CORE
    CORE = _BUILT if native else None
    try:
        yield
    finally:
        CORE = before
