"""robots.txt holds for every request queued while it is being fetched.

Scrapy 2.19's own middleware hands the parsed robots.txt only to the first waiting
request (crawler/robots.py); with several start URLs per host the others slipped through.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.crawler.crawling import Sites, run_crawl

pytestmark = pytest.mark.slow  # a real crawl


def test_no_disallowed_request_reaches_the_server(mock_sites: Sites, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    paths = [f"/private/{tag}-{n}" for n in range(12)]
    urls = ", ".join(f'"{mock_sites.main.url(p)}"' for p in paths)
    toml = (
        f'[[source]]\nname = "many"\nkind = "page"\n'
        f'start_urls = [{urls}, "{mock_sites.main.url("/article/9")}"]\n'
    )
    result = run_crawl(tmp_path, toml, settings={"CONCURRENT_REQUESTS_PER_DOMAIN": "8"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert not [h for h in mock_sites.main.hits if tag in h]
    assert result.log.count("Forbidden by robots.txt") == 12
    assert result.urls() == {mock_sites.main.url("/article/9")}
