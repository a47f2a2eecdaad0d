"""Plugs the application's item pipeline in by dotted path.

``-s LEAKPRINT_PIPELINE=leakprint.pipeline.MatchPipeline`` (or the environment
variable of the same name, when the setting is absent) adds that class to
``ITEM_PIPELINES`` at order 300. ``crawler/`` never imports it itself.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from scrapy.utils.misc import load_object

if TYPE_CHECKING:
    from scrapy.settings import Settings

PIPELINE_ORDER = 300


class PipelineAddon:
    """Scrapy add-on (``ADDONS``): reads ``LEAKPRINT_PIPELINE`` before settings freeze."""

    def update_settings(self, settings: Settings) -> None:
        path = settings.get("LEAKPRINT_PIPELINE") or os.environ.get("LEAKPRINT_PIPELINE")
        if path:
            settings.set_in_component_priority_dict(
                "ITEM_PIPELINES", load_object(path), PIPELINE_ORDER
            )
