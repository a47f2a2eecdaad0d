"""Fixtures: the mock sites (session); the crawl runner is in ``crawling.py``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.crawler import sites
from tests.crawler.crawling import Sites


@pytest.fixture(scope="session")
def mock_sites() -> Iterator[Sites]:
    paste = sites.start_site(sites.paste_routes)
    main = sites.start_site(lambda site: sites.main_routes(site, paste))
    yield Sites(main, paste)
    sites.stop_site(main)
    sites.stop_site(paste)
