"""Rendered sources (SPEC 5.1): ``wait_for`` holds the pages whose text is read, not the
listing (which settles on network idle); a selector that never appears is a coverage
error and the page is still read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.crawler import sites
from tests.crawler.crawling import CrawlResult, run_crawl

ITEMS = 6
pytestmark = pytest.mark.usefixtures("chromium")  # marked browser, skipped without it


def _routes(site: sites.Site) -> Callable[..., sites.Reply]:
    def route(path: str, query: dict[str, list[str]]) -> sites.Reply:
        page = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/list":
            # The listing's links are written by a script, a moment after loading.
            links = "".join(f'<a href=\\"/item/{n}\\">{n}</a> ' for n in range(ITEMS))
            return 200, page, sites.html(
                f'<div id="list"></div><script>setTimeout(() => {{'
                f'document.getElementById("list").innerHTML = "{links}";}}, 300);</script>')
        if path.startswith("/item/"):
            n = path.rsplit("/", 1)[-1]
            return 200, page, sites.html(
                f'<pre id="dump">loading</pre><script>setTimeout(() => {{'
                f'const d = document.getElementById("dump");'
                f'd.textContent = "ITEM-RENDERED-{n}"; d.className = "done";}}, 300);</script>')
        if path == "/never":
            return 200, page, sites.html('<pre id="dump">ITEM-RENDERED-static</pre>')
        return 404, page, b"no"
    return route


@pytest.fixture(scope="module")
def site() -> Iterator[sites.Site]:
    s = sites.start_site(_routes)
    yield s
    sites.stop_site(s)


@pytest.fixture(scope="module")
def crawl(site: sites.Site, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    toml = f"""
[[source]]
name = "js-paste"
kind = "paste"
start_urls = ["{site.url('/list')}"]
follow = ["^/item/"]
render = true
wait_for = "#dump.done"
obey_robots = false

[[source]]
name = "missing-selector"
kind = "page"
start_urls = ["{site.url('/never')}"]
render = true
wait_for = "#dump.done"
obey_robots = false
"""
    return run_crawl(tmp_path_factory.mktemp("render"), toml,
                     settings={"LEAKPRINT_WAIT_FOR_TIMEOUT_MS": "3000"}, timeout=240)


def test_every_item_of_a_rendered_paste_source_is_read(crawl: CrawlResult,
                                                      site: sites.Site) -> None:
    items = {i["url"]: i for i in crawl.items if i["source"] == "js-paste"}
    assert set(items) == {site.url(f"/item/{n}") for n in range(ITEMS)}
    for item in items.values():
        assert item["rendered"] is True
        assert "ITEM-RENDERED-" in item["markers"]
        assert "loading" not in item["markers"]  # read after wait_for, not before


def test_a_selector_that_never_appears_is_a_coverage_error(crawl: CrawlResult,
                                                            site: sites.Site) -> None:
    [item] = [i for i in crawl.items if i["source"] == "missing-selector"]
    assert "ITEM-RENDERED-" in item["markers"]  # read as it was, not dropped
    assert f"wait_for '#dump.done' never appeared on {site.url('/never')}" in crawl.log
    assert crawl.stats["leakprint/coverage/wait_for"] == 1


def _etag_routes(site: sites.Site) -> Callable[..., sites.Reply]:
    def route(path: str, query: dict[str, list[str]]) -> sites.Reply:
        page = {"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"',
                "Last-Modified": "Mon, 01 Dec 2025 00:00:00 GMT"}
        return 200, page, sites.html('<pre id="dump">ITEM-RENDERED-etag</pre>')
    return route


def test_rendered_documents_keep_no_validators(tmp_path: Path) -> None:
    """A rendered page's validators are not the plain page's: stored, a later plain
    fetch would be answered 304 on the strength of a DOM it never read."""
    site = sites.start_site(_etag_routes)
    try:
        toml = f"""
[[source]]
name = "r"
kind = "page"
start_urls = ["{site.url('/page')}"]
render = true
obey_robots = false

[[source]]
name = "plain"
kind = "page"
start_urls = ["{site.url('/page')}"]
obey_robots = false
"""
        result = run_crawl(tmp_path, toml, settings={
            "LEAKPRINT_VALIDATORS": "tests.crawler.validators.FixedValidators",
            "TEST_ETAGS": "{}"}, timeout=240)
    finally:
        sites.stop_site(site)
    items = {(i["source"], i["url"]): i for i in result.items}
    assert items[("r", site.url("/page"))]["etag"] is None
    assert items[("plain", site.url("/page"))]["etag"] == '"v1"'
    assert items[("r", site.url("/page"))]["rendered"] is True
