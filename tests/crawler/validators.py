"""Test validators provider for ConditionalRequestMiddleware: ETags from ``TEST_ETAGS``."""

from __future__ import annotations

from typing import Any


class FixedValidators:
    def __init__(self, etags: dict[str, str]) -> None:
        self.etags = etags

    @classmethod
    def from_crawler(cls, crawler: Any) -> FixedValidators:
        return cls(crawler.settings.getdict("TEST_ETAGS"))

    def get(self, url: str) -> tuple[str | None, str | None] | None:
        etag = self.etags.get(url)
        return (etag, None) if etag else None
