"""Application tests crawl local sites on 127.0.0.1: they allow that address only."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _allow_test_sites(monkeypatch: pytest.MonkeyPatch) -> None:
    # Inherited by the crawl processes the CLI starts; 127.0.0.2 and the rest of the
    # non-public ranges stay refused (SPEC 10.1).
    monkeypatch.setenv("LEAKPRINT_ALLOWED_NETWORKS", "127.0.0.1/32")
