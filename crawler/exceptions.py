"""Exceptions shared by the crawler's middlewares and spider."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest


class SkippedResponse(IgnoreRequest):
    """A response deliberately not turned into a document, already logged and counted.

    The spider's errback leaves these alone instead of reporting them as errors.
    """


class PageTooLarge(Exception):
    """A page that arrived whole (rendered by the browser) is larger than DOWNLOAD_MAXSIZE.

    Scrapy cancels a plain download past that size while it streams; this is the
    same bound for pages it does not stream. Reported like any failed fetch.
    """
