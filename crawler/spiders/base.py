"""SourceSpider: what every kind of source shares.

Scheduling with per-source budgets (``max_pages``) and depth (``max_depth``,
pagination excluded), the on-site / ``allow_offsite`` decision (by scheme, host
and port, since Scrapy's OffsiteMiddleware only knows domains), browser meta for
``render`` sources, building :class:`DocumentItem` and one log line per failure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urldefrag, urlsplit

import scrapy
from parsel import Selector
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)

from crawler.coverage import SOURCE_META, count, report_coverage, source_key
from crawler.encoding import encoding_hint
from crawler.exceptions import PageTooLarge, SkippedResponse
from crawler.items import DocumentItem
from crawler.netguard import AddressRefused
from crawler.redirects import RedirectLoop, RedirectRefused
from crawler.render import render_meta, selector_missed

if TYPE_CHECKING:
    from scrapy.http import Response
    from twisted.python.failure import Failure

    from crawler.sources import Source

DEPTH_META = "leakprint_depth"
#: HTTP statuses that say a document does not exist (a dead link), not that it
#: could not be read: counted as fetch errors, but not coverage errors.
GONE = frozenset({404, 410})
Where = Literal["onsite", "offsite"]
Callback = Callable[[Any], Any]

_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (DownloadTimeoutError, "timeout"),
    (TimeoutError, "timeout"),
    (TCPTimedOutError, "timeout"),
    (CannotResolveHostError, "DNS lookup failed"),
    (DNSLookupError, "DNS lookup failed"),
    (DownloadConnectionRefusedError, "connection refused"),
    (ConnectionRefusedError, "connection refused"),
    # Scrapy cancels a download whose size exceeds DOWNLOAD_MAXSIZE.
    (DownloadCancelledError, "cancelled"),
    (PageTooLarge, "too large"),
    (ResponseDataLossError, "incomplete response"),
    (DownloadFailedError, "download failed"),
)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _refusal_kind(exc: BaseException | None) -> str | None:
    """The coverage kind of a deliberate refusal (address, redirect, bomb), else None."""
    if isinstance(exc, AddressRefused):
        return "refused_address"
    if isinstance(exc, RedirectRefused):
        return "refused_redirect"
    if isinstance(exc, RedirectLoop):
        return "redirect_loop"
    if isinstance(exc, IgnoreRequest) and "during decompression" in str(exc):
        # HttpCompressionMiddleware: a compression bomb, stopped at DOWNLOAD_MAXSIZE.
        return "too_large"
    return None


def failure_reason(failure: Failure) -> str:
    """A short, single-line reason for a failed request."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    message = " ".join(failure.getErrorMessage().split())
    for exc_type, label in _REASONS:
        if isinstance(exc, exc_type):
            return f"{label}: {message}" if message else label
    name = failure.type.__name__ if failure.type else "error"
    if name == "TimeoutError":  # playwright's own TimeoutError
        return f"timeout: {message}"
    return f"{name}: {message}" if message else name


