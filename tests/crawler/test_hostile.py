"""Hostile or awkward pages are read in full or named, never silently dropped (SPEC 10):
HTML nested past the parser's depth limit, dumps served as ``application/octet-stream``
or without a type, binary data under those types, a compression bomb."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Iterator

import pytest

from crawler.binary import sniff_text
from tests.crawler import sites
from tests.crawler.crawling import CrawlResult, run_crawl

DEEP = 2100
# Another host (a closed port on loopback): the feed source does not allow it.
ELSEWHERE = "http://127.0.0.1:9/elsewhere"
CSV = "氏名,電話番号\n山田 花子,090-1234-5678\nOCTET-DUMP-7070\n"


def _routes(site: sites.Site) -> Callable[..., sites.Reply]:
    def route(path: str, query: dict[str, list[str]]) -> sites.Reply:
        if path == "/deep":
            body = "<div>" * DEEP + "<p>DEEP-NEST-2100</p>" + "</div>" * DEEP
            return 200, {"Content-Type": "text/html; charset=utf-8"}, sites.html(body)
        if path == "/dump.csv":
            return 200, {"Content-Type": "application/octet-stream"}, CSV.encode("cp932")
        if path == "/dump-gz":
            return 200, {"Content-Type": "application/octet-stream",
                         "Content-Encoding": "gzip"}, gzip.compress(CSV.encode())
        if path == "/feed.rss":
            return 200, {"Content-Type": "application/rss+xml"}, (
                '<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>'
                f'<item><title>entry</title><link>{ELSEWHERE}</link>'
                '<description>UNTYPED-TEXT-5050 entry text</description></item>'
                '</channel></rss>').encode()
        if path == "/bad.rss":  # an entity declaration: refused, never expanded
            return 200, {"Content-Type": "application/rss+xml"}, (
                b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]><rss>&x;</rss>')
        if path == "/threads":
            return 200, {"Content-Type": "text/html"}, sites.html('<a href="/deep">t</a>')
        if path == "/untyped":
            return 200, {}, b"plain words UNTYPED-TEXT-5050\n"
        if path == "/blob":
            return 200, {"Content-Type": "application/octet-stream"}, os.urandom(4096)
        return 404, {"Content-Type": "text/plain"}, b"no"
    return route


@pytest.fixture(scope="module")
def site() -> Iterator[sites.Site]:
    s = sites.start_site(_routes)
    yield s
    sites.stop_site(s)


@pytest.fixture(scope="module")
def crawl(site: sites.Site, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    urls = ", ".join(f'"{site.url(p)}"' for p in ("/deep", "/dump.csv", "/dump-gz",
                                                 "/untyped", "/blob"))
    toml = f"""
[[source]]
name = "hostile"
kind = "page"
start_urls = [{urls}]
obey_robots = false

[[source]]
name = "thread"
kind = "forum"
start_urls = ["{site.url('/threads')}"]
follow = ["deep"]
obey_robots = false

[[source]]
name = "feed"
kind = "feed"
start_urls = ["{site.url('/feed.rss')}", "{site.url('/bad.rss')}"]
obey_robots = false
"""
    return run_crawl(tmp_path_factory.mktemp("hostile"), toml)


def _markers(crawl: CrawlResult, url: str, source: str = "hostile") -> list[str]:
    [item] = [i for i in crawl.items if i["url"] == url and i["source"] == source]
    return list(item["markers"])


def test_deep_html_is_read_in_full(crawl: CrawlResult, site: sites.Site) -> None:
    assert "DEEP-NEST-2100" in _markers(crawl, site.url("/deep"))
    assert f"Deeply nested page {site.url('/deep')} read without a tree" in crawl.log


def test_deep_forum_page_is_one_post(crawl: CrawlResult, site: sites.Site) -> None:
    assert "DEEP-NEST-2100" in _markers(crawl, site.url("/deep") + "#post-1", "thread")


def test_octet_stream_and_untyped_text_is_scanned(crawl: CrawlResult, site: sites.Site) -> None:
    assert "OCTET-DUMP-7070" in _markers(crawl, site.url("/dump.csv"))
    assert "OCTET-DUMP-7070" in _markers(crawl, site.url("/dump-gz"))  # sniffed after gunzip
    assert "UNTYPED-TEXT-5050" in _markers(crawl, site.url("/untyped"))
    assert crawl.stats["leakprint/sniffed_text"] == 3


def test_octet_stream_binary_is_a_named_coverage_error(crawl: CrawlResult,
                                                       site: sites.Site) -> None:
    assert site.url("/blob") not in {i["url"] for i in crawl.items}
    assert f"Skipped binary document {site.url('/blob')} (application/octet-stream)" \
        in crawl.log
    assert crawl.stats["leakprint/coverage/binary"] == 1


@pytest.mark.parametrize(("body", "encoding"), [
    (b"a,b\n1,2\n", "utf-8"),
    ("氏名,電話\n".encode("cp932"), "cp932"),
    ("氏名,電話\n".encode("euc_jp"), "cp932"),  # CP932 or EUC-JP: either reads as text
    ("text".encode("utf-16"), "utf-16"),
    (b"\x00\x01\x02binary", None),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), None),
])
def test_sniff_text(body: bytes, encoding: str | None) -> None:
    assert sniff_text(body) in ({encoding} if encoding != "cp932" else {"cp932", "euc_jp"})


def test_feed_entry_linking_elsewhere_is_said(crawl: CrawlResult) -> None:
    """The entry's own text is read; its page on a host ``allow_offsite`` does not cover
    is not fetched, and that is a coverage error, not silence."""
    assert "UNTYPED-TEXT-5050" in _markers(crawl, ELSEWHERE + "#feed-entry", "feed")
    assert f"Feed entry {ELSEWHERE} links to a host allow_offsite does not cover" in crawl.log
    assert crawl.stats["leakprint/coverage/offsite_dropped"] == 1
    assert f"Fetch failed {ELSEWHERE}" not in crawl.log  # never fetched


def test_unreadable_feed_is_a_coverage_error(crawl: CrawlResult, site: sites.Site) -> None:
    assert f"Unreadable feed {site.url('/bad.rss')}" in crawl.log
    assert crawl.stats["leakprint/coverage/parse"] == 1
