"""Chromium's own requests obey the address policy too (SPEC 10.1).

A rendered page runs the scripts of whoever wrote it; they can ask the browser for
``http://169.254.169.254/`` or an intranet host. scrapy-playwright routes every
request of a page through one handler (``page.route("**")``) and asks
``PLAYWRIGHT_ABORT_REQUEST`` first; this download handler puts the address check
in front of that predicate, so every sub-request (documents, frames, scripts,
XHR/fetch) whose destination is refused is aborted before it is sent. WebSockets do
not pass through ``page.route``: each browser context also routes them
(``context.route_web_socket``), connecting only those whose address is allowed.

Known limit: the browser resolves the name again itself after the check; a name
that answers a public address to the check and a private one to Chromium (DNS
rebinding) is not caught here. docs/threat-model.md says so.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawler.netguard import check_url, policy_from_settings

if TYPE_CHECKING:
    from playwright.async_api import Request as BrowserRequest
    from playwright.async_api import WebSocketRoute
    from scrapy.crawler import Crawler
    from scrapy.spiders import Spider

logger = logging.getLogger(__name__)
# Schemes that never reach the network (inline data, the page's own objects).
_LOCAL_SCHEMES = ("data:", "blob:", "about:")


class GuardedPlaywrightHandler(ScrapyPlaywrightDownloadHandler):  # type: ignore[misc]
    """``DOWNLOAD_HANDLERS`` for http(s): scrapy-playwright with every browser request
    checked against the address policy (plain requests behave as before)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        policy = policy_from_settings(crawler.settings)
        self._policy = policy
        inner: Any = getattr(self, "abort_request", None)
        stats = crawler.stats

        async def abort(request: BrowserRequest) -> bool:
            url = request.url
            if not url.startswith(_LOCAL_SCHEMES):
                reason = await check_url(policy, url, lookup=True)
                if reason:
                    logger.warning("Refused browser request %s: %s", url, reason)
                    if stats is not None:
                        stats.inc_value("leakprint/refused_address")
                        stats.inc_value("leakprint/refused_browser_request")
                    return True
            if inner is None:
                return False
            result: Any = inner(request)
            if hasattr(result, "__await__"):
                result = await result
            return bool(result)

        self.abort_request = abort

    async def _create_browser_context(self, name: str, context_kwargs: dict[str, Any] | None,
                                      spider: Spider | None = None) -> Any:
        wrapper = await super()._create_browser_context(name, context_kwargs, spider)
        policy, stats = self._policy, self.stats

        async def websocket(ws: WebSocketRoute) -> None:
            # Checked as the HTTP request its handshake is (ws: -> http:, wss: -> https:).
            url = ws.url
            reason = await check_url(policy, "http" + url[2:] if url.startswith("ws")
                                     else url, lookup=True)
            if reason:
                logger.warning("Refused browser WebSocket %s: %s", url, reason)
                stats.inc_value("leakprint/refused_address")
                stats.inc_value("leakprint/refused_browser_request")
                await ws.close(code=1008, reason="destination refused")
                return
            ws.connect_to_server()

        await wrapper.context.route_web_socket("**/*", websocket)
        return wrapper
