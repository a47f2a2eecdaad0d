"""One real crawl of every plain-HTTP source kind against the mock sites.

The crawl runs once per module (``scrapy crawl sources`` in a subprocess, at DEBUG
so that a logged item would show); each test asserts on part of its output.
"""

from __future__ import annotations

import hashlib

import pytest

from tests.crawler import sites
from tests.crawler.crawling import REPO, CrawlResult, Sites, run_crawl

SOURCES = """
[[source]]
name = "paste"
kind = "paste"
start_urls = ["{P}/archive"]
follow = ['^/[A-Za-z0-9]{{8}}$']
raw = "/raw/{{id}}"
next_page = "a[rel=next]"

[[source]]
name = "paste-html"
kind = "paste"
start_urls = ["{P}/archive"]
follow = ['^/[A-Za-z0-9]{{8}}$']
content = "pre.paste"
next_page = "a[rel=next]"

[[source]]
name = "paste-budget"
kind = "paste"
start_urls = ["{P}/archive"]
follow = ['^/[A-Za-z0-9]{{8}}$']
next_page = "a[rel=next]"
max_pages = 2

[[source]]
name = "forum"
kind = "forum"
start_urls = ["{M}/forum"]
follow = ['^/thread/\\d+']
content = ".post-body"
next_page = "a[rel=next]"
allow_offsite = ['^{P_RE}/raw/']

[[source]]
name = "forum-closed"
kind = "forum"
start_urls = ["{M}/forum"]
follow = ['^/thread/\\d+']
content = ".post-body"
next_page = "a[rel=next]"
allow_offsite = ['^{P_RE}/nothing/']

[[source]]
name = "feeds"
kind = "feed"
start_urls = ["{M}/feed.rss", "{M}/feed.atom"]

[[source]]
name = "pages"
kind = "page"
start_urls = ["{M}/js", "{M}/sjis-header", "{M}/sjis-meta", "{M}/eucjp-header",
              "{M}/eucjp-bare", "{M}/private/secret"]

[[source]]
name = "impolite"
kind = "page"
start_urls = ["{M}/private/secret"]
obey_robots = false

[[source]]
name = "errors"
kind = "page"
start_urls = ["{M}/missing", "{M}/slow", "{M}/huge", "{M}/image.png", "{M}/bomb",
              "{REFUSED}", "{M}/article/2"]
"""


