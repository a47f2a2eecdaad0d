"""Rendering through Debian's Chromium, mixed with plain requests in one crawl."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.crawler import sites
from tests.crawler.conftest import Sites, run_crawl

CHROMIUM = Path("/usr/bin/chromium")

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


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"
)
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
