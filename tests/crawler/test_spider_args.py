"""Spider arguments: on-demand URLs, source selection, and one-line configuration errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.crawler.crawling import Sites, run_crawl

pytestmark = pytest.mark.slow  # real crawls

TWO = """
[[source]]
name = "a1"
kind = "page"
start_urls = ["{M}/article/1"]

[[source]]
name = "a2"
kind = "page"
start_urls = ["{M}/article/2"]
"""


def test_source_argument_selects_sources(mock_sites: Sites, tmp_path: Path) -> None:
    result = run_crawl(tmp_path, TWO.format(M=mock_sites.main.base), args={"source": "a2"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.urls() == {mock_sites.main.url("/article/2")}


def test_on_demand_urls_with_depth(mock_sites: Sites, tmp_path: Path) -> None:
    m = mock_sites.main.url
    result = run_crawl(
        tmp_path, None, args={"urls": f"{m('/article/1')},{m('/forum')}", "depth": "1"}
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.urls("on-demand") == {
        m("/article/1"),
        m("/forum"),
        m("/thread/1?page=1"),
        m("/thread/2?page=1"),
    }
    assert f"Fetch failed {m('/about')}: HTTP 404" in result.log


def test_bad_sources_file_fails_with_one_line(tmp_path: Path) -> None:
    bad = '[[source]]\nname = "x"\nkind = "page"\nstart_urls = ["https://a.example/"]\nfolow = 1\n'
    result = run_crawl(tmp_path, bad)
    assert result.returncode != 0
    # The traceback Scrapy prints ends with the one-line message.
    last = (result.log + result.stderr).strip().splitlines()[-1]
    assert last.endswith("sources.toml: source 'x': folow: unknown key")
    assert result.items == []


def test_unknown_source_name_is_an_error(mock_sites: Sites, tmp_path: Path) -> None:
    result = run_crawl(tmp_path, TWO.format(M=mock_sites.main.base), args={"source": "a3"})
    assert result.returncode != 0
    assert "no source named 'a3'" in result.log + result.stderr
