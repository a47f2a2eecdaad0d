"""robots.txt for every request, including those that arrive while it is being fetched.

Scrapy 2.19's RobotsTxtMiddleware awaits the pending robots.txt Deferred with
``maybe_deferred_to_future``, whose callback returns None: only the first waiting
request gets the parser and every other request queued for that host meanwhile
is let through unchecked (seen here: a Disallowed page fetched in a crawl that
starts several requests per host; cf. scrapy/scrapy PR #6802). Once the Deferred
has fired the cache holds the parser, so waiters read it from there.
Replaces Scrapy's middleware at the same order (100).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.robotstxt import RobotParser


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """RobotsTxtMiddleware whose concurrent waiters all get the parsed robots.txt."""

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        if parser is None:
            cached = self._parsers.get(urlparse_cached(request).netloc)
            if not isinstance(cached, Deferred):
                return cached
        return parser
