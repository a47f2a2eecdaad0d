"""Unit tests of the small crawler components (no crawl)."""

from __future__ import annotations

import logging

import pytest
from parsel import Selector
from scrapy.exceptions import CannotResolveHostError, DownloadTimeoutError
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.settings import Settings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.addon import PipelineAddon
from crawler.binary import is_binary
from crawler.encoding import encoding_hint, guess_encoding, with_best_encoding
from crawler.extract import selected_texts, visible_text
from crawler.feeds import FeedError, parse_feed
from crawler.items import DocumentItem
from crawler.logformatter import QuietLogFormatter
from crawler.spiders.base import failure_reason
from tests.crawler.collect import JsonLinesCollector

SECRET = "yamada-090-1234-5678"


def _item() -> DocumentItem:
    return DocumentItem(
        source="s",
        url="https://a.example/x",
        body=SECRET.encode(),
        content_type="text/plain",
        encoding_hint=None,
        etag=None,
        last_modified=None,
        fetched_at="2026-01-01T00:00:00+00:00",
        rendered=False,
        text=SECRET,
    )


def test_item_repr_leaves_out_body_and_text() -> None:
    assert SECRET not in repr(_item())
    assert "https://a.example/x" in repr(_item())


@pytest.mark.parametrize("method", ["scraped", "dropped", "item_error"])
def test_log_formatter_names_the_url_only(method: str) -> None:
    fmt = QuietLogFormatter()
    args: tuple[object, ...] = (_item(), None, None)
    if method != "scraped":
        args = (_item(), ValueError("boom"), None, None)
    result = getattr(fmt, method)(*args)
    message = result["msg"] % result["args"]
    assert "https://a.example/x" in message
    assert SECRET not in message
    assert result["level"] in (logging.DEBUG, logging.INFO, logging.ERROR)


def test_visible_text_skips_scripts_and_keeps_blocks_apart() -> None:
    page = Selector(
        text="<html><head><title>T</title><style>p{}</style></head><body>"
        "<p>a<b>090</b>-1234</p><!-- hidden --><script>var s='x'</script>"
        "<table><tr><td>100-0001</td><td>tokyo</td></tr></table><pre>l1\nl2</pre></body></html>"
    )
    # A table row is one line (cells tab-separated); a blank line around each region.
    assert visible_text(page) == "a090-1234\n\n100-0001\ttokyo\n\nl1\nl2"
    assert selected_texts(page, "td, pre") == ["100-0001", "tokyo", "l1\nl2"]


def test_feeds_rss_and_atom() -> None:
    rss = (
        b'<rss version="2.0"><channel><item><title>T</title><link>http://x/1</link>'
        b"<guid>g1</guid><description>&lt;p&gt;a&lt;/p&gt;&lt;p&gt;b&lt;/p&gt;</description>"
        b"</item></channel></rss>"
    )
    [entry] = parse_feed(rss)
    assert (entry.link, entry.entry_id, entry.text) == ("http://x/1", "g1", "T\na\nb")
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>urn:1</id>'
        b'<link rel="self" href="http://x/self"/><link href="http://x/2"/>'
        b"<summary>plain</summary></entry></feed>"
    )
    [entry] = parse_feed(atom)
    assert (entry.link, entry.text) == ("http://x/2", "plain")


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<rss><channel><item><title>&x;</title></item></channel></rss>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<rss><channel><item><title>&b;</title></item></channel></rss>",
        b"<html><body>not a feed</body></html>",
        b"<rss><channel><item>",
    ],
)
def test_unsafe_or_broken_feeds_are_refused(body: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(body)


@pytest.mark.parametrize(
    ("mtype", "binary"),
    [
        ("image/png", True),
        ("video/mp4", True),
        # Sniffed instead (crawler.binary.SniffMiddleware): dumps are served this way.
        ("application/octet-stream", False),
        ("application/zip", True),
        ("application/pdf", True),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", True),
        ("text/html", False),
        ("text/plain", False),
        ("application/rss+xml", False),
        ("text/csv", False),
        ("", False),
    ],
)
def test_binary_types(mtype: str, binary: bool) -> None:
    assert is_binary(mtype) is binary


def test_encoding_hint_and_guess() -> None:
    jp = "顧客情報の一覧".encode("euc_jp")
    with_header = TextResponse(
        "http://x/", body=jp, headers={"Content-Type": "text/html; charset=EUC-JP"}
    )
    assert encoding_hint(with_header) == "euc-jp"
    meta = HtmlResponse(
        "http://x/", body=b'<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
    )
    assert encoding_hint(meta) == "shift_jis"
    bare = HtmlResponse("http://x/", body=b"<p>" + jp + b"</p>")
    assert encoding_hint(bare) is None
    assert guess_encoding(jp) == "euc_jp"
    assert guess_encoding("顧客情報の一覧".encode("cp932")) == "cp932"
    assert guess_encoding(b"plain") == "utf-8"
    decoded = with_best_encoding(bare)
    assert isinstance(decoded, TextResponse)
    assert "顧客情報の一覧" in decoded.text
    assert encoding_hint(Response("http://x/", body=b"\x00")) is None


def test_pipeline_addon_adds_the_named_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEAKPRINT_PIPELINE", raising=False)
    settings = Settings({"LEAKPRINT_PIPELINE": "tests.crawler.collect.JsonLinesCollector"})
    PipelineAddon().update_settings(settings)
    assert settings.getdict("ITEM_PIPELINES") == {JsonLinesCollector: 300}


def test_pipeline_addon_env_fallback_and_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    monkeypatch.delenv("LEAKPRINT_PIPELINE", raising=False)
    PipelineAddon().update_settings(settings)
    assert settings.getdict("ITEM_PIPELINES") == {}
    monkeypatch.setenv("LEAKPRINT_PIPELINE", "tests.crawler.collect.JsonLinesCollector")
    PipelineAddon().update_settings(settings)
    assert settings.getdict("ITEM_PIPELINES") == {JsonLinesCollector: 300}


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (CannotResolveHostError("leak.invalid"), "DNS lookup failed: leak.invalid"),
        (DownloadTimeoutError("took longer than 2.0 seconds."), "timeout: took longer"),
        (HttpError(Response("http://x/", status=404), "Ignoring"), "HTTP 404"),
        (RuntimeError("odd\nthing"), "RuntimeError: odd thing"),
    ],
)
def test_failure_reasons_are_one_line(exc: Exception, reason: str) -> None:
    # Twisted's Failure.__init__ carries no annotations.
    failure = Failure(exc)  # type: ignore[no-untyped-call]
    assert failure_reason(failure).startswith(reason)
