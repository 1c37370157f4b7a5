"""Store: idempotent upsert of each ad into the database (new / updated / unchanged counted).

Items are written in short batches: each batch is its own transaction, so no
write lock is held while the crawl waits on the network (SQLite allows one
writer, and several sources may crawl in one process).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from crawler.items import JobAd
from crawler.pipelines import CountingPipeline
from store.ads import STORED_FIELDS, upsert_ad
from store.db import open_database

log = logging.getLogger(__name__)
BATCH_SIZE = 100


class StorePipeline(CountingPipeline):
    """Upsert ads on (source, external_id) through store.ads.upsert_ad."""

    def __init__(
        self,
        stats: Any = None,
        database_url: str | None = None,
        factory: sessionmaker[Session] | None = None,
        clock: Callable[[], datetime] | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        super().__init__(stats)
        self.database_url, self.factory = database_url, factory
        self.engine: Engine | None = None
        self.now = clock or (lambda: datetime.now(timezone.utc))
        self.batch_size = batch_size
        self.pending: list[dict[str, Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> "StorePipeline":
        url = crawler.settings.get("LUREWATCH_DATABASE_URL")
        if not url:
            raise ValueError("LUREWATCH_DATABASE_URL is not set: crawler.settings.scrapy_settings sets it")
        return cls(
            crawler.stats, database_url=url, batch_size=crawler.settings.getint("LUREWATCH_STORE_BATCH", BATCH_SIZE)
        )

    def open_spider(self, spider: Any = None) -> None:
        if self.factory is None:
            self.engine, self.factory = open_database(self.database_url or "")

    def process_item(self, item: JobAd, spider: Any = None) -> JobAd:
        self.pending.append({name: item.get(name) for name in STORED_FIELDS})
        if len(self.pending) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        """Write the pending ads in one transaction."""
        if not self.pending:
            return
        if self.factory is None:
            self.open_spider()
        batch, self.pending = self.pending, []
        now = self.now()
        factory = self.factory
        if factory is None:
            raise RuntimeError("store pipeline has no database")
        with factory.begin() as session:
            for ad in batch:
                outcome, _ = upsert_ad(session, ad, now)
                self.count(f"ads/{outcome}")

    def close_spider(self, spider: Any = None) -> None:
        try:
            self.flush()
        finally:
            if self.engine is not None:
                self.engine.dispose()
                self.engine = None
