"""End to end (SPEC 10.1): with ``allowed_networks = 127.0.0.1/32`` a followed link, a
redirect hop and a Chromium sub-request to 127.0.0.2 are refused while 127.0.0.1 is
served; redirects obey ``allow_offsite`` on every hop. 127.0.0.2 is loopback too: a
server listens there to prove that nothing arrives, and nothing leaves the machine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.crawler import sites
from tests.crawler.crawling import CrawlResult, run_crawl

SERVED = "SERVED-OK-3141"


def _other_routes(site: sites.Site) -> Callable[..., sites.Reply]:
    def route(path: str, query: dict[str, list[str]]) -> sites.Reply:
        return 200, {"Content-Type": "text/plain"}, b"INTERNAL-SECRET"
    return route


Route = Callable[..., sites.Reply]


def _main_routes(other: sites.Site, paste: sites.Site) -> Callable[[sites.Site], Route]:
    def make(site: sites.Site) -> Callable[..., sites.Reply]:
        def route(path: str, query: dict[str, list[str]]) -> sites.Reply:
            page = {"Content-Type": "text/html; charset=utf-8"}
            if path == "/start":
                return 200, page, sites.html(
                    f'<a href="/ok">ok</a> <a href="{other.url("/followed")}">internal</a>')
            if path == "/ok":
                return 200, page, sites.html(f"<p>{SERVED}</p>")
            if path == "/redirect-internal":
                return 302, {"Location": other.url("/hop")}, b""
            if path == "/redirect-offsite":
                return 302, {"Location": paste.url("/elsewhere")}, b""
            if path == "/meta-refresh":
                return 200, page, sites.html("x", head='<meta http-equiv="refresh" '
                                             f'content="0; url={paste.url("/refreshed")}">')
            if path == "/loop":
                return 302, {"Location": "/loop"}, b""
            if path == "/rendered":
                return 200, page, sites.html(
                    f'<script src="{other.url("/script.js")}"></script>'
                    f'<iframe src="{other.url("/frame")}"></iframe>'
                    f'<div id="out"></div><script>'
                    f'document.getElementById("out").textContent = "{sites.JS_MARKER}";'
                    f'fetch("{other.url("/xhr")}").catch(() => null);'
                    f'try {{ new WebSocket("{other.url("/ws").replace("http", "ws", 1)}"); }}'
                    f' catch (e) {{}}</script>')
            return 404, {"Content-Type": "text/plain"}, b"no"
        return route
    return make


@pytest.fixture(scope="module")
def three_sites() -> Iterator[tuple[sites.Site, sites.Site, sites.Site]]:
    other = sites.start_site(_other_routes, host="127.0.0.2")
    paste = sites.start_site(_other_routes)
    main = sites.start_site(_main_routes(other, paste))
    yield main, other, paste
    for s in (main, other, paste):
        sites.stop_site(s)


@pytest.fixture(scope="module")
def crawl(three_sites: tuple[sites.Site, sites.Site, sites.Site],
          tmp_path_factory: pytest.TempPathFactory, chromium: Path) -> CrawlResult:
    # One of its sources is rendered: the crawl needs Chromium (marked browser).
    main, _, _ = three_sites
    toml = f"""
[[source]]
name = "guarded"
kind = "page"
start_urls = ["{main.url('/start')}", "{main.url('/redirect-internal')}"]
follow = ["."]
max_depth = 1
obey_robots = false
# The host rules allow 127.0.0.2: only the address guard stands in the way.
allow_offsite = ["^http://127\\\\.0\\\\.0\\\\.2"]

[[source]]
name = "strict"
kind = "page"
start_urls = ["{main.url('/redirect-offsite')}", "{main.url('/loop')}",
              "{main.url('/meta-refresh')}"]
obey_robots = false

