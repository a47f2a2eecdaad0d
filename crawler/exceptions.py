"""Exceptions shared by the crawler's middlewares and spider."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest


class SkippedResponse(IgnoreRequest):
    """A response deliberately not turned into a document, already logged and counted.

    The spider's errback leaves these alone instead of reporting them as errors.
    """
