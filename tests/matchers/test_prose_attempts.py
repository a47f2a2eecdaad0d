"""The native prose attempts (``prose_attempts`` with its ``ProseTable`` cache,
``fingerprints/_prose.c``) append exactly what the Python reference's name and kana
loops append, in the same order, with caches warm or cold, budgets running out,
both caches evicting and the prober's answers changing between documents (issue 15)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fingerprints import native
from fingerprints.fpset import FingerprintSet
from matchers import prose
from matchers.candidates import Extractor
from matchers.probe import NO_HITS, Common, DigestProber, Hits
from matchers.prose import _Support, _supporting
from matchers.scan import Matcher
from matchers.shapes import NAME, NAME_KANA, KindPlan, Pair, evict_oldest_half
from tests.matchers.factories import Customer, vary

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

# Kanji (々 and an astral one among them), hiragana, katakana with ー and the small
# Ainu ones (_KATA_RUN's first class only), spaces, digits and the rest of prose.
ALPHABET = ("山田太郎髙﨑花子佐藤々〆𠮷東京都県やまだたろうさんのは"
            "ヤマダタロウーㇰㇱ \u3000、。0１年月日〒-a\n")
FRAGMENTS = ["山田 太郎", "やまだ たろう", "ヤマダ タロウ", "佐藤花子さん", "東京都千代田区1-2-3",
             "〒100-0001", "昭和60年4月1日", "ーー", "ㇰㇱ ア", "ア ㇰ"]
texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(alphabet=ALPHABET, max_size=8)),
                 max_size=25).map("".join)


def _fake_fields(kind: str, value: str) -> list[Pair]:
    """Deterministic stand-in canonicalization: none, one or two pairs per value."""
    h = zlib.crc32(f"{kind}/{value}".encode())
    return [(kind, value), (kind + "_f", value[::-1])][: h % 3]


def _answer(pair: Pair) -> Hits:
    h = zlib.crc32("/".join(pair).encode()) % 5
    if h == 0:
        return ((1, pair[0]),)
    if h == 1:
        return Common(pair[0], 99, 7)  # an empty tuple too, but a hit
    return NO_HITS


@dataclass
class _Run:
    """One extractor per core, fed the same documents."""

    ex: Any
    out: list[list[tuple[int, Pair]]] = field(default_factory=list)
    starts: list[list[int]] = field(default_factory=list)


def _feed(runs: dict[bool, _Run], docs: list[str], cap: int, answers: dict[Pair, Hits] | None,
          forget: list[bool]) -> None:
    epoch = 0
    for n, doc in enumerate(docs):
        for core, run in runs.items():
            found = _Support([], [], answers, epoch)
            with native.use(core):
                _supporting(run.ex, doc, 0, len(doc), found, cap)
            run.out.append(found.out)
            run.starts.append(found.starts)
        if answers is not None:
            # The prober learns this document's answers, and forgets some between
            # documents (its cache is bounded too).
            answers.update((pair, _answer(pair)) for _pos, pair in runs[False].out[-1])
            if forget[n % len(forget)]:
                evict_oldest_half(answers)
                epoch += 1  # as DigestProber.probe does when it evicts


@given(docs=st.lists(texts, min_size=1, max_size=6), cap=st.integers(0, 80),
       cache_size=st.integers(1, 40), with_answers=st.booleans(),
       forget=st.lists(st.booleans(), min_size=1, max_size=4),
       name_lengths=st.lists(st.integers(1, 5), min_size=0, max_size=4, unique=True),
       kana_lengths=st.lists(st.integers(1, 6), min_size=0, max_size=4, unique=True))
@settings(max_examples=400, deadline=None)
def test_native_attempts_are_the_reference(
    docs: list[str], cap: int, cache_size: int, with_answers: bool, forget: list[bool],
    name_lengths: list[int], kana_lengths: list[int],
) -> None:
    plan = KindPlan({NAME: frozenset(name_lengths), NAME_KANA: frozenset(kana_lengths)},
                    frozenset())
    runs = {core: _Run(SimpleNamespace(fields=_fake_fields, plan=plan, prose_cache={},
                                       prose_tables={})) for core in (True, False)}
    with mock.patch.object(prose, "PROSE_CACHE_SIZE", cache_size):
        # Twice over: the second pass finds the caches warm.
        _feed(runs, docs + docs, cap, {} if with_answers else None, forget)
    assert runs[True].out == runs[False].out
    assert runs[True].starts == runs[False].starts
    for table in runs[True].ex.prose_tables.values():
        # As the memo dict: a cache of one drops nothing (half of one) before it adds.
        assert len(table) <= max(cache_size, 2)


@given(docs=st.lists(texts, min_size=1, max_size=4), cap=st.integers(0, 400),
       cache_size=st.sampled_from([3, 50, 100_000]),
       forget=st.lists(st.booleans(), min_size=1, max_size=3))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_native_attempts_with_the_set_s_own_kinds(
    matcher: Matcher, docs: list[str], cap: int, cache_size: int, forget: list[bool]
) -> None:
    """The real canonicalization and the lengths of the test set's names and readings
    (all supporting kinds, so dates, postal codes and addresses spend budget first)."""
    runs = {core: _Run(Extractor(matcher.registry, matcher.extractor.plan))
            for core in (True, False)}
    with mock.patch.object(prose, "PROSE_CACHE_SIZE", cache_size):
        _feed(runs, docs + docs, cap, {}, forget)
    assert runs[True].out == runs[False].out
    assert runs[True].starts == runs[False].starts


def test_a_window_s_attempts_are_capped_and_the_table_bounded() -> None:
    plan = KindPlan({NAME: frozenset({2, 3}), NAME_KANA: frozenset({2, 3})}, frozenset())
    wall = "".join(chr(0x4E00 + i) for i in range(300)) + " " + "ア" * 50
    runs = {core: _Run(SimpleNamespace(fields=_fake_fields, plan=plan, prose_cache={},
                                       prose_tables={})) for core in (True, False)}
    with mock.patch.object(prose, "PROSE_CACHE_SIZE", 64):
        _feed(runs, [wall, wall[7:]], prose.PROSE_SUBSTRING_CAP, None, [False])
    assert runs[True].out == runs[False].out
    assert runs[True].starts == runs[False].starts
    assert 0 < len(runs[True].ex.prose_tables[NAME]) <= 64


def test_the_table_takes_only_ascending_positive_lengths() -> None:
    core = native._BUILT
    assert core is not None
    table = core.ProseTable()
    for lengths in ([3, 2], [0, 2]):
        with pytest.raises(ValueError):
            core.prose_attempts(table, _fake_fields, NAME, 0, "山田", 0, lengths, 10, 10, [], [],
                                None, 0)


CHATTER = ("昨日の件ですが、山田さんにも伝えておきます。",
           "東京都の天気は晴れ。カタログはメールで。", "新しいお店ができたので行ってみました。")


@given(picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=16),
       chatter=st.lists(st.sampled_from(CHATTER), min_size=1, max_size=4),
       cache_size=st.sampled_from([40, 400, 300_000]), prose_cache=st.sampled_from([7, 100_000]))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_warm_native_matcher_says_what_a_fresh_reference_says(
    fpset: FingerprintSet, customers: list[Customer], decoys: list[Customer],
    picks: list[int], chatter: list[str], cache_size: int, prose_cache: int,
) -> None:
    """Whole scans: the native matcher warm (its prober's cache evicting when small,
    so known misses are forgotten), the reference fresh, on posts of customers and
    decoys written every way."""
    pool = customers + decoys
    docs = []
    for n in range(0, len(picks), 4):
        lines = list(chatter)
        for i, p in enumerate(picks[n : n + 4]):
            c = pool[p % len(pool)]
            v = vary(c, p + i)
            lines.append(f"{v['name']}さん（{v['name_kana']}）電話 {v['phone']} "
                         f"{chatter[i % len(chatter)]}〒{c.postal} {v['address']}、"
                         f"{v['birthdate']}")
        docs.append("\n".join(lines))
    with mock.patch.object(prose, "PROSE_CACHE_SIZE", prose_cache):
        with native.use(True):
            warm = Matcher(fpset, prober=DigestProber(fpset, cache_size=cache_size))
            for doc in docs:
                warm.scan_text(doc)
            again = [warm.scan_text(doc) for doc in docs]
        with native.use(False):
            fresh = [Matcher(fpset).scan_text(doc) for doc in docs]
    assert again == fresh
