"""A runner for real ``scrapy crawl`` subprocesses and what it returns (the mock sites' fixture
is in conftest.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.crawler import sites

REPO = Path(__file__).resolve().parents[2]
MARKERS = [
    sites.PLANTED,
    sites.JS_MARKER,
    sites.JP_TEXT,
    sites.OFFSITE_MARKER,
    "RSS-ENTRY-1",
    "RSS-DESC-1",
    "ATOM-CONTENT-3",
    "ARTICLE-PAGE-1",
    "ARTICLE-PAGE-3",
    "PRIVATE-PAGE",
    "loading",
    "var x",
    "OCTET-DUMP-7070",
    "UNTYPED-TEXT-5050",
    "DEEP-NEST-2100",
    "ITEM-RENDERED-",
]


@dataclass
class Sites:
    main: sites.Site
    paste: sites.Site


@dataclass
class CrawlResult:
    returncode: int
    items: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str
    stderr: str

    def by_url(self) -> dict[str, dict[str, Any]]:
        return {i["url"]: i for i in self.items}

    def urls(self, source: str | None = None) -> set[str]:
        return {i["url"] for i in self.items if source is None or i["source"] == source}


def run_crawl(
    tmp: Path,
    sources_toml: str | None,
    *,
    args: dict[str, str] | None = None,
    settings: dict[str, Any] | None = None,
    timeout: float = 120,
) -> CrawlResult:
    """Run ``python -m scrapy crawl sources`` from the repo root and collect its output."""
    tmp.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "scrapy", "crawl", "sources"]
    all_args = dict(args or {})
    if sources_toml is not None:
        (tmp / "sources.toml").write_text(sources_toml, encoding="utf-8")
        all_args.setdefault("sources_file", str(tmp / "sources.toml"))
    for key, value in all_args.items():
        cmd += ["-a", f"{key}={value}"]
    all_settings: dict[str, Any] = {
        "LEAKPRINT_PIPELINE": "tests.crawler.collect.JsonLinesCollector",
        "COLLECT_FILE": str(tmp / "items.jsonl"),
        "COLLECT_STATS_FILE": str(tmp / "stats.json"),
        "COLLECT_MARKERS": json.dumps(MARKERS),
        "LOG_FILE": str(tmp / "crawl.log"),
        "AUTOTHROTTLE_ENABLED": "False",
        "RETRY_TIMES": "0",
        # The mock sites live on 127.0.0.1: the tests opt in to that one address only
        # (SPEC 10.1); everything else non-public stays refused.
        "LEAKPRINT_ALLOWED_NETWORKS": "127.0.0.1/32",
    }
    all_settings.update(settings or {})
    for key, value in all_settings.items():
        cmd += ["-s", f"{key}={value if isinstance(value, str) else json.dumps(value)}"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    items_file = tmp / "items.jsonl"
    items = (
        [json.loads(line) for line in items_file.read_text().splitlines()]
        if items_file.exists()
        else []
    )
    stats_file = tmp / "stats.json"
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    log_file = tmp / "crawl.log"
    log = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
    return CrawlResult(proc.returncode, items, stats, log, proc.stderr)


def toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"
