"""Request meta for pages rendered through Chromium (scrapy-playwright).

Two kinds of rendered pages (SPEC 5.1):

* pages whose text is read (paste items, thread pages, single pages): held until
  the source's ``wait_for`` selector is on the page. A selector that never
  appears is not a failed fetch: the page is read as it is, and the miss is a
  coverage error (``wait_for``), never a silent zero;
* listing pages (a paste archive, a forum's thread list), which are only mined
  for links: ``wait_for`` (an item's selector) is not theirs to wait for; they are
  held until the network is idle, so links written by scripts are there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from playwright.async_api import TimeoutError as BrowserTimeout
from scrapy_playwright.page import PageMethod

if TYPE_CHECKING:
    from playwright.async_api import Page
    from playwright.async_api import Request as BrowserRequest

_HEAVY = frozenset({"image", "media", "font"})
WAIT_META = "leakprint_wait_for"


def abort_heavy_resources(request: BrowserRequest) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST``: the text never needs images, media or fonts."""
    return request.resource_type in _HEAVY


async def wait_for_selector(page: Page, selector: str, timeout_ms: int) -> bool:
    """Wait for ``selector``; False (not an error) when it never appears."""
    try:
        await page.wait_for_selector(selector, timeout=timeout_ms)
    except BrowserTimeout:
        return False
    return True


async def settle(page: Page, timeout_ms: int) -> bool:
    """Wait until the network is idle (scripts have written their links); False when
    it never gets idle within the timeout (the page is read as it is then)."""
    try:
        await page.wait_for_load_state("networkidle", timeout=timeout_ms)
    except BrowserTimeout:
        return False
    return True


def render_meta(wait_for: str | None, timeout_ms: int, *, listing: bool = False
                ) -> dict[str, Any]:
    """Meta that sends a request through the browser: a listing settles on network
    idle; a page that is read waits for ``wait_for`` if given."""
    methods = []
    meta: dict[str, Any] = {"playwright": True}
    if listing:
        methods.append(PageMethod(settle, timeout_ms))
    elif wait_for:
        methods.append(PageMethod(wait_for_selector, wait_for, timeout_ms))
        meta[WAIT_META] = wait_for
    meta["playwright_page_methods"] = methods
    return meta


def selector_missed(meta: dict[str, Any]) -> str | None:
    """The ``wait_for`` selector of a rendered response's request if it never appeared."""
    selector = meta.get(WAIT_META)
    if not selector:
        return None
    for method in meta.get("playwright_page_methods") or ():
        if getattr(method, "method", None) is wait_for_selector and method.result is False:
            return str(selector)
    return None
