"""Rendering through Debian's Chromium, mixed with plain requests in one crawl."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.crawler import sites
from tests.crawler.crawling import Sites, run_crawl

SOURCES = """
[[source]]
name = "js-rendered"
kind = "page"
start_urls = ["{M}/js"]
render = true
wait_for = "#out.done"

[[source]]
name = "js-plain"
kind = "page"
start_urls = ["{M}/js"]
"""


@pytest.mark.usefixtures("chromium")
def test_javascript_text_only_when_rendered(mock_sites: Sites, tmp_path: Path) -> None:
    result = run_crawl(tmp_path, SOURCES.format(M=mock_sites.main.base), timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    url = mock_sites.main.url("/js")
    [rendered] = [i for i in result.items if i["source"] == "js-rendered"]
    [plain] = [i for i in result.items if i["source"] == "js-plain"]
    assert rendered["url"] == plain["url"] == url
    assert rendered["rendered"] is True
    assert sites.JS_MARKER in rendered["markers"]
    assert plain["rendered"] is False
    assert sites.JS_MARKER not in plain["markers"]
    assert sites.JS_MARKER not in result.log


HUGE_SOURCES = """
[[source]]
name = "js-huge"
kind = "page"
start_urls = ["{M}/js-huge", "{M}/js"]
render = true
wait_for = "#out.done"
"""


@pytest.mark.usefixtures("chromium")
def test_rendered_page_over_maxsize_is_a_failed_fetch(mock_sites: Sites, tmp_path: Path) -> None:
    """A page whose script builds more text than DOWNLOAD_MAXSIZE is refused with one
    log line, like a plain download over the bound; the crawl goes on."""
    result = run_crawl(tmp_path, HUGE_SOURCES.format(M=mock_sites.main.base), timeout=180,
                       settings={"DOWNLOAD_MAXSIZE": str(256 * 1024)})
    assert result.returncode == 0, result.stderr[-2000:]
    huge, small = mock_sites.main.url("/js-huge"), mock_sites.main.url("/js")
    assert [i["url"] for i in result.items] == [small]
    assert sites.JS_MARKER in result.items[0]["markers"]
    [line] = [ln for ln in result.log.splitlines() if huge in ln]
    assert f"Fetch failed {huge}: too large: rendered page of " in line
    assert "exceeds DOWNLOAD_MAXSIZE (262144 B)" in line
    assert result.stats["leakprint/source/js-huge/errors"] == 1
    assert "Traceback" not in result.log
