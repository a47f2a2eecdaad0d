"""Drop responses whose Content-Type is binary (images, media, archives, PDF …).

Enabled in ``DOWNLOADER_MIDDLEWARES`` above HttpCompressionMiddleware (590), so a
binary body is refused before it is decompressed. Extra types to skip can be
listed in ``LEAKPRINT_BINARY_TYPES`` (exact types or ``type/*`` prefixes).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from crawler.coverage import count
from crawler.exceptions import SkippedResponse

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

BINARY_TYPES = (
    "image/*",
    "video/*",
    "audio/*",
    "font/*",
    "application/octet-stream",
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

    def __init__(self, stats: StatsCollector, patterns: tuple[str, ...]) -> None:
        self.stats = stats
        self.patterns = patterns

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extra = tuple(crawler.settings.getlist("LEAKPRINT_BINARY_TYPES"))
        return cls(crawler.stats, BINARY_TYPES + extra)

    def process_response(self, request: Request, response: Response) -> Response:
        mtype = media_type(response)
        if not is_binary(mtype, self.patterns):
            return response
        logger.info("Skipped binary document %s (%s)", response.url, mtype)
        self.stats.inc_value("leakprint/binary_skipped")
        count(self.stats, request, "binary")
        count(self.stats, request, "skipped")
        raise SkippedResponse(f"binary content type {mtype}")
