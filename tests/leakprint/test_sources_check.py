"""``sources check``: fragments stripped and each link once (issue 18.5); dropped offsite
links and feed entries named; every fetch and redirect hop under the address policy."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from crawler.addressguard import AddressPolicy
from crawler.patterns import compile_pattern
from crawler.sources import Source
from leakprint.sourcecheck import check_source
from tests.crawler import sites

LOCAL = AddressPolicy.from_values(False, ["127.0.0.1/32"])


def _routes(other: sites.Site) -> Callable[[sites.Site], Callable[..., sites.Reply]]:
    def make(site: sites.Site) -> Callable[..., sites.Reply]:
        def route(path: str, query: dict[str, list[str]]) -> sites.Reply:
            page = {"Content-Type": "text/html; charset=utf-8"}
            if path == "/list":
                return 200, page, sites.html(
                    '<a href="/p/abc">abc</a> <a href="/p/abc#delete">d</a> '
                    '<a href="/p/abc#copy">c</a> <a href="/p/abc#edit">e</a> '
                    '<a href="/p/def#x">def</a> <a href="#top">top</a> '
                    f'<a href="{other.url("/raw/1")}">other</a>')
            if path == "/feed.rss":
                return 200, {"Content-Type": "application/rss+xml"}, (
                    '<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>'
                    f'<item><title>a</title><link>{site.url("/p/abc")}</link></item>'
                    f'<item><title>b</title><link>{other.url("/raw/2")}</link></item>'
                    '</channel></rss>').encode()
            if path == "/to-internal":
                return 302, {"Location": "http://127.0.0.2:9/x"}, b""
            if path == "/to-other":
                return 302, {"Location": other.url("/raw/3")}, b""
            return 404, page, b"no"
        return route
    return make


@pytest.fixture(scope="module")
def web() -> Iterator[tuple[sites.Site, sites.Site]]:
    other = sites.start_site(lambda s: lambda p, q: (200, {}, b"x"))
    main = sites.start_site(_routes(other))
    yield main, other
    sites.stop_site(main)
    sites.stop_site(other)


def _source(kind: str, url: str, follow: tuple[str, ...] = ("^/p/",),
            offsite: tuple[str, ...] = ()) -> Source:
    # Ignored below: kind is the parametrized str, one of the source kinds.
    return Source(name="s", kind=kind, start_urls=(url,),  # type: ignore[arg-type]
                  follow=tuple(compile_pattern(f) for f in follow),
                  allow_offsite=tuple(compile_pattern(o) for o in offsite), obey_robots=False)


def test_fragments_stripped_each_link_once_and_drops_named(
        web: tuple[sites.Site, sites.Site]) -> None:
    main, other = web
    check = check_source(_source("paste", main.url("/list")), policy=LOCAL)
    assert check.error is None and check.status == 200
    assert check.follow == [main.url("/p/abc"), main.url("/p/def")]
    assert check.dropped == [other.url("/raw/1")]
    assert check.offsite == []
    allowed = check_source(_source("paste", main.url("/list"),
                                   offsite=(re.escape(other.base),)), policy=LOCAL)
    assert allowed.offsite == [other.url("/raw/1")] and allowed.dropped == []


def test_feed_entries_on_other_hosts_are_named(web: tuple[sites.Site, sites.Site]) -> None:
    main, other = web
    check = check_source(_source("feed", main.url("/feed.rss"), follow=()), policy=LOCAL)
    assert check.follow == [main.url("/p/abc")]
    assert check.dropped == [other.url("/raw/2")]


def test_address_policy_and_redirect_hops(web: tuple[sites.Site, sites.Site]) -> None:
    main, other = web
    hits = len(other.hits)
    # The host rules allow 127.0.0.2: the address policy is what refuses the hop.
    internal = check_source(_source("page", main.url("/to-internal"),
                                    offsite=(r"^http://127\.0\.0\.2",)), policy=LOCAL)
    assert internal.error == ("destination refused: loopback address 127.0.0.2 refused "
                              "(see allow_private_networks / allowed_networks)")
    offsite = check_source(_source("page", main.url("/to-other")), policy=LOCAL)
    assert offsite.error is not None and offsite.error.startswith(
        f"redirect to {other.url('/raw/3')} refused")
    assert len(other.hits) == hits
    default = check_source(_source("page", main.url("/list")))  # no opt-in: refused
    assert default.error is not None and "loopback address 127.0.0.1 refused" in default.error
