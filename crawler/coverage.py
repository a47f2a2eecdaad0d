"""Per-source coverage counters in the crawl stats.

Keys are ``leakprint/source/<name>/<what>``; ``<what>`` is one of ``pages``
(responses received), ``bytes`` (body bytes received), ``documents`` (items
emitted), ``errors`` (failed requests: HTTP errors, timeouts, DNS, refused),
``skipped`` (robots.txt, binary, too large), ``binary``, ``unchanged`` (304) and
``budget_exhausted`` (links not scheduled because of ``max_pages``), ``refused``
(destination address or redirect refused) and ``coverage_errors``. A request's
source is its ``leakprint_source`` meta key.

:func:`report_coverage` names a document that could not be read in full: counted
(``leakprint/coverage/<kind>``), logged, and sent as the ``coverage_error`` signal
for the application to record with its scan run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy import signals

from crawler.signals import coverage_error

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

SOURCE_META = "leakprint_source"
SOURCE_PREFIX = "leakprint/source/"


def source_key(source: str, what: str) -> str:
    """The stats key of one counter of one source."""
    return f"{SOURCE_PREFIX}{source}/{what}"


#: The counters a scan run keeps per source and in total.
RUN_COUNTERS = ("pages", "bytes", "errors")


def per_source(stats: StatsCollector | None) -> dict[str, dict[str, int]]:
    """The :data:`RUN_COUNTERS` of every source, from one copy of the stats (the
    reactor thread may count on while another thread reads them)."""
    out: dict[str, dict[str, int]] = {}
    if stats is None:
        return out
    for key, value in dict(stats.get_stats()).items():
        if key.startswith(SOURCE_PREFIX):
            name, what = key[len(SOURCE_PREFIX):].rsplit("/", 1)
            if what in RUN_COUNTERS:
                out.setdefault(name, dict.fromkeys(RUN_COUNTERS, 0))[what] = int(value)
    return out


def totals(sources: dict[str, dict[str, int]]) -> tuple[int, int, int]:
    """Pages, bytes and errors summed over the sources of :func:`per_source`."""
    pages, byte_count, errors = (sum(c[what] for c in sources.values())
                                 for what in RUN_COUNTERS)
    return pages, byte_count, errors


def count(stats: StatsCollector | None, request: Request | None, what: str, n: int = 1) -> None:
    """Add ``n`` to the ``what`` counter of the request's source, if it has one."""
    source = request.meta.get(SOURCE_META) if request is not None else None
    if stats is not None and source:
        stats.inc_value(source_key(str(source), what), n)


def report_coverage(crawler: Crawler | None, request: Request | None, kind: str,
                    detail: str, url: str | None = None) -> None:
    """Count and announce a coverage error (see :mod:`crawler.signals`)."""
    if crawler is None:
        return
    url = url or (request.url if request is not None else "?")
    source = request.meta.get(SOURCE_META) if request is not None else None
    if crawler.stats is not None:
        crawler.stats.inc_value(f"leakprint/coverage/{kind}")
        count(crawler.stats, request, "coverage_errors")
    crawler.signals.send_catch_log(coverage_error, kind=kind, url=url, source=source,
                                   detail=detail, spider=crawler.spider)


class CoverageStats:
    """Counts pages, bytes and documents per source (errors are counted where they occur)."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler.stats)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        return ext

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        count(self.stats, request, "pages")
        count(self.stats, request, "bytes", len(response.body))

    def item_scraped(self, item: Any, response: Response | None, spider: Spider) -> None:
        source = getattr(item, "source", None)
        if source:
            self.stats.inc_value(source_key(str(source), "documents"))
