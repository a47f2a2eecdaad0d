"""Conditional requests: validators from LEAKPRINT_VALIDATORS, a 304 emits no item."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.crawler import sites
from tests.crawler.crawling import Sites, run_crawl

pytestmark = pytest.mark.slow  # real crawls (conditional requests)

SOURCE = """
[[source]]
name = "paste"
kind = "paste"
start_urls = ["{P}/archive"]
follow = ['^/[A-Za-z0-9]{{8}}$']
raw = "/raw/{{id}}"
next_page = "a[rel=next]"
"""


def test_304_means_unchanged_and_no_item(mock_sites: Sites, tmp_path: Path) -> None:
    known = mock_sites.paste.url("/raw/AbCd1234")
    result = run_crawl(
        tmp_path,
        SOURCE.format(P=mock_sites.paste.base),
        settings={
            "LEAKPRINT_VALIDATORS": "tests.crawler.validators.FixedValidators",
            "TEST_ETAGS": json.dumps({known: sites.etag_of("AbCd1234")}),
        },
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.urls() == {mock_sites.paste.url(f"/raw/{i}") for i in sites.PASTE_IDS[1:]}
    assert f"Unchanged document {known} (304)" in result.log
    assert result.stats["leakprint/unchanged"] == 1
    assert result.stats["leakprint/source/paste/unchanged"] == 1
    assert "leakprint/source/paste/errors" not in result.stats


def test_without_validators_the_middleware_is_off(mock_sites: Sites, tmp_path: Path) -> None:
    result = run_crawl(tmp_path, SOURCE.format(P=mock_sites.paste.base))
    assert len(result.items) == 3
    assert "Disabled crawler.conditional.ConditionalRequestMiddleware" in result.log
