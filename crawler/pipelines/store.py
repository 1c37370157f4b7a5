"""Store: idempotent upsert of each ad into the database (new / updated / unchanged counted).

Items are written in short batches: each batch is its own transaction, so no
write lock is held while the crawl waits on the network (SQLite allows one
writer, and several sources may crawl in one process). When the database refuses
a batch because of one ad (a value it cannot take), the batch is written again ad
by ad, so only that ad is lost, and it is counted (``lurewatch/dropped/store_refused``).
A database that cannot be reached fails the batch as before: that is not one bad ad.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.secrets import mask_text
from crawler.items import JobAd
from crawler.pipelines import CountingPipeline
from store.ads import STORED_FIELDS, upsert_ads
from store.db import open_database
from store.errors import StoreError

log = logging.getLogger(__name__)
BATCH_SIZE = 100


class StorePipeline(CountingPipeline):
    """Upsert ads on (source, external_id) through store.ads.upsert_ads, a batch at a time."""

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
        """Write the pending ads in one transaction; ad by ad if the database refuses the batch."""
        if not self.pending:
            return
        if self.factory is None:
            self.open_spider()
        batch, self.pending = self.pending, []
        now = self.now()
        try:
            outcomes = self.write(batch, now)
        except _UNREACHABLE:
            raise
        except _REFUSED as exc:
            log.warning("the database refused a batch of %d ad(s) (%s); storing them one by one", len(batch), _why(exc))
            outcomes = []
            for ad in batch:
                try:
                    outcomes += self.write([ad], now)
                except _UNREACHABLE:
                    raise
                except _REFUSED as exc:
                    log.warning(
                        "ad %s not stored: %s", mask_text(str(ad.get("url") or ad.get("external_id"))), _why(exc)
                    )
                    self.count("dropped/store_refused")
                    self.count("dropped")
        for outcome in outcomes:  # counted once committed, so a retried batch is not counted twice
            self.count(f"ads/{outcome}")

    def write(self, ads: list[dict[str, Any]], now: datetime) -> list[str]:
        """Upsert ``ads`` in one transaction; their outcomes (new / updated / unchanged)."""
        factory = self.factory
        if factory is None:
            raise RuntimeError("store pipeline has no database")
        with factory.begin() as session:
            return [outcome for outcome, _ in upsert_ads(session, ads, now)]

    def close_spider(self, spider: Any = None) -> None:
        try:
            self.flush()
        finally:
            if self.engine is not None:
                self.engine.dispose()
                self.engine = None


# The database is gone or locked: every ad would fail, so the crawl must hear of it.
_UNREACHABLE = (OperationalError, InterfaceError)
# The database refused a value (NUL, a too long id, an unencodable character...): one ad's fault.
_REFUSED = (SQLAlchemyError, StoreError, ValueError, TypeError)


def _why(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return mask_text(text.splitlines()[0] if text else type(exc).__name__)[:300]