@pytest.fixture(scope="module")
def crawl(mock_sites: Sites, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    toml = SOURCES.format(
        P=mock_sites.paste.base,
        M=mock_sites.main.base,
        P_RE=mock_sites.paste.base.replace(".", "\\."),
        REFUSED=sites.closed_port_url(),
    )
    return run_crawl(
        tmp_path_factory.mktemp("crawl"),
        toml,
        settings={
            "LOG_LEVEL": "DEBUG",
            "DOWNLOAD_TIMEOUT": "2",
            "DOWNLOAD_MAXSIZE": str(256 * 1024),
            "DOWNLOAD_WARNSIZE": str(128 * 1024),
        },
    )


def test_crawl_finishes_cleanly(crawl: CrawlResult) -> None:
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    assert crawl.stats.get("leakprint/source/errors/documents") == 1
    # Scrapy logs its own traceback for the unreachable host's robots.txt; ours never raise.
    assert f'File "{REPO / "crawler"}' not in crawl.log
    assert "Spider error" not in crawl.log


def _items(crawl: CrawlResult, source: str) -> dict[str, dict[str, object]]:
    return {i["url"]: i for i in crawl.items if i["source"] == source}


def test_paste_listing_pagination_and_raw_endpoint(crawl: CrawlResult, mock_sites: Sites) -> None:
    items = _items(crawl, "paste")
    assert set(items) == {mock_sites.paste.url(f"/raw/{i}") for i in sites.PASTE_IDS}
    planted = items[mock_sites.paste.url("/raw/AbCd1234")]
    assert planted["markers"] == [sites.PLANTED]
    assert planted["content_type"] == "text/plain; charset=utf-8"
    assert planted["size"] == len(sites.paste_text("AbCd1234").encode())
    assert planted["etag"] == sites.etag_of("AbCd1234")


def test_paste_item_pages_use_content_selectors(crawl: CrawlResult, mock_sites: Sites) -> None:
    items = _items(crawl, "paste-html")
    assert set(items) == {mock_sites.paste.url(f"/{i}") for i in sites.PASTE_IDS}
    expected = sites.paste_text("AbCd1234").strip()
    assert items[mock_sites.paste.url("/AbCd1234")]["text_sha256"] == _sha(expected)


def test_max_pages_bounds_a_source(crawl: CrawlResult) -> None:
    # The listing plus one item page: the budget of 2 is spent.
    assert len(_items(crawl, "paste-budget")) == 1
    assert crawl.stats["leakprint/source/paste-budget/budget_exhausted"] >= 1
    assert "Source paste-budget reached max_pages (2)" in crawl.log


def test_forum_posts_are_separate_documents(crawl: CrawlResult, mock_sites: Sites) -> None:
    posts = {u for u in _items(crawl, "forum") if "#post-" in u}
    expected = {
        mock_sites.main.url(f"/thread/{t}?page={p}#post-{n}")
        for t in (1, 2)
        for p in (1, 2, 3)
        for n in (1, 2)
    }
    assert posts == expected
    one = _items(crawl, "forum")[mock_sites.main.url("/thread/1?page=2#post-1")]
    assert one["text_sha256"] == _sha(f"{sites.POST_MARKER}1-2-1 hello")
    assert one["content_type"] == "text/plain; charset=utf-8"


def test_offsite_link_in_post_followed_when_allowed(crawl: CrawlResult, mock_sites: Sites) -> None:
    items = _items(crawl, "forum")
    dump = items[mock_sites.paste.url("/raw/XyZ98765")]
    assert dump["markers"] == [sites.OFFSITE_MARKER]
    # The other offsite link in the same post does not match allow_offsite.
    assert mock_sites.paste.url("/elsewhere") not in items


def test_offsite_link_not_followed_when_not_allowed(crawl: CrawlResult, mock_sites: Sites) -> None:
    items = _items(crawl, "forum-closed")
    assert len([u for u in items if "#post-" in u]) == 12
    assert not [u for u in items if u.startswith(mock_sites.paste.base)]


def test_feed_entries_and_linked_pages(crawl: CrawlResult, mock_sites: Sites) -> None:
    items = _items(crawl, "feeds")
    m = mock_sites.main.url
    assert set(items) == {
        m("/article/1#feed-entry"),
        m("/article/2#feed-entry"),
        m("/article/3#feed-entry"),
        m("/article/1"),
        m("/article/2"),
        m("/article/3"),
    }
    assert items[m("/article/1#feed-entry")]["markers"] == ["RSS-ENTRY-1", "RSS-DESC-1"]
    assert items[m("/article/3#feed-entry")]["markers"] == ["ATOM-CONTENT-3"]
    # Linked pages give visible text: script bodies are left out.
    assert items[m("/article/1")]["markers"] == ["ARTICLE-PAGE-1"]


def test_plain_request_does_not_run_javascript(crawl: CrawlResult, mock_sites: Sites) -> None:
    page = _items(crawl, "pages")[mock_sites.main.url("/js")]
    assert page["rendered"] is False
    assert page["markers"] == ["loading"]


@pytest.mark.parametrize(
    ("path", "hint"),
    [
        ("/sjis-header", "shift_jis"),
        ("/sjis-meta", "shift_jis"),
        ("/eucjp-header", "euc-jp"),
        ("/eucjp-bare", None),
    ],
)
def test_japanese_encodings_arrive_as_bytes_with_hint(
    crawl: CrawlResult, mock_sites: Sites, path: str, hint: str | None
) -> None:
    item = _items(crawl, "pages")[mock_sites.main.url(path)]
    assert item["body_sha256"] == hashlib.sha256(sites.encoded_body(path)).hexdigest()
    assert item["encoding_hint"] == hint
    # The convenience text is decoded right even when nothing is declared.
    assert item["markers"] == [sites.JP_TEXT]


def test_robots_txt_is_obeyed_unless_source_opts_out(crawl: CrawlResult, mock_sites: Sites) -> None:
    secret = mock_sites.main.url("/private/secret")
    assert secret not in _items(crawl, "pages")
    assert f"Skipped {secret}: Forbidden by robots.txt" in crawl.log
    assert secret in _items(crawl, "impolite")


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("/missing", "Fetch failed {url}: HTTP 404"),
        ("/slow", "Fetch failed {url}: timeout"),
        ("/huge", "Fetch failed {url}: cancelled: Expected to receive 1048576 bytes"),
        ("/image.png", "Skipped binary document {url} (image/png)"),
        # A compression bomb is a refusal, named as such (issue 19 point 8).
        ("/bomb", "Refused {url}: Ignored response"),
    ],
)
def test_bad_documents_give_one_clear_line(
    crawl: CrawlResult, mock_sites: Sites, path: str, line: str
) -> None:
    url = mock_sites.main.url(path)
    assert line.format(url=url) in crawl.log
    assert url not in _items(crawl, "errors")


def test_bomb_refused_during_decompression(crawl: CrawlResult, mock_sites: Sites) -> None:
    assert "exceeded DOWNLOAD_MAXSIZE (262144 B) during decompression" in crawl.log


def test_unreachable_host_is_logged_and_the_rest_finishes(crawl: CrawlResult) -> None:
    assert "connection refused" in crawl.log
    assert crawl.stats["leakprint/source/errors/errors"] == 4  # 404, timeout, huge, refused
    assert crawl.stats["leakprint/source/errors/skipped"] == 2  # binary, bomb
    assert crawl.stats["leakprint/source/errors/binary"] == 1
    assert "Spider error" not in crawl.log


def test_coverage_stats_per_source(crawl: CrawlResult) -> None:
    assert crawl.stats["leakprint/source/paste/pages"] == 5  # 2 listing pages + 3 raw
    assert crawl.stats["leakprint/source/paste/documents"] == 3
    assert crawl.stats["leakprint/source/paste/bytes"] > 0


def test_document_text_never_in_the_log(crawl: CrawlResult) -> None:
    assert any(sites.PLANTED in i["markers"] for i in crawl.items)
    assert "Scraped document" in crawl.log  # DEBUG is on: items would show
    for secret in (sites.PLANTED, sites.JP_TEXT, sites.POST_MARKER, "yamada"):
        assert secret not in crawl.log


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
