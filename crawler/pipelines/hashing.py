"""Content hash: the store's own hash of an ad's content fields, so edits are detected."""

from __future__ import annotations

from typing import Any

from core.ad import content_hash
from crawler.items import JobAd
from crawler.pipelines import CountingPipeline


class ContentHashPipeline(CountingPipeline):
    """Set ``content_hash`` from the normalised content (core.ad.content_hash)."""

    def process_item(self, item: JobAd, spider: Any = None) -> JobAd:
        item["content_hash"] = content_hash(item)
        self.count("hashed")
        return item
