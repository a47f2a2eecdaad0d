"""Conditional requests from validators the application remembers (SPEC 5.2).

Enabled by the ``LEAKPRINT_VALIDATORS`` setting: the dotted path of a class built
with ``from_crawler`` (or a plain constructor) whose instances have
``get(url) -> (etag, last_modified) | None``. Without the setting the middleware
raises NotConfigured. A 304 answer is counted (``leakprint/unchanged`` and the
source's ``unchanged``), logged, announced with the ``document_unchanged`` signal,
and no item is emitted. Rendered (Playwright) requests are sent unconditionally, and
rendered documents store no validators (crawler/spiders/base.py), so a plain fetch is
never answered "304 unchanged" on the strength of a DOM it did not read.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler, load_object

from crawler.coverage import SOURCE_META, count
from crawler.exceptions import SkippedResponse
from crawler.signals import document_unchanged

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


class ValidatorsProvider(Protocol):
    """What ``LEAKPRINT_VALIDATORS`` must build: the last ETag / Last-Modified of a URL."""

    def get(self, url: str) -> tuple[str | None, str | None] | None: ...


class ConditionalRequestMiddleware:
    """Downloader middleware adding If-None-Match / If-Modified-Since."""

    def __init__(self, crawler: Crawler, provider: ValidatorsProvider) -> None:
        self.crawler = crawler
        self.provider = provider

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("LEAKPRINT_VALIDATORS")
        if not path:
            raise NotConfigured("LEAKPRINT_VALIDATORS is not set")
        provider: ValidatorsProvider = build_from_crawler(load_object(path), crawler)
        return cls(crawler, provider)

    def process_request(self, request: Request) -> None:
        if request.meta.get("playwright") or SOURCE_META not in request.meta:
            return
        validators = self.provider.get(request.url)
        if not validators:
            return
        etag, last_modified = validators
        if etag:
            request.headers.setdefault(b"If-None-Match", etag)
        if last_modified:
            request.headers.setdefault(b"If-Modified-Since", last_modified)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status != 304:
            return response
        source = request.meta.get(SOURCE_META)
        logger.info("Unchanged document %s (304)", request.url)
        self.crawler.stats.inc_value("leakprint/unchanged")
        count(self.crawler.stats, request, "unchanged")
        self.crawler.signals.send_catch_log(
            document_unchanged, url=request.url, source=source, spider=self.crawler.spider
        )
        raise SkippedResponse("not modified")
