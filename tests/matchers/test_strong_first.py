"""Strong values first (issue 15): a table or prose region whose values of kinds
outside WEAK_KINDS hit no record has no evidence, so its names, kana, birth dates
and postal codes are neither probed nor (in prose) looked for. That must change
nothing a result says: a matcher that probes every value at once (``_deferred``
empty, the reference) gives the same results on documents whose weak values are
customers' while the rest is someone else's, on the planted customers themselves,
and on every layout the corpus has."""

from __future__ import annotations

import dataclasses
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints.fpset import FingerprintSet
from matchers.scan import Matcher
from tests.matchers.corpus import html_shapes, text_shapes
from tests.matchers.factories import RENDERERS, Customer, vary


def _reference(fpset: FingerprintSet) -> Matcher:
    m = Matcher(fpset)
    m._deferred = frozenset()
    return m


def _namesake(c: Customer, other: Customer, keep_strong: bool) -> Customer:
    """``c``'s name, kana and birth date (postal code too) with ``other``'s phone,
    e-mail address and address, unless ``keep_strong``."""
    if keep_strong:
        return c
    return dataclasses.replace(c, phone=other.phone, email=other.email, address=other.address)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from(sorted(RENDERERS)), st.integers(0, 3))
def test_deferred_weak_values_change_no_result(
    fpset: FingerprintSet, customers: list[Customer], decoys: list[Customer],
    seed: int, shape: str, n_real: int,
) -> None:
    rnd = random.Random(seed)
    people = [_namesake(rnd.choice(customers), rnd.choice(decoys), False) for _ in range(12)]
    people += [rnd.choice(customers) for _ in range(n_real)]
    rnd.shuffle(people)
    docs = [RENDERERS[shape](people)]
    lines = []
    for i, c in enumerate(people):
        v = vary(c, seed + i)
        lines.append(f"{v['name']}さんから問い合わせ。連絡先は{v['phone']}、生年月日は"
                     f"{v['birthdate']}。住所は{v['address']}付近とのこと。")
    docs.append("\n".join(lines))
    docs.append(RENDERERS["csv"](people[:6]) + "\n" + "\n".join(lines[6:]))
    fast, ref = Matcher(fpset), _reference(fpset)
    for doc in docs:
        assert fast.scan_text(doc) == ref.scan_text(doc)


def test_the_corpus_reads_the_same(fpset: FingerprintSet, customers: list[Customer]) -> None:
    fast, ref = Matcher(fpset), _reference(fpset)
    found = 0
    for planted in text_shapes(customers) + html_shapes(customers):
        got = fast.scan_text(planted.text, name=planted.name)
        assert got == ref.scan_text(planted.text, name=planted.name)
        found += len(got.record_hits)
    assert found
