"""Item pipelines, one job each, every change and drop counted in the crawl stats.

Order (crawler.settings.ITEM_PIPELINES): normalise, language, contacts, validate,
content hash, store. Each can be tested by calling ``process_item`` directly.
"""

from __future__ import annotations

from typing import Any

from scrapy.statscollectors import StatsCollector

NS = "lurewatch"


class CountingPipeline:
    """Base: holds the crawl's stats collector and counts under ``lurewatch/``."""

    def __init__(self, stats: StatsCollector | None = None) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> "CountingPipeline":
        return cls(crawler.stats)

    def count(self, key: str, value: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"{NS}/{key}", value)
