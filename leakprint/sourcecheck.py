"""``sources check``: fetch each source's first page and show what the crawl would follow.

A plain HTTP fetch of the first start URL (static HTML, robots.txt respected unless the
source opts out), under the crawl's address policy and host rules
(:mod:`leakprint.guardedhttp`); nothing is matched or stored. Links are shown without
their fragments, once each; links to hosts that ``allow_offsite`` does not cover are
listed as dropped, so an operator sees what the crawl would leave unread.
"""

from __future__ import annotations

import urllib.robotparser
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import urldefrag, urljoin, urlsplit

from parsel import Selector

from crawler.addressguard import AddressPolicy
from crawler.sources import Source
from leakprint.guardedhttp import FetchFailed, FetchRefused, fetch

USER_AGENT = "leakprint (sources check)"
MAX_BYTES = 4 * 1024 * 1024


@dataclass
class SourceCheck:
    #: The keys of ``as_json``, in order: the columns of an (empty) listing.
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "name", "url", "status", "error", "follow", "offsite", "dropped", "next_page", "note")

    name: str
    url: str
    status: int | None = None
    error: str | None = None
    follow: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)
    # Links to other hosts that allow_offsite does not cover: the crawl drops them.
    dropped: list[str] = field(default_factory=list)
    next_page: str | None = None
    note: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "url": self.url, "status": self.status, "error": self.error,
                "follow": self.follow, "offsite": self.offsite, "dropped": self.dropped,
                "next_page": self.next_page, "note": self.note}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _robots_allows(url: str, policy: AddressPolicy, timeout: float) -> bool:
    parts = urlsplit(url)
    robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    robots = urllib.robotparser.RobotFileParser(robots_url)
    try:
        got = fetch(robots_url, policy, timeout=timeout, max_bytes=65536,
                    headers={"User-Agent": USER_AGENT})
    except (FetchRefused, FetchFailed):
        return True  # unreachable: Scrapy treats that as allowed too (the page check says why)
    if got.status >= 400:
        return True
    robots.parse(got.body.decode("utf-8", "replace").splitlines())
    return robots.can_fetch(USER_AGENT, url)


def check_source(source: Source, timeout: float = 15.0,
                 policy: AddressPolicy | None = None) -> SourceCheck:
    """Fetch ``source``'s first start URL and list the links it would follow, and the
    links on other hosts that ``allow_offsite`` would drop. Every destination and
    redirect hop is checked like the crawl's (address policy, host rules)."""
    policy = policy or AddressPolicy()
    url = source.start_urls[0]
    check = SourceCheck(source.name, url)
    if source.render:
        check.note = "rendered source: links below come from the static HTML only"
    homes = {_origin(u) for u in source.start_urls}

    def allowed(target: str) -> bool:
        return _origin(target) in homes or source.offsite_allowed(target)

    try:
        if source.obey_robots and not _robots_allows(url, policy, timeout):
            check.error = "robots.txt disallows this URL"
            return check
        got = fetch(url, policy, timeout=timeout, max_bytes=MAX_BYTES,
                    headers={"User-Agent": USER_AGENT}, allow=allowed)
    except (FetchRefused, FetchFailed) as exc:
        check.error = str(exc)
        return check
    check.status = got.status
    if got.status >= 400:
        check.error = f"HTTP {got.status}"
        return check
    try:
        text = got.body.decode(got.charset or "utf-8", "replace")
    except LookupError:
        text = got.body.decode("utf-8", "replace")
    seen: set[str] = set()
    if source.kind == "feed":
        sel = Selector(text=text, type="xml")
        sel.remove_namespaces()
        hrefs = sel.xpath("//item/link/text() | //entry/link/@href").getall()
    else:
        sel = Selector(text=text)
        hrefs = sel.css("a::attr(href)").getall()
    for href in hrefs:
        # The crawl drops fragments (#delete, #copy …): one link, shown once.
        link = urldefrag(urljoin(got.url, href.strip()))[0]
        if link in seen or not link.startswith(("http://", "https://")):
            continue
        seen.add(link)
        if _origin(link) in homes:
            if source.kind == "feed" or source.follows(link):
                check.follow.append(link)
        elif source.offsite_allowed(link):
            check.offsite.append(link)
        else:
            check.dropped.append(link)
    if source.kind == "feed":
        check.follow = check.follow[:50]
    elif source.next_page:
        nxt = sel.css(f"{source.next_page}::attr(href)").get()
        check.next_page = urljoin(got.url, nxt) if nxt else None
    return check
