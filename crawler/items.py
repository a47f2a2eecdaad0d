"""The one item the crawler yields: a fetched (or derived) document."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DocumentItem:
    """A document for the matcher pipeline. Lives in memory only; never logged.

    ``body`` is the bytes as served for fetched pages (``encoding_hint`` from the
    Content-Type charset or a ``<meta>`` tag, ``None`` when neither says). Derived
    documents (one forum post, one feed entry's own text) carry their text as
    UTF-8 in ``body`` with ``content_type`` ``text/plain; charset=utf-8``.
    ``text`` is the extracted text (``content`` selectors, visible text, or the
    decoded raw body). ``body`` and ``text`` are left out of ``repr``.
    """

    source: str
    url: str
    body: bytes = field(repr=False)
    content_type: str
    encoding_hint: str | None
    etag: str | None
    last_modified: str | None
    fetched_at: str
    rendered: bool
    text: str | None = field(default=None, repr=False)