[[source]]
name = "rendered"
kind = "page"
start_urls = ["{main.url('/rendered')}"]
render = true
obey_robots = false
"""
    return run_crawl(tmp_path_factory.mktemp("guard"), toml, timeout=180)


def test_loopback_allowed_address_is_served(crawl: CrawlResult,
                                            three_sites: tuple[sites.Site, ...]) -> None:
    main = three_sites[0]
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    assert main.url("/ok") in crawl.urls("guarded")
    [rendered] = [i for i in crawl.items if i["source"] == "rendered"]
    assert sites.JS_MARKER in rendered["markers"]


def test_nothing_reaches_the_refused_address(crawl: CrawlResult,
                                             three_sites: tuple[sites.Site, ...]) -> None:
    other = three_sites[1]
    assert other.hits == []
    assert not [i for i in crawl.items if "127.0.0.2" in i["url"]]
    # The followed link and the redirect hop, each named on its own line.
    assert f"Refused {other.url('/followed')}: destination refused: loopback address " \
        "127.0.0.2 refused" in crawl.log
    assert f"Refused {other.url('/hop')}: destination refused" in crawl.log
    assert crawl.stats["leakprint/coverage/refused_address"] == 2


def test_browser_sub_requests_are_refused(crawl: CrawlResult,
                                          three_sites: tuple[sites.Site, ...]) -> None:
    other = three_sites[1]
    # The script, the frame and the fetch() of the rendered page.
    assert crawl.stats["leakprint/refused_browser_request"] >= 2
    assert f"Refused browser request {other.url('/script.js')}" in crawl.log
    # WebSockets bypass page.route: their own route refuses the handshake.
    assert f"Refused browser WebSocket {other.url('/ws').replace('http', 'ws', 1)}" in crawl.log
    assert other.hits == []


def test_redirects_obey_allow_offsite_and_loops_are_named(
        crawl: CrawlResult, three_sites: tuple[sites.Site, ...]) -> None:
    main, _, paste = three_sites
    assert paste.hits == []  # a 302 to a host the source does not allow is not followed
    assert f"Refused {main.url('/redirect-offsite')}: redirect to {paste.url('/elsewhere')} " \
        "refused" in crawl.log
    assert f"Refused {main.url('/meta-refresh')}: redirect to {paste.url('/refreshed')} " \
        "refused" in crawl.log
    assert crawl.stats["leakprint/coverage/refused_redirect"] == 2
    assert f"Refused {main.url('/loop')}: redirect loop" in crawl.log
    assert crawl.stats["leakprint/coverage/redirect_loop"] == 1


@pytest.mark.slow  # a crawl of its own
def test_without_opt_in_even_127_0_0_1_is_refused(
        three_sites: tuple[sites.Site, ...], tmp_path: Path) -> None:
    main = three_sites[0]
    hits = len(main.hits)
    by_name = main.url("/ok").replace("127.0.0.1", "localhost")
    toml = f"""
[[source]]
name = "plain"
kind = "page"
start_urls = ["{main.url('/ok')}", "{by_name}"]
obey_robots = false
"""
    result = run_crawl(tmp_path, toml, settings={"LEAKPRINT_ALLOWED_NETWORKS": ""})
    assert result.items == []
    assert len(main.hits) == hits
    assert f"Refused {main.url('/ok')}: destination refused: loopback address 127.0.0.1" \
        in result.log
    # A host name is checked at resolution (the resolver), the address it gives refused.
    assert f"Refused {by_name}: destination refused: localhost: loopback address" in result.log
    assert result.stats["leakprint/coverage/refused_address"] == 2


def test_resolver_refuses_what_the_policy_refuses() -> None:
    """The backstop where Scrapy connects: a name resolving to a refused address fails
    as a lookup error (a name that answered differently to the middleware gains nothing)."""
    from crawler.addressguard import AddressPolicy
    from crawler.netguard import GuardedResolver, ResolvedAddressRefused

    # Ignored below: the wrapped resolver is never called in this test.
    resolver = GuardedResolver(object(), 0, 5.0,  # type: ignore[arg-type]
                               AddressPolicy.from_values(False, ["127.0.0.1/32"]))
    assert resolver._check("127.0.0.1", "good.test") == "127.0.0.1"
    assert resolver._check("93.184.215.14", "public.test") == "93.184.215.14"
    for address in ("127.0.0.2", "169.254.169.254", "10.0.0.1"):
        with pytest.raises(ResolvedAddressRefused, match="destination refused"):
            resolver._check(address, "evil.test")
