"""Scanning keeps no memory: a scan's objects are all freed with its result.

A reference counted once too often in the native core is a leak no finding shows: a
cut that kept one extra reference to each distinct cell of a table (stops 26-38)
grew a scan of a 50 MB dump by 88 MB, and a scan of a 10 GB dump would have grown
without bound. Each document below is scanned by a fresh matcher again and again,
through every path (tables of every layout, prose, pages, bytes cut into pieces),
with ``tracemalloc`` (every allocation of the core goes through ``PyMem``): what
the scans allocated must all be freed again.
"""

from __future__ import annotations

import gc
import random
import tracemalloc

import pytest

from fingerprints import native
from fingerprints.fpset import FingerprintSet
from matchers.scan import Matcher
from tests.matchers.corpus import html_shapes, text_shapes
from tests.matchers.factories import RENDERERS, Customer, mixed_rows

pytestmark = pytest.mark.skipif(not native.available(), reason="native core not built")

#: What may stay after the rounds: the interpreter's own bookkeeping (free lists, a
#: cache's first entries), never a round's cells (each round makes tens of thousands).
_SLACK = 64 * 1024


def _documents(customers: list[Customer], decoys: list[Customer]) -> list[str]:
    rnd = random.Random(7)
    docs = []
    for fmt in sorted(RENDERERS):
        people = rnd.sample(customers, 20) + rnd.sample(decoys, 120)
        people += mixed_rows(customers, decoys, 10, seed=5)
        rnd.shuffle(people)
        docs.append(RENDERERS[fmt](people))
    docs += [p.text for p in text_shapes(customers[:210])]
    docs += [p.text for p in html_shapes(customers[:210])]
    return docs


def _scan_all(fpset: FingerprintSet, docs: list[str]) -> int:
    found = 0
    m = Matcher(fpset)
    for doc in docs:
        found += len(m.scan_text(doc).record_hits)
        # (bytes in small pieces: the stream's own cut and decoding)
        data = doc.encode("utf-8")
        pieces = (data[i:i + 4096] for i in range(0, len(data), 4096))
        found += len(Matcher(fpset).scan_stream(pieces, name="doc").record_hits)
    return found


def test_scans_free_everything_they_make(
    fpset: FingerprintSet, customers: list[Customer], decoys: list[Customer]
) -> None:
    # (The native core only: the reference's objects are Python's to count.)
    docs = _documents(customers, decoys)
    with native.use(True):
        first = _scan_all(fpset, docs)  # (warm: lazy imports, the set's own caches)
        assert first > 100  # the documents do hit: the paths that tie records ran
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(2):
                assert _scan_all(fpset, docs) == first
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
    assert grown < _SLACK, f"two rounds of scans left {grown:,} bytes allocated"