class SourceSpider(scrapy.Spider):
    """Base spider over a list of :class:`Source`; subclasses supply the callbacks."""

    # Offsite decisions are made per source by where(); Scrapy's are by domain only.
    allowed_domains = None
    #: Callbacks of pages only mined for links: rendered, they do not wait for
    #: ``wait_for`` (an item's selector) but for the network to settle.
    listing_callbacks: frozenset[str] = frozenset()

    def __init__(self, sources: list[Source], wait_timeout_ms: int = 10_000, **kwargs: Any):
        super().__init__(**kwargs)
        self.sources = {s.name: s for s in sources}
        self.wait_timeout_ms = wait_timeout_ms
        self._homes = {s.name: {_origin(u) for u in s.start_urls} for s in sources}
        self._scheduled: Counter[str] = Counter()
        self._seen: set[str] = set()
        self._exhausted: set[str] = set()

    def source_of(self, response: Response) -> Source:
        return self.sources[response.meta[SOURCE_META]]

    def where(self, source: Source, url: str) -> Where | None:
        """'onsite' for the source's own sites, 'offsite' if allowed, else None."""
        if _origin(url) in self._homes[source.name]:
            return "onsite"
        return "offsite" if source.offsite_allowed(url) else None

    def request(
        self,
        source: Source,
        url: str,
        callback: Callback,
        depth: int,
        *,
        render: bool | None = None,
    ) -> scrapy.Request | None:
        """A request within the source's budget and depth, or None (logged, counted)."""
        url = urldefrag(url)[0]
        key = f"{source.name} {url}"
        if depth > source.max_depth or key in self._seen:
            return None
        if self._scheduled[source.name] >= source.max_pages:
            self._budget_exhausted(source)
            return None
        self._seen.add(key)
        self._scheduled[source.name] += 1
        meta: dict[str, Any] = {SOURCE_META: source.name, DEPTH_META: depth}
        if not source.obey_robots:
            meta["dont_obey_robotstxt"] = True
        if source.download_delay is not None or source.concurrency is not None:
            meta["download_slot"] = f"source:{source.name}"
        if source.render if render is None else render:
            listing = getattr(callback, "__name__", "") in self.listing_callbacks
            meta.update(render_meta(source.wait_for, self.wait_timeout_ms, listing=listing))
        # Duplicates are filtered per source above: two sources may share a page.
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, meta=meta, dont_filter=True
        )

    def _budget_exhausted(self, source: Source) -> None:
        self.crawler.stats.inc_value(source_key(source.name, "budget_exhausted"))
        if source.name not in self._exhausted:
            self._exhausted.add(source.name)
            self.logger.info(
                "Source %s reached max_pages (%d); further links not scheduled",
                source.name,
                source.max_pages,
            )

    def follow_links(
        self,
        response: Response,
        links: Iterable[str],
        onsite: Callback | None,
        offsite: Callback | None,
        *,
        rewrite: Callable[[str], str] | None = None,
    ) -> Iterator[scrapy.Request]:
        """Requests for links one hop deeper: on-site ones that match ``follow``
        go to ``onsite`` (at ``rewrite(url)`` if given), other hosts matching
        ``allow_offsite`` go to ``offsite``."""
        source = self.source_of(response)
        depth = response.meta.get(DEPTH_META, 0) + 1
        for href in links:
            url = response.urljoin(href)
            if not url.startswith(("http://", "https://")):
                continue
            where = self.where(source, url)
            if where == "onsite" and onsite is not None and source.follows(url):
                target = rewrite(url) if rewrite else url
                req = self.request(source, target, onsite, depth)
            elif where == "offsite" and offsite is not None:
                # The raw form when the source names one for that host; otherwise
                # the page itself, read through content extraction.
                target = source.offsite_raw_url(url) or url
                req = self.request(source, target, offsite, depth, render=False)
            else:
                continue
            if req is not None:
                yield req

    def next_page(self, response: Response, callback: Callback) -> Iterator[scrapy.Request]:
        """The pagination request (same depth as this page), if the source has one."""
        source = self.source_of(response)
        if not source.next_page or not isinstance(response, TextResponse):
            return
        href = response.css(source.next_page).xpath("@href").get()
        if href:
            req = self.request(
                source, response.urljoin(href), callback, response.meta.get(DEPTH_META, 0)
            )
            if req is not None:
                yield req

    def check_rendered(self, response: Response) -> None:
        """A rendered page whose ``wait_for`` never appeared: read as it is, and said
        (a coverage error), never a silent zero."""
        selector = selector_missed(response.meta)
        if selector:
            self.logger.warning("wait_for %r never appeared on %s; read as it was",
                                selector, response.url)
            report_coverage(self.crawler, response.request, "wait_for",
                            f"selector {selector} not seen in {self.wait_timeout_ms} ms",
                            response.url)

    def document(self, response: Response, text: str | None) -> DocumentItem:
        """The fetched page as a document. A rendered page keeps no validators: its
        DOM is not what a plain fetch of the URL would get, so a later plain fetch
        must not be answered "304 unchanged" on the strength of it."""
        rendered = "playwright" in response.flags
        if rendered:
            self.check_rendered(response)
        return DocumentItem(
            source=response.meta[SOURCE_META],
            url=response.url,
            body=response.body,
            content_type=_header(response, b"Content-Type") or "",
            encoding_hint=encoding_hint(response),
            etag=None if rendered else _header(response, b"ETag"),
            last_modified=None if rendered else _header(response, b"Last-Modified"),
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
            rendered=rendered,
            text=text,
        )

    def derived(self, response: Response, url: str, text: str) -> DocumentItem:
        """A text unit cut from a page (a post, a feed entry), as UTF-8."""
        return DocumentItem(
            source=response.meta[SOURCE_META],
            url=url,
            body=text.encode("utf-8"),
            content_type="text/plain; charset=utf-8",
            encoding_hint="utf-8",
            etag=None,
            last_modified=None,
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
            rendered="playwright" in response.flags,
            text=text,
        )

    def links_in(self, selector: Selector | Response) -> list[str]:
        """The ``href`` of every link (none for a response that is not text)."""
        if not isinstance(selector, Selector | TextResponse):
            return []
        return [h for h in selector.css("a::attr(href)").getall() if h.strip()]

    def on_error(self, failure: Failure) -> None:
        """Errback: one log line with URL and reason; counted per source; a page that
        could not be read is a coverage error of the run (never a silent zero)."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        stats = self.crawler.stats
        exc = failure.value
        if isinstance(exc, SkippedResponse):
            return
        refusal = _refusal_kind(exc)
        if refusal is not None:
            message = " ".join(failure.getErrorMessage().split())
            self.logger.warning("Refused %s: %s", url, message)
            count(stats, request, "skipped")
            # Stored details name no URL (only ``url`` is made fit to store and show).
            if isinstance(exc, RedirectRefused):
                detail = f"to {exc.target_host}"
            elif refusal == "too_large":  # Scrapy's message quotes the response (its URL)
                detail = "compression bomb: decompressed past DOWNLOAD_MAXSIZE"
            else:
                detail = message
            report_coverage(self.crawler, request, refusal, detail)
            return
        if isinstance(exc, IgnoreRequest) and not isinstance(exc, HttpError):
            self.logger.info("Skipped %s: %s", url, failure.getErrorMessage())
            count(stats, request, "skipped")
            return
        reason = failure_reason(failure)
        self.logger.warning("Fetch failed %s: %s", url, reason)
        stats.inc_value("leakprint/errors")
        count(stats, request, "errors")
        if isinstance(exc, HttpError) and exc.response.status in GONE:
            return  # no such document: nothing was left unread (still a fetch error)
        kind = "too_large" if isinstance(exc, DownloadCancelledError | PageTooLarge) \
            else "unreachable"
        report_coverage(self.crawler, request, kind, reason)
