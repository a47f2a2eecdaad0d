"""Prose: windows of +-300 characters around primary candidates (SPEC 4 steps 1-2).

Free text has no rows, so a "row" is the window around each primary candidate
(phone, e-mail, customer id). Supporting values are looked for once per merged
stretch of windows and then assigned to every window they fall in: dates and
postal codes by pattern, addresses from a prefecture onwards, and names — where
Japanese has no spaces — as the substrings of kanji/kana runs whose lengths occur
in the fingerprint set (the manifest's length statistics). The number of
substrings tried is capped per window, so a wall of kanji costs bounded work.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import chain, compress
from operator import itemgetter
from typing import Final

from fingerprints import native
from fingerprints.normalizers.base import CJK_CLASS, KANJI_CLASS
from matchers.candidates import Extractor
from matchers.probe import Hits
from matchers.shapes import (
    ADDRESS,
    BIRTHDATE,
    NAME,
    NAME_KANA,
    POSTAL,
    POSTAL_RE,
    Pair,
    RowCandidates,
    evict_oldest_half,
)

#: Substrings (and other values) tried per prose window, all kinds together.
PROSE_SUBSTRING_CAP: Final = 400
#: Canonical forms of prose substrings kept per matcher and kind (names, dates, addresses).
PROSE_CACHE_SIZE: Final = 100_000

DATE_RE = re.compile(
    r"(?:明治|大正|昭和|平成|令和|(?<![A-Za-z])[MTSHR]\.?)(?:[0-9]{1,2}|元)(?:年[0-9]{1,2}月[0-9]{1,2}日?"
    r"|[./\-][0-9]{1,2}[./\-][0-9]{1,2})"
    r"|(?<![0-9])(?:19|20)[0-9]{2}(?:年[0-9]{1,2}月[0-9]{1,2}日?|([./\-])[0-9]{1,2}\1[0-9]{1,2}"
    r"|[0-9]{4})(?![0-9])"
)
_ADDRESS_START = re.compile(
    f"(?:北海道|東京都|(?:京都|大阪)府|[{KANJI_CLASS}]{{2,3}}県)[^\\s、。,，「」()<>]{{2,80}}"
)
# Guards: a window none of a pattern's guards matches holds no match of it, and its
# loop is skipped (most windows hold no date, postal code or address). ``re`` tries
# the patterns above at every position (no alternative begins with a literal, so it
# has no quick scan for where one could start); each guard is one alternative (or a
# part every match of it has), rewritten to begin with a literal or a class, which
# ``re`` scans for quickly. tests/matchers/test_prose_guards.py holds them to that.
_DATE_GUARDS = (
    re.compile("月[0-9]"),  # 年…月…日, either alternative
    re.compile(r"[./\-][0-9]{1,2}[./\-][0-9]"),  # separated, either alternative
    # (?<![0-9])(?:19|20)[0-9]{6}(?![0-9]), the lookbehind moved after the first digit.
    re.compile(r"(?:1(?<![0-9]1)9|2(?<![0-9]2)0)[0-9]{6}(?![0-9])"),
)
_POSTAL_GUARDS = (
    re.compile(r"(?:〒|〶|郵便番号[:：]?)\s?[0-9]{3}[- ]?[0-9]{4}(?![0-9])"),
    # (?<![0-9\-])[0-9]{3}-[0-9]{4}(?![0-9\-]), found from its dash.
    re.compile(r"-(?<=[0-9]{3}-)(?<![0-9\-][0-9]{3}-)[0-9]{4}(?![0-9\-])"),
)
_ADDRESS_GUARDS = (re.compile("北海道|東京都|京都府|大阪府|県"),)
# Runs of kanji/kana, single spaces inside allowed (山田 太郎).
_JRUN = re.compile(f"[{CJK_CLASS}]+(?: [{CJK_CLASS}]+)*")
_KATA_RUN = re.compile(r"[\u30a1-\u30fa\u30fc\u31f0-\u31ff]{2,}(?: [\u30a1-\u30fa\u30fc]+)*")
_HIRA_RUN = re.compile(r"[\u3041-\u309f\u30fc]{2,}(?: [\u3041-\u309f\u30fc]+)*")
_KANJI_START = re.compile(f"[{KANJI_CLASS}]")
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


@dataclass(slots=True)
class ProseCandidates:
    """The candidates of prepared prose before its windows are cut: the matcher
    probes them all in one batch first, so each window then holds only the hits."""

    n: int  # length of the text
    prim: list[tuple[Pair, int, int]]  # (value, start, end), by start
    # (start, value) in the order they were found, without the values the prober
    # already knows to miss (``answers``): a window keeps only hits, so only those
    # are sorted (a prose page has thousands of name substrings, nearly all misses).
    support: list[tuple[int, Pair]]
    # The start of every supporting candidate, dropped ones too (a window's first
    # candidate of any kind centres its snippet).
    starts: list[int]

    def pairs(self) -> list[Pair]:
        """Every candidate value, primary ones first, each once."""
        return list(dict.fromkeys(chain(map(_FIRST, self.prim), map(_SECOND, self.support))))


def prose_candidates(
    ex: Extractor, text: str, radius: int, answers: Mapping[Pair, Hits] | None = None,
    epoch: int = 0, *, skip: AbstractSet[str] = frozenset(),
    located: list[tuple[str, str, int, int]] | None = None,
) -> ProseCandidates:
    """The primary candidates of prepared ``text`` and the supporting ones within
    ``radius`` characters of some primary. ``answers`` are probe answers known
    already (the prober's cache): supporting values they say miss are left out.
    ``epoch`` must change whenever an answer has left ``answers`` since the last
    call with the same extractor (``DigestProber.epoch``). Supporting values of the
    kinds in ``skip`` are not looked for; those of the other kinds are then a
    superset of what they would be (the kinds share a budget per stretch, tried in
    a fixed order: a kind skipped leaves more to the ones after it). ``located`` is
    ``ex.primaries(text)`` when the caller has it already."""
    if located is None:
        located = ex.primaries(text)
    prim = [((k, c), s, e) for k, c, s, e in located]
    n = len(text)
    if not prim:
        return ProseCandidates(n, [], [], [])
    prim.sort(key=lambda t: t[1])
    prim_starts = [s for _, s, _ in prim]
    spans = _merge([(max(0, s - radius), min(n, e + radius)) for _, s, e in prim])
    found = _Support([], [], answers, epoch)
    for lo, hi in spans:
        windows = bisect.bisect_left(prim_starts, hi) - bisect.bisect_left(prim_starts, lo)
        _supporting(ex, text, lo, hi, found, PROSE_SUBSTRING_CAP * max(1, windows), skip)
    return ProseCandidates(n, prim, found.out, found.starts)


@dataclass(slots=True)
class _Support:
    """Where supporting candidates go: (start, value) unless known to miss, and the
    start of every value tried that gave a candidate."""

    out: list[tuple[int, Pair]]
    starts: list[int]
    answers: Mapping[Pair, Hits] | None
    # Changes when an answer leaves ``answers`` (the native cache's known misses).
    epoch: int = 0

    def add(self, pos: int, got: Sequence[Pair]) -> None:
        if not got:
            return
        self.starts.append(pos)
        answers = self.answers
        for pair in got:
            # A miss is the empty tuple itself (``Common``, a value too common to
            # expand, is an empty tuple too, but a hit).
            if answers is None or type(known := answers.get(pair)) is not tuple or known:
                self.out.append((pos, pair))


class LineCounter:
    """``text``'s line number at a position (the first line is ``first_line``),
    counted from the position asked before: windows come in nearly text order, and
    a region of chatter between table rows keeps every row's line as a blank one,
    so a list of all its newlines would cost more than the few windows asked."""

    __slots__ = ("_at", "_line", "_text")

    def __init__(self, text: str, first_line: int = 1) -> None:
        self._text = text
        self._at = 0
        self._line = first_line

    def __call__(self, pos: int) -> int:
        at = self._at
        if pos >= at:
            self._line += self._text.count("\n", at, pos)
        else:
            self._line -= self._text.count("\n", pos, at)
        self._at = pos
        return self._line


def prose_windows(
    c: ProseCandidates,
    line_of: Callable[[int], int],
    radius: int,
    hits: Mapping[Pair, Hits] | None = None,
) -> list[RowCandidates]:
    """One window of +-``radius`` characters per primary candidate (one per
    distinct span). Without ``hits`` a window holds all its candidates; with them
    only those that hit (the rest add nothing to evidence or snippets) and, in
    ``first``, where its first candidate of any kind starts (a snippet's centre)."""
    prim = c.prim
    prim_starts = list(map(_SECOND, prim))
    starts = sorted(c.starts)
    if hits is None:
        pk = list(range(len(prim)))
        support = sorted(c.support)
    else:
        # (C-level passes: a post has hundreds of supporting candidates.)
        pk = list(compress(range(len(prim)), map(hits.__getitem__, map(_FIRST, prim))))
        # The hits in (start, value) order: the order the full sorted list has them in.
        support = sorted(compress(c.support, map(hits.__getitem__, map(_SECOND, c.support))))
    pk_starts = [prim_starts[j] for j in pk]
    sk_starts = list(map(_FIRST, support))
    out: list[RowCandidates] = []
    seen: set[tuple[int, int]] = set()
    for _pair, s, e in prim:
        lo, hi = max(0, s - radius), min(c.n, e + radius)
        if (lo, hi) in seen:
            # A window's candidates are those of its span: a second window on the
            # same span (every window of a post shorter than the radius) would be
            # the same evidence on a later line, which never wins (evidence.collect
            # keeps a record's first best row). One row per span.
            continue
        seen.add((lo, hi))
        rc = RowCandidates(line_of(s), [], span=(lo, hi))
        a, b = bisect.bisect_left(pk_starts, lo), bisect.bisect_left(pk_starts, hi)
        rc.found.extend((prim[pk[j]][0], pk_starts[j]) for j in range(a, b))
        a, b = bisect.bisect_left(sk_starts, lo), bisect.bisect_left(sk_starts, hi)
        rc.found.extend((support[j][1], sk_starts[j]) for j in range(a, b))
        if hits is not None:
            # The window's own primary lies in it, so some primary starts there.
            first = prim_starts[bisect.bisect_left(prim_starts, lo)]
            i = bisect.bisect_left(starts, lo)
            if i < len(starts) and starts[i] < first:
                first = starts[i]
            rc.first = first
        out.append(rc)
    return out


def prose_rows(
    ex: Extractor, text: str, line_of: Callable[[int], int], radius: int
) -> tuple[list[RowCandidates], list[Pair]]:
    """Windows of +-``radius`` characters around each primary candidate of
    prepared ``text`` holding all their candidates, and the values of all primary
    candidate occurrences."""
    c = prose_candidates(ex, text, radius)
    return prose_windows(c, line_of, radius), [pair for pair, _, _ in c.prim]


def _supporting(
    ex: Extractor, text: str, lo: int, hi: int, found: _Support, cap: int,
    skip: AbstractSet[str] = frozenset(),
) -> None:
    fields = ex.fields
    plan = ex.plan
    budget = [cap]
    # The same words recur all over a post, and across posts (a page of a thread
    # is twenty of them): canonicalize each once per matcher, in a bounded cache.
    memos = ex.prose_cache
    add = found.add

    def cached(kind: str, value: str) -> list[Pair]:
        memo = memos.get(kind)
        if memo is None:
            memo = memos[kind] = {}
        got = memo.get(value)
        if got is None:
            if len(memo) >= PROSE_CACHE_SIZE:
                evict_oldest_half(memo)
            got = memo[value] = fields(kind, value)
        return got

    def attempt(kind: str, value: str, pos: int) -> None:
        if budget[0] <= 0:
            return
        budget[0] -= 1
        add(pos, cached(kind, value))

    window = text[lo:hi]
    passed = guards_passed(window)
    if plan.has(BIRTHDATE) and BIRTHDATE not in skip and passed & DATE_GUARD:
        for m in DATE_RE.finditer(window):
            attempt(BIRTHDATE, m.group(), lo + m.start())
    if plan.has(POSTAL) and POSTAL not in skip and passed & POSTAL_GUARD:
        for m in POSTAL_RE.finditer(window):
            attempt(POSTAL, m.group(), lo + m.start())
    if plan.has(ADDRESS) and ADDRESS not in skip and passed & ADDRESS_GUARD:
        for m in address_matches(window):
            for value in _address_cuts(m.group()):
                attempt(ADDRESS, value, lo + m.start())
    name_lengths = sorted(plan.lengths.get(NAME, ())) if NAME not in skip else []
    kana_lengths = sorted(plan.lengths.get(NAME_KANA, ())) if NAME_KANA not in skip else []
    core = native.CORE
    if core is not None:
        # The same attempts in the same order, walked in C with a cache of code
        # points per kind (nearly every substring is one seen before: no str, no
        # dict lookup of it); only unknown substrings call ``fields``.
        left = budget[0]
        for kind, mode, lengths in ((NAME, 0, name_lengths), (NAME_KANA, 1, kana_lengths),
                                    (NAME_KANA, 2, kana_lengths)):
            if lengths and left > 0:
                table = ex.prose_tables.get(kind)
                if table is None:
                    table = ex.prose_tables[kind] = core.ProseTable()
                left = core.prose_attempts(table, fields, kind, mode, window, lo, lengths, left,
                                           PROSE_CACHE_SIZE, found.out, found.starts,
                                           found.answers, found.epoch)
        return
    if name_lengths:
        for value, pos in name_windows(window, lo, name_lengths):
            attempt(NAME, value, pos)
    if kana_lengths:
        # A reading in hiragana ("（やまだ たろう）") is tried whole: every
        # substring of hiragana prose would be mostly particles and endings.
        for m in _HIRA_RUN.finditer(window):
            compact = m.group().replace(" ", "")
            if len(compact) in plan.lengths[NAME_KANA]:
                attempt(NAME_KANA, compact, lo + m.start())
        for m in _KATA_RUN.finditer(window):
            compact = m.group().replace(" ", "")
            for i in range(len(compact)):
                for size in kana_lengths:
                    if i + size > len(compact):
                        break
                    attempt(NAME_KANA, compact[i : i + size], lo + m.start() + i)


def name_windows(window: str, lo: int, name_lengths: list[int]) -> Iterator[tuple[str, int]]:
    """The name candidates of a window (the reference of the native ``name_windows``):
    per run of kanji and kana (single spaces inside allowed), spaces dropped, the
    substrings of each of ``name_lengths`` (ascending) that start with a kanji, with
    ``lo`` + the run's start + the offset in the compact run."""
    for m in _JRUN.finditer(window):
        compact = m.group().replace(" ", "")
        n = len(compact)
        if n < name_lengths[0]:
            continue
        at = lo + m.start()
        # Family names start with a kanji; this halves the substrings.
        for k in _KANJI_START.finditer(compact):
            i = k.start()
            for size in name_lengths:
                if i + size > n:
                    break
                yield compact[i : i + size], at + i


def _may_match(guards: tuple[re.Pattern[str], ...], window: str) -> bool:
    return any(guard.search(window) for guard in guards)


DATE_GUARD, POSTAL_GUARD, ADDRESS_GUARD = 1, 2, 4


def guards_passed(window: str) -> int:
    """The bits of the patterns whose guards match somewhere in ``window``
    (``DATE_GUARD``, ``POSTAL_GUARD``, ``ADDRESS_GUARD``): the three in one native pass
    (``fingerprints/_guards.c``), else each guard asked of ``re``."""
    core = native.CORE
    if core is not None:
        return core.prose_guards(window)
    return (DATE_GUARD * _may_match(_DATE_GUARDS, window)
            | POSTAL_GUARD * _may_match(_POSTAL_GUARDS, window)
            | ADDRESS_GUARD * _may_match(_ADDRESS_GUARDS, window))


#: What an _ADDRESS_START match begins with, but for "…県" (two or three kanji before it).
_PREFECTURE_WORDS: Final = ("北海道", "東京都", "京都府", "大阪府")


def address_matches(window: str) -> list[re.Match[str]]:
    """``list(_ADDRESS_START.finditer(window))``, tried only where a match can begin:
    at a prefecture word, or two or three characters before a 県. (``re`` has no
    quick scan for the pattern: it tried every kanji of a window.)"""
    starts: set[int] = set()
    for word in (*_PREFECTURE_WORDS, "県"):
        at = window.find(word)
        while at != -1:
            if word == "県":
                starts.update((at - 3, at - 2))
            else:
                starts.add(at)
            at = window.find(word, at + 1)
    out: list[re.Match[str]] = []
    end = 0
    match = _ADDRESS_START.match
    for p in sorted(starts):
        if p >= end and (m := match(window, p)) is not None:
            out.append(m)
            end = m.end()
    return out


def _address_cuts(span: str) -> list[str]:
    """An address in prose runs into whatever follows; try it whole and cut after numbers."""
    cuts = [span]
    for m in _NUMBER_END.finditer(span):
        cuts.append(span[: m.end()])
    return cuts[:6]


_NUMBER_END = re.compile(r"[0-9](?:号|番地?|丁目)?(?![0-9\-])")


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged
