"""``sources check``: fetch each source's first page and show what the crawl would follow.

A plain HTTP fetch of the first start URL (static HTML, robots.txt respected unless the
source opts out); nothing is matched or stored.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from crawler.sources import Source

USER_AGENT = "leakprint (sources check)"
MAX_BYTES = 4 * 1024 * 1024


@dataclass
class SourceCheck:
    name: str
    url: str
    status: int | None = None
    error: str | None = None
    follow: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)
    next_page: str | None = None
    note: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "url": self.url, "status": self.status, "error": self.error,
                "follow": self.follow, "offsite": self.offsite, "next_page": self.next_page,
                "note": self.note}


def _robots_allows(url: str, timeout: float) -> bool:
    parts = urlsplit(url)
    robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    robots = urllib.robotparser.RobotFileParser(robots_url)
    try:
        with urllib.request.urlopen(robots_url, timeout=timeout) as resp:  # noqa: S310
            robots.parse(resp.read(65536).decode("utf-8", "replace").splitlines())
    except (urllib.error.URLError, OSError, ValueError):
        return True  # no robots.txt (or unreachable): Scrapy treats that as allowed too
    return robots.can_fetch(USER_AGENT, url)


def check_source(source: Source, timeout: float = 15.0) -> SourceCheck:
    """Fetch ``source``'s first start URL and list the links it would follow."""
    url = source.start_urls[0]
    check = SourceCheck(source.name, url)
    if source.render:
        check.note = "rendered source: links below come from the static HTML only"
    if source.obey_robots and not _robots_allows(url, timeout):
        check.error = "robots.txt disallows this URL"
        return check
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310
            check.status = resp.status
            body = resp.read(MAX_BYTES)
            ctype = resp.headers.get_content_charset() or "utf-8"
    except urllib.error.HTTPError as exc:
        check.status, check.error = exc.code, f"HTTP {exc.code} {exc.reason}"
        return check
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        check.error = f"cannot fetch: {reason}"
        return check
    text = body.decode(ctype, "replace")
    if source.kind == "feed":
        sel = Selector(text=text, type="xml")
        sel.remove_namespaces()
        links = sel.xpath("//item/link/text() | //entry/link/@href").getall()
        check.follow = [urljoin(url, link.strip()) for link in links][:50]
        return check
    sel = Selector(text=text)
    own = urlsplit(url).netloc
    seen: set[str] = set()
    for href in sel.css("a::attr(href)").getall():
        link = urljoin(url, href.strip())
        if link in seen or not link.startswith(("http://", "https://")):
            continue
        seen.add(link)
        if urlsplit(link).netloc == own:
            if source.follows(link):
                check.follow.append(link)
        elif source.offsite_allowed(link):
            check.offsite.append(link)
    if source.next_page:
        nxt = sel.css(f"{source.next_page}::attr(href)").get()
        check.next_page = urljoin(url, nxt) if nxt else None
    return check
