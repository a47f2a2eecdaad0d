"""Hold pages rendered through Chromium to ``DOWNLOAD_MAXSIZE``.

Scrapy stops a plain download once it passes ``DOWNLOAD_MAXSIZE`` (or the request's
``download_maxsize``); a page rendered by scrapy-playwright arrives whole, as the
browser's DOM, so without this a page that builds megabytes of text in JavaScript
would go on to the matcher unbounded. Enabled in ``DOWNLOADER_MIDDLEWARES``;
switched off when ``DOWNLOAD_MAXSIZE`` is 0 (no bound).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

from crawler.exceptions import PageTooLarge

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response


class RenderedSizeMiddleware:
    """Downloader middleware: a rendered page over the size bound is a failed fetch."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        if maxsize <= 0:
            raise NotConfigured("DOWNLOAD_MAXSIZE is 0: no size bound")
        return cls(maxsize)

    def process_response(self, request: Request, response: Response) -> Response:
        if "playwright" not in response.flags:
            return response  # streamed by Scrapy, which enforces the bound itself
        limit = int(request.meta.get("download_maxsize", self.maxsize))
        size = len(response.body)
        if limit > 0 and size > limit:
            raise PageTooLarge(
                f"rendered page of {size} bytes exceeds DOWNLOAD_MAXSIZE ({limit} B)"
            )
        return response
