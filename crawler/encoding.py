"""Which encoding a page declares, and a best guess for Japanese pages that declare none.

The application decodes ``DocumentItem.body`` itself (SPEC 5.3); this only makes
the convenience ``text`` readable when a CP932 or EUC-JP page says nothing.
"""

from __future__ import annotations

import re

from scrapy.http import Response, TextResponse

_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_META = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)
_HEAD_BYTES = 4096
_GUESSES = ("cp932", "euc_jp")


def declared_charset(content_type: bytes | None) -> str | None:
    """The ``charset`` parameter of a Content-Type value, lower case."""
    m = _CHARSET.search(content_type or b"")
    return m.group(1).decode("ascii").lower() if m else None


def encoding_hint(response: Response) -> str | None:
    """Charset from the Content-Type header, else from a ``<meta>`` tag near the start."""
    hint = declared_charset(response.headers.get(b"Content-Type"))
    if hint:
        return hint
    for tag in _META.findall(response.body[:_HEAD_BYTES]):
        hint = declared_charset(tag)
        if hint:
            return hint
    return None


def _japanese_share(text: str) -> float:
    jp = sum(1 for ch in text if "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff")
    return jp / max(1, len(text))


def guess_encoding(body: bytes) -> str | None:
    """UTF-8 if the bytes are valid UTF-8, else the more Japanese-looking of CP932/EUC-JP."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best: tuple[float, str] | None = None
    for enc in _GUESSES:
        try:
            share = _japanese_share(body.decode(enc))
        except UnicodeDecodeError:
            continue
        if best is None or share > best[0]:
            best = (share, enc)
    return best[1] if best else None


def with_best_encoding(response: Response) -> Response:
    """The response, re-declared with a guessed encoding when it declares none."""
    if not isinstance(response, TextResponse) or encoding_hint(response):
        return response
    guess = guess_encoding(response.body)
    return response.replace(encoding=guess) if guess else response


def body_text(response: Response) -> str:
    """The whole body as text, decoding errors replaced."""
    if isinstance(response, TextResponse):
        return response.text
    enc = encoding_hint(response) or guess_encoding(response.body) or "utf-8"
    try:
        return response.body.decode(enc, errors="replace")
    except LookupError:
        return response.body.decode("utf-8", errors="replace")
