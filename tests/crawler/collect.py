"""Test pipeline: records what each item looked like, never the body or text itself.

Settings: ``COLLECT_FILE`` (JSON lines, one per item), ``COLLECT_STATS_FILE`` (the
crawl stats at close) and ``COLLECT_MARKERS`` (strings whose presence in ``text``
is recorded).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


class JsonLinesCollector:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.path = Path(settings.get("COLLECT_FILE"))
        self.stats_path = settings.get("COLLECT_STATS_FILE")
        self.markers = json.loads(settings.get("COLLECT_MARKERS") or "[]")
        self.out = self.path.open("a", encoding="utf-8")

    @classmethod
    def from_crawler(cls, crawler: Any) -> JsonLinesCollector:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        text = item.text or ""
        record = {
            "url": item.url,
            "source": item.source,
            "size": len(item.body),
            "body_sha256": hashlib.sha256(item.body).hexdigest(),
            "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "rendered": item.rendered,
            "content_type": item.content_type,
            "encoding_hint": item.encoding_hint,
            "etag": item.etag,
            "fetched_at": item.fetched_at,
            "markers": [m for m in self.markers if m in text],
        }
        self.out.write(json.dumps(record) + "\n")
        self.out.flush()
        return item

    def close_spider(self) -> None:
        self.out.close()
        if self.stats_path:
            stats = self.crawler.stats.get_stats()
            Path(self.stats_path).write_text(json.dumps(stats, default=str))
