"""Redirects obey the same host rules as links, on every hop (SPEC 10.1).

Scrapy's RedirectMiddleware follows a ``302`` to any host; a start URL could thus
send the crawl anywhere its source never allowed. Here a hop is followed only
when the spider's ``where(source, url)`` accepts its target (the source's own
sites, or an ``allow_offsite`` match) — for 3xx answers and ``<meta http-equiv=refresh>``
alike; the hop then goes through the address guard
like any request. A redirect chain that runs out of hops is named a redirect loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest

from crawler.coverage import SOURCE_META, count

if TYPE_CHECKING:
    from scrapy import Request


class RedirectRefused(IgnoreRequest):
    """A redirect to a host the source does not allow (a coverage error)."""

    def __init__(self, message: str, target_host: str) -> None:
        super().__init__(message)
        self.target_host = target_host


class RedirectLoop(IgnoreRequest):
    """More redirects than ``REDIRECT_MAX_TIMES`` (a coverage error)."""


class _HostRules:
    """Redirect middleware mixin: the spider's ``where()`` decides every hop."""

    crawler: Any
    max_redirect_times: int

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        spider = self.crawler.spider
        source_name = request.meta.get(SOURCE_META)
        where = getattr(spider, "where", None)
        sources = getattr(spider, "sources", {})
        if (where is not None and source_name in sources
                and where(sources[source_name], redirected.url) is None):
            count(self.crawler.stats, request, "refused")
            raise RedirectRefused(
                f"redirect to {redirected.url} refused: the source does not allow that "
                "host (allow_offsite)", urlsplit(redirected.url).netloc)
        try:
            redirected = super()._redirect(redirected, request, reason)  # type: ignore[misc]
            return redirected
        except IgnoreRequest:
            raise RedirectLoop(
                f"redirect loop: more than {self.max_redirect_times} redirects") from None


class SourceRedirectMiddleware(_HostRules, RedirectMiddleware):
    """RedirectMiddleware (3xx ``Location``) under the source's host rules."""


class SourceMetaRefreshMiddleware(_HostRules, MetaRefreshMiddleware):
    """MetaRefreshMiddleware (``<meta http-equiv=refresh>``) under the same rules."""
