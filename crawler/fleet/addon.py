"""``LEAKPRINT_FLEET=1``: the crawl joins a fleet (scheduler, hand-off, politeness).

Settings it reads (the application passes them with ``-s``; the Redis URL, which
may hold a password, comes from the ``LEAKPRINT_REDIS_URL`` environment variable):
``LEAKPRINT_REDIS_PREFIX``, ``LEAKPRINT_SCAN_ID``, ``LEAKPRINT_WORKER_ID``,
``LEAKPRINT_DOMAIN_CONCURRENCY``, ``LEAKPRINT_DOMAIN_DELAY``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.settings import Settings

#: Closest to the downloader: the lease covers the download itself, not the wait for
#: robots.txt or the address guard.
POLITENESS_ORDER = 950


class FleetAddon:
    """Scrapy add-on (``ADDONS``), inert unless ``LEAKPRINT_FLEET`` is set."""

    def update_settings(self, settings: Settings) -> None:
        if not settings.getbool("LEAKPRINT_FLEET"):
            return
        settings.set("SCHEDULER", "crawler.fleet.frontier.RunScheduler", priority="addon")
        settings.set("SCHEDULER_PERSIST", True, priority="addon")
        from crawler.fleet.politeness import FleetPolitenessMiddleware

        settings.set_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", FleetPolitenessMiddleware, POLITENESS_ORDER)
