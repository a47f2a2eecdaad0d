"""Prose leaves out supporting values the prober already knows to miss (issue 15):
that must change nothing a result says. A warm matcher (whose cache knows most of a
document's misses) gives exactly what a fresh one gives, snippets included, for
posts, prose pages and lines read as prose beside a table."""

from __future__ import annotations

import random

from fingerprints.fpset import FingerprintSet
from matchers.scan import Matcher
from tests.matchers.factories import RENDERERS, Customer, vary

CHATTER = ("昨日の件ですが、山田さんにも伝えておきます。", "東京都の天気は晴れ。価格は応相談。",
           "新しいお店ができたので行ってみました。")


def _documents(customers: list[Customer], decoys: list[Customer]) -> list[str]:
    rnd = random.Random(3)
    docs = []
    for n in range(30):
        people = [rnd.choice(customers if rnd.random() < 0.5 else decoys) for _ in range(4)]
        lines = [rnd.choice(CHATTER)]
        for i, c in enumerate(people):
            v = vary(c, i + n)
            lines.append(f"{v['name']}さん（{v['name_kana']}）電話 {v['phone']} "
                         f"{rnd.choice(CHATTER)}住所は〒{c.postal} {v['address']}、"
                         f"生年月日 {v['birthdate']}")
        docs.append("\n".join(lines))
    # Long chatter before the only record: its words (misses, once the cache knows
    # them) are where the window's first candidate is, and so the snippet's centre.
    c = customers[11]
    docs.append("".join(CHATTER) * 4 + f"{c.name}さんの電話は{c.phone}です。")
    docs.append(RENDERERS["prose"](customers[:5] + decoys[:5]))
    docs.append(RENDERERS["aligned"](customers[5:10] + decoys[5:10]))
    return docs


def test_a_warm_matcher_says_what_a_fresh_one_says(
    fpset: FingerprintSet, customers: list[Customer], decoys: list[Customer]
) -> None:
    docs = _documents(customers, decoys)
    warm = Matcher(fpset)
    for doc in docs:
        warm.scan_text(doc)  # its cache now knows these documents' misses
    assert warm.prober.answers  # type: ignore[attr-defined]
    found = 0
    for doc in docs:
        again = warm.scan_text(doc)
        fresh = Matcher(fpset).scan_text(doc)
        assert again == fresh
        found += len(fresh.record_hits)
    assert found >= 30  # the documents do hold customers
