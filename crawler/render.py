"""Request meta for pages rendered through Chromium (scrapy-playwright)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy_playwright.page import PageMethod

if TYPE_CHECKING:
    from playwright.async_api import Request as BrowserRequest

_HEAVY = frozenset({"image", "media", "font"})


def abort_heavy_resources(request: BrowserRequest) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST``: the text never needs images, media or fonts."""
    return request.resource_type in _HEAVY


def render_meta(wait_for: str | None, timeout_ms: int) -> dict[str, Any]:
    """Meta that sends a request through the browser, waiting for ``wait_for`` if given."""
    methods = []
    if wait_for:
        methods.append(PageMethod("wait_for_selector", wait_for, timeout=timeout_ms))
    return {"playwright": True, "playwright_page_methods": methods}
