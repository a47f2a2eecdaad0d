"""The ``sources`` spider: crawls TOML-declared sources, or URLs given on demand.

From the repository root::

    scrapy crawl sources -a sources_file=sources.toml -a source=example-paste[,other]
    scrapy crawl sources -a urls=https://a.example/x,https://b.example/y -a render=1 -a depth=1

Arguments: ``sources_file`` (default: the ``LEAKPRINT_SOURCES_FILE`` setting, else
``sources.toml``), ``source`` (comma-separated names; default all), and for on-demand
crawls ``urls`` with optional ``kind`` (default ``page``), ``render``, ``wait_for``,
``content`` and ``depth`` (links followed on the same sites; default 0).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, cast

import scrapy
from scrapy.http import HtmlResponse, TextResponse

from crawler.coverage import count, report_coverage
from crawler.encoding import body_text, with_best_encoding
from crawler.extract import DEEP_TREE, element_text, page_text, streaming_text, tree_depth
from crawler.feeds import FeedError, parse_feed
from crawler.items import DocumentItem
from crawler.patterns import compile_pattern
from crawler.sources import KINDS, Kind, Source, SourceConfigError, load_sources
from crawler.spiders.base import DEPTH_META, SourceSpider

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response


Output = Iterator[scrapy.Request | DocumentItem]


def _names(value: str | None) -> list[str]:
    return [n.strip() for n in (value or "").split(",") if n.strip()]


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def on_demand_source(
    urls: str,
    *,
    kind: str | None = None,
    render: str | None = None,
    depth: str | None = None,
    wait_for: str | None = None,
    content: str | None = None,
) -> Source:
    """A source made of spider arguments (``-a urls=… -a render=1 -a depth=N``)."""
    start = tuple(_names(urls))
    if any(not u.startswith(("http://", "https://")) for u in start):
        raise SourceConfigError("urls: only http(s) URLs can be crawled")
    if (kind or "page") not in KINDS:
        raise SourceConfigError(f"kind: must be one of {', '.join(KINDS)}")
    if not (depth or "0").isdigit():
        raise SourceConfigError("depth: must be a non-negative integer")
    max_depth = int(depth or 0)
    return Source(
        name="on-demand",
        kind=cast(Kind, kind or "page"),
        start_urls=start,
        # On demand, every link on the same sites is fair game up to ``depth``.
        follow=(compile_pattern(""),) if max_depth else (),
        content=content,
        render=_truthy(render),
        wait_for=wait_for if _truthy(render) else None,
        max_depth=max_depth,
    )


def select_sources(path: str, names: list[str]) -> list[Source]:
    """The sources of ``path``, only those named if ``names`` is not empty."""
    sources = load_sources(path)
    if not names:
        return sources
    known = {s.name for s in sources}
    for name in names:
        if name not in known:
            raise SourceConfigError(f"{path}: no source named {name!r}")
    return [s for s in sources if s.name in names]


class SourcesSpider(SourceSpider):
    """Paste sites, forums, feeds and single pages, as declared per source."""

    name = "sources"
    listing_callbacks = frozenset({"parse_listing", "parse_thread_list"})

    def __init__(
        self,
        sources_file: str | None = None,
        source: str | None = None,
        urls: str | None = None,
        **kwargs: Any,
    ) -> None:
        on_demand = {
            k: kwargs.pop(k, None) for k in ("kind", "render", "depth", "wait_for", "content")
        }
        sources: list[Source] = []
        if urls:
            sources.append(on_demand_source(urls, **on_demand))
        if sources_file or not urls:
            sources += select_sources(sources_file or "sources.toml", _names(source))
        if not sources:
            raise SourceConfigError(f"{sources_file or 'sources.toml'}: no sources to crawl")
        super().__init__(sources, **kwargs)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        if "sources_file" not in kwargs and not kwargs.get("urls"):
            kwargs["sources_file"] = crawler.settings.get("LEAKPRINT_SOURCES_FILE")
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.wait_timeout_ms = crawler.settings.getint("LEAKPRINT_WAIT_FOR_TIMEOUT_MS", 10_000)
        slots = dict(crawler.settings.getdict("DOWNLOAD_SLOTS"))
        for s in spider.sources.values():
            if s.download_delay is not None or s.concurrency is not None:
                slot: dict[str, Any] = {}
                if s.download_delay is not None:
                    slot["delay"] = s.download_delay
                if s.concurrency is not None:
                    slot["concurrency"] = s.concurrency
                slots[f"source:{s.name}"] = slot
        if slots:
            crawler.settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        entry = {
            "paste": self.parse_listing,
            "forum": self.parse_thread_list,
            "feed": self.parse_feed,
            "page": self.parse_page,
        }
        for source in self.sources.values():
            for url in source.start_urls:
                req = self.request(source, url, entry[source.kind], 0)
                if req is not None:
                    yield req

    def page_text(self, response: Response, *, offsite: bool = False) -> str:
        """The ``content`` selectors' text, else the visible text of the page (a page
        nested too deep for the parser is read whole by streaming, never dropped).

        Off-site (a page another host serves, reached through a link), the
        selectors, written for the source's own site, apply only where they pick
        something; elsewhere the visible text is read.
        """
        if not isinstance(response, TextResponse):
            return body_text(response)
        source = self.source_of(response)
        text, streamed = page_text(response.selector, response.text, source.content,
                                   offsite=offsite)
        if streamed:
            self.logger.info("Deeply nested page %s read without a tree (depth limit)",
                             response.url)
            self.crawler.stats.inc_value("leakprint/deep_pages")
        return text

    # paste: listing → item pages (or their raw form), listing pagination
    def parse_listing(self, response: Response) -> Output:
        response = with_best_encoding(response)
        source = self.source_of(response)
        item_cb = self.parse_raw if source.raw else self.parse_item
        rewrite = source.raw_url if source.raw else None
        links = self.links_in(response)
        yield from self.follow_links(response, links, item_cb, self.parse_raw, rewrite=rewrite)
        yield from self.next_page(response, self.parse_listing)

    def parse_item(self, response: Response) -> Output:
        response = with_best_encoding(response)
        yield self.document(response, self.page_text(response))

    def parse_raw(self, response: Response) -> Output:
        """A raw endpoint or an off-site page: plain text as it is, an HTML page
        (a paste host's normal page) through content extraction, like any page."""
        response = with_best_encoding(response)
        if isinstance(response, HtmlResponse):
            yield self.document(response, self.page_text(response, offsite=True))
        else:
            yield self.document(response, body_text(response))

    # forum: thread list → thread pages → one document per post
    def parse_thread_list(self, response: Response) -> Output:
        response = with_best_encoding(response)
        yield from self.follow_links(response, self.links_in(response), self.parse_thread, None)
        yield from self.next_page(response, self.parse_thread_list)

    def parse_thread(self, response: Response) -> Output:
        response = with_best_encoding(response)
        if not isinstance(response, TextResponse):
            yield self.document(response, body_text(response))
            return
        source = self.source_of(response)
        if "playwright" in response.flags:
            self.check_rendered(response)
        if tree_depth(response.selector.root) >= DEEP_TREE:
            # Too deep for the parser: the whole page as one post, read by streaming.
            yield self.derived(response, f"{response.url}#post-1", streaming_text(response.text))
            return
        posts = response.css(source.content) if source.content else response.xpath("//body")
        for n, post in enumerate(posts, start=1):
            text = element_text(post.root)
            if text:
                yield self.derived(response, f"{response.url}#post-{n}", text)
            # Leaks are announced in posts and hosted elsewhere: follow allowed offsite links.
            yield from self.follow_links(response, self.links_in(post), None, self.parse_raw)
        yield from self.next_page(response, self.parse_thread)

    # feed: each entry's own text, and the page it links to
    def parse_feed(self, response: Response) -> Output:
        source = self.source_of(response)
        try:
            entries = parse_feed(response.body)
        except FeedError as e:
            self.logger.warning("Unreadable feed %s: %s", response.url, e)
            count(self.crawler.stats, response.request, "errors")
            # The parser's message may quote the document: the stored detail does not.
            report_coverage(self.crawler, response.request, "parse",
                            "not a well-formed, entity-free RSS or Atom feed")
            return
        depth = response.meta.get(DEPTH_META, 0) + 1
        for n, entry in enumerate(entries, start=1):
            link = response.urljoin(entry.link) if entry.link else None
            if entry.text:
                url = (
                    f"{link}#feed-entry" if link else f"{response.url}#entry-{entry.entry_id or n}"
                )
                yield self.derived(response, url, entry.text)
            if link is None or (source.follow and not source.follows(link)):
                continue
            where = self.where(source, link)
            if where is None and link.startswith(("http://", "https://")):
                # The entry's page is the content: not fetching it is said, not silent.
                self.logger.warning("Feed entry %s links to a host allow_offsite does not "
                                    "cover: not fetched", link)
                report_coverage(self.crawler, response.request, "offsite_dropped",
                                "add its host to allow_offsite to read it", link)
                continue
            # An off-site page is read like any off-site page (parse_raw).
            onsite = where == "onsite"
            render = None if onsite else False
            callback = self.parse_item if onsite else self.parse_raw
            req = self.request(source, link, callback, depth, render=render) if where else None
            if req is not None:
                yield req

    # page: the page itself, plus followed links when ``follow`` is set
    def parse_page(self, response: Response) -> Output:
        response = with_best_encoding(response)
        yield self.document(response, self.page_text(response))
        yield from self.follow_links(
            response, self.links_in(response), self.parse_page, self.parse_raw
        )
