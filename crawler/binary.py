"""Drop responses whose Content-Type is binary (images, media, archives, PDF …).

Enabled in ``DOWNLOADER_MIDDLEWARES`` above HttpCompressionMiddleware (590), so a
binary body is refused before it is decompressed. Extra types to skip can be
listed in ``LEAKPRINT_BINARY_TYPES`` (exact types or ``type/*`` prefixes).

``application/octet-stream`` and a missing type say nothing: file hosts serve
``.csv`` and ``.txt`` downloads that way. Those pass this middleware and are
sniffed by :class:`SniffMiddleware` (below HttpCompressionMiddleware, so it sees
the decompressed body): text that decodes is read as ``text/plain``; anything
else is a binary skip. Every skip is a coverage error of the run.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, NoReturn

from scrapy.http import TextResponse

from crawler.coverage import count, report_coverage
from crawler.exceptions import SkippedResponse

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)
JAPANESE = ("cp932", "euc_jp")

BINARY_TYPES = (
    "image/*",
    "video/*",
    "audio/*",
    "font/*",
    "application/pdf",
    "application/zip",
    "application/gzip",
    "application/x-gzip",
    "application/x-tar",
    "application/x-7z-compressed",
    "application/x-rar-compressed",
    "application/vnd.rar",
    "application/x-bzip2",
    "application/x-xz",
    "application/java-archive",
    "application/x-msdownload",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.*",
    "application/msword",
    "application/wasm",
)


def media_type(response: Response) -> str:
    """The response's media type, lower case, without parameters ('' if absent)."""
    raw = response.headers.get(b"Content-Type") or b""
    return raw.decode("latin-1").split(";", 1)[0].strip().lower()


def is_binary(mtype: str, patterns: tuple[str, ...] = BINARY_TYPES) -> bool:
    """True when ``mtype`` equals a pattern or falls under a ``prefix/*`` pattern."""
    for pattern in patterns:
        if pattern.endswith("*"):
            if mtype.startswith(pattern[:-1]):
                return True
        elif mtype == pattern:
            return True
    return False


class BinaryContentMiddleware:
    """Downloader middleware: a binary response becomes a logged, counted skip."""

    def __init__(self, crawler: Crawler, patterns: tuple[str, ...]) -> None:
        self.crawler = crawler
        self.patterns = patterns

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extra = tuple(crawler.settings.getlist("LEAKPRINT_BINARY_TYPES"))
        return cls(crawler, BINARY_TYPES + extra)

    def process_response(self, request: Request, response: Response) -> Response:
        mtype = media_type(response)
        if not is_binary(mtype, self.patterns):
            return response
        skip_binary(self.crawler, request, response.url, mtype)


def skip_binary(crawler: Crawler, request: Request, url: str, mtype: str) -> NoReturn:
    """Log, count and report a binary document; raises :class:`SkippedResponse`."""
    logger.info("Skipped binary document %s (%s)", url, mtype or "no type")
    crawler.stats.inc_value("leakprint/binary_skipped")
    count(crawler.stats, request, "binary")
    count(crawler.stats, request, "skipped")
    report_coverage(crawler, request, "binary", f"content type {mtype or 'none'}", url)
    raise SkippedResponse(f"binary content type {mtype}")


UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream",
                     "application/unknown"})
SNIFF_BYTES = 64 * 1024


def sniff_text(body: bytes) -> str | None:
    """The encoding under which ``body`` reads as text, or None for binary data.

    Text has no NUL bytes and few control characters other than tab, CR and LF;
    it must decode as UTF-8 (or UTF-16 with a BOM), else CP932 or EUC-JP.
    """
    head = body[:SNIFF_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\0" in head:
        return None
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    if controls > len(head) // 100:
        return None
    # The sample may end inside a character: decode as many whole bytes as possible.
    for enc in ("utf-8", *JAPANESE):
        try:
            head.decode(enc) if len(body) <= SNIFF_BYTES else head[:-4].decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    return None


class SniffMiddleware:
    """Downloader middleware: an untyped or ``octet-stream`` body that is text becomes
    a ``text/plain`` response (scanned); otherwise a binary skip (a coverage error)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        mtype = media_type(response)
        if mtype not in UNTYPED or "playwright" in response.flags or response.status != 200:
            return response
        encoding = sniff_text(response.body)
        if encoding is None:
            skip_binary(self.crawler, request, response.url, mtype)
        logger.info("Untyped document %s (%s) read as %s text", response.url,
                    mtype or "no type", encoding)
        self.crawler.stats.inc_value("leakprint/sniffed_text")
        headers = response.headers.copy()
        headers[b"Content-Type"] = f"text/plain; charset={encoding}".encode()
        return TextResponse(url=response.url, status=response.status, headers=headers,
                            body=response.body, flags=response.flags, request=request,
                            encoding=encoding, protocol=response.protocol)
