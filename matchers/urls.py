"""Customer values in URLs and file paths (SPEC 10.2).

A URL (``https://paste.example/u/taro@example.jp/dump.txt``) or a file path can
itself name a customer. This module cuts one into its parts — userinfo, host
labels, path segments, query keys and values, fragment — percent-decodes each,
and looks for customer values in it with the page matcher's own extractor and
prober (the same normalizers, the same keyed digests). A part that holds a value
of a set is rewritten to its kind's shape (``[email]``), so the redacted form
``https://paste.example/u/[email]/dump.txt`` can be stored and shown anywhere.

Pure: no network, database or key handling; the caller passes the matchers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, unquote, unquote_plus

from fingerprints.normalizers import shown_kind
from fingerprints.text import prepare
from matchers.scan import Matcher

#: Characters kept as written when a part with a replaced value is re-encoded.
_SAFE: Final = "[]@:+,;=!$&'()*-._~"
#: A part longer than this is only searched for primary values (no whole-part kinds).
_MAX_PART: Final = 800
# ``scheme://`` (or ``file:``) at the start of a URL.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:(?://)?")
# In a file name or slug, ``_`` and a ``-`` after a letter separate words
# (``leak-09012345678.csv``); in page text the extractor takes a digit run glued to
# them for part of an identifier, so they become spaces (same length: spans stay).
_WORD_JOINERS = re.compile(r"(?<=[A-Za-z])-|_")


@dataclass(frozen=True)
class Part:
    """One part of a URL or path: ``[start, end)`` in the original string, decoded."""

    start: int
    end: int
    text: str
    where: str  # userinfo | host | path | query | fragment


def _spans(s: str, start: int, end: int, seps: str) -> Iterable[tuple[int, int]]:
    """``[a, b)`` pieces of ``s[start:end]`` between any of ``seps`` (empty ones skipped)."""
    return (m.span() for m in _pieces(seps).finditer(s, start, end))


@functools.cache
def _pieces(seps: str) -> re.Pattern[str]:
    return re.compile(f"[^{re.escape(seps)}]+")


def url_parts(url: str) -> list[Part]:
    """The parts of a URL or a file path, each percent-decoded.

    Plain paths (``/srv/drop/taro@example.jp.csv``, ``C:\\dumps\\x.txt``) are cut
    on ``/`` and ``\\``; a URL's authority gives its userinfo and host labels, its
    query gives each key and value (``+`` read as a space), its fragment is one
    part (cut on ``/``, ``&`` and ``=`` as single-page apps use it).
    """
    parts: list[Part] = []
    n = len(url)
    m = _SCHEME.match(url)
    pos = 0
    if m is not None and len(m.group()) > 2:  # not a Windows drive letter ("C:")
        pos = m.end()
        if m.group().endswith("//"):
            auth_end = next((i for i in range(pos, n) if url[i] in "/?#"), n)
            at = url.rfind("@", pos, auth_end)
            if at != -1:
                for a, b in _spans(url, pos, at, ":"):
                    parts.append(Part(a, b, unquote(url[a:b]), "userinfo"))
                pos = at + 1
            host_end = auth_end
            if not url.startswith("[", pos):  # an IPv6 literal has no labels
                colon = url.rfind(":", pos, auth_end)
                host_end = colon if colon != -1 else auth_end
                for a, b in _spans(url, pos, host_end, "."):
                    parts.append(Part(a, b, unquote(url[a:b]), "host"))
            pos = auth_end
    q = url.find("?", pos)
    h = url.find("#", pos)
    path_end = min(i for i in (q, h, n) if i != -1)
    for a, b in _spans(url, pos, path_end, "/\\"):
        parts.append(Part(a, b, unquote(url[a:b]), "path"))
    if q != -1 and (h == -1 or q < h):
        q_end = h if h != -1 else n
        for a, b in _spans(url, q + 1, q_end, "&;="):
            parts.append(Part(a, b, unquote_plus(url[a:b]), "query"))
    if h != -1:
        for a, b in _spans(url, h + 1, n, "/&=?"):
            parts.append(Part(a, b, unquote(url[a:b]), "fragment"))
    return parts


@dataclass(frozen=True)
class PartHit:
    """A part that holds a customer value: its replacement text and the kinds found."""

    part: Part
    replacement: str
    kinds: tuple[str, ...]


def _scan_part(part: Part, matchers: Sequence[Matcher]) -> PartHit | None:
    """Whether ``part`` holds a value of any set; if so, what to show instead."""
    text = prepare(part.text)
    if not text.strip():
        return None
    whole_kind: str | None = None
    spans: list[tuple[int, int, str]] = []
    for m in matchers:
        ex = m.extractor
        located = ex.primaries(_WORD_JOINERS.sub(" ", text))
        whole = list(ex.cell(text, None)[0]) if len(text) <= _MAX_PART else []
        pairs = [(k, c) for k, c, _s, _e in located] + whole
        if not pairs:
            continue
        hits = m.prober.probe(pairs)
        for (kind, _c, s, e), hit in zip(located, hits, strict=False):
            if hit:
                spans.append((s, e, kind))
        for (kind, _c), hit in zip(whole, hits[len(located):], strict=True):
            if hit and whole_kind is None:
                whole_kind = kind
    if not spans and whole_kind is None:
        return None
    kinds = tuple(dict.fromkeys([k for _s, _e, k in spans] + ([whole_kind] if whole_kind else [])))
    if whole_kind is not None and whole_kind not in {k for _s, _e, k in spans}:
        # The whole part is a value (a name, a birth date): nothing of it stays.
        return PartHit(part, f"[{shown_kind(whole_kind)}]", kinds)
    # Only the matched values go; the rest of the part (``dump-`` … ``.csv``) stays.
    out: list[str] = []
    last = 0
    for s, e, kind in _merge(spans):
        out.append(quote(text[last:s], safe=_SAFE))
        out.append(f"[{shown_kind(kind)}]")
        last = e
    out.append(quote(text[last:], safe=_SAFE))
    return PartHit(part, "".join(out), kinds)


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for s, e, k in sorted(spans):
        if out and s < out[-1][1]:
            ps, pe, pk = out[-1]
            out[-1] = (ps, max(pe, e), pk)
        else:
            out.append((s, e, k))
    return out


#: How many clean parts a :func:`scan_url` cache holds before it starts afresh.
CLEAN_PARTS: Final = 20_000


def scan_url(url: str, matchers: Sequence[Matcher], clean: set[str] | None = None
             ) -> list[PartHit]:
    """The parts of ``url`` (or a file path) that hold a customer value of any set.

    ``clean``: decoded part texts known to hold none (for the same ``matchers``),
    which are not searched again; the parts found clean are added. A crawl's URLs
    share most parts (host labels, ``raw`` …). It holds only what a redacted URL
    keeps as written anyway, never a part that held a value.
    """
    if not matchers or not url:
        return []
    hits: list[PartHit] = []
    for part in url_parts(url):
        if clean is not None and part.text in clean:
            continue
        hit = _scan_part(part, matchers)
        if hit is not None:
            hits.append(hit)
        elif clean is not None:
            if len(clean) >= CLEAN_PARTS:
                clean.clear()
            clean.add(part.text)
    return hits


def redact_url(url: str, matchers: Sequence[Matcher], clean: set[str] | None = None) -> str:
    """``url`` with every part that holds a customer value replaced by its kind's shape.

    Example: ``https://paste.example/u/taro%40example.jp/dump.txt`` →
    ``https://paste.example/u/[email]/dump.txt``. Other parts stay as written.
    ``clean``: as for :func:`scan_url`.
    """
    hits = scan_url(url, matchers, clean)
    if not hits:
        return url
    out: list[str] = []
    last = 0
    for hit in sorted(hits, key=lambda h: h.part.start):
        out.append(url[last:hit.part.start])
        out.append(hit.replacement)
        last = hit.part.end
    out.append(url[last:])
    return "".join(out)
