"""Scrapy settings of the crawler project (SPEC 5.2; stack.md 4 for Playwright).

Settings the application passes with ``-s``:

``LEAKPRINT_PIPELINE``    dotted path of the item pipeline, added at order 300
``LEAKPRINT_VALIDATORS``  dotted path of the ETag/Last-Modified provider
``LEAKPRINT_WAIT_FOR_TIMEOUT_MS``  how long a rendered page may take to show ``wait_for``
``LEAKPRINT_ALLOW_PRIVATE_NETWORKS``  1: any destination address may be reached
``LEAKPRINT_ALLOWED_NETWORKS``  comma-separated CIDRs of non-public addresses allowed
    (both default to the environment variables of the same names; SPEC 10.1)

``LEAKPRINT_FLEET``  1: one of several workers sharing a Redis frontier (crawler/fleet)

``LEAKPRINT_CHROMIUM`` in the environment overrides the Chromium executable.
"""

from __future__ import annotations

import os

BOT_NAME = "leakprint"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

ADDONS = {"crawler.addon.PipelineAddon": 0, "crawler.fleet.addon.FleetAddon": 0}
ITEM_PIPELINES: dict[str, int] = {}
LEAKPRINT_PIPELINE = None
LEAKPRINT_VALIDATORS = None
LEAKPRINT_WAIT_FOR_TIMEOUT_MS = 10_000

# Politeness and bounds.
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Scrapy starts this many tasks for the output of every response; a page gives one
# document and its links, and 100 (the default) cost the reactor ~0.7 ms a page.
CONCURRENT_ITEMS = 16
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
# Depth is bounded per source by the spider (pagination must not count as depth).
DEPTH_LIMIT = 0

# Hardening: no bodies at rest, no control ports, no items in the log.
HTTPCACHE_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
COOKIES_ENABLED = False
LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawler.logformatter.QuietLogFormatter"

DOWNLOADER_MIDDLEWARES = {
    # First: a request to a refused address (SPEC 10.1) goes nowhere, not even robots.txt.
    "crawler.netguard.AddressGuardMiddleware": 50,
    # Redirect hops obey the source's host rules (allow_offsite), like links.
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.redirects.SourceRedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.redirects.SourceMetaRefreshMiddleware": 580,
    # Scrapy 2.19's lets requests through while robots.txt is in flight (crawler/robots.py).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.SharedRobotsTxtMiddleware": 100,
    "crawler.binary.BinaryContentMiddleware": 595,
    # Below HttpCompressionMiddleware (590): sniffs untyped bodies once decompressed.
    "crawler.binary.SniffMiddleware": 585,
    "crawler.rendered.RenderedSizeMiddleware": 596,
    "crawler.conditional.ConditionalRequestMiddleware": 597,
}
EXTENSIONS = {"crawler.coverage.CoverageStats": 500}

# Playwright: only requests with meta["playwright"] use the browser.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
DOWNLOAD_HANDLERS = {
    "http": "crawler.browserguard.GuardedPlaywrightHandler",
    "https": "crawler.browserguard.GuardedPlaywrightHandler",
}
# Every resolved address is checked where the connection uses it (crawler/netguard.py).
TWISTED_DNS_RESOLVER = "crawler.netguard.GuardedResolver"
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    # Debian's chromium; set-up never downloads a browser.
    "executable_path": os.environ.get("LEAKPRINT_CHROMIUM", "/usr/bin/chromium"),
    "headless": True,
    "timeout": 30_000,
    # The --disable-* flags stop Chromium calling home (refused connections offline).
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
    ],
}
PLAYWRIGHT_MAX_CONTEXTS = 2
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
PLAYWRIGHT_ABORT_REQUEST = "crawler.render.abort_heavy_resources"
