"""Scrapy extension for a process taking part in a shared (Redis) crawl.

scrapy-redis alone closes a process as soon as the shared queue is empty and it
has nothing in flight, even while another process is fetching the listing page
that will add the next hundred requests, and it never notices requests others
push while it sits idle (Scrapy polls an idle scheduler every 5 s). This
extension keeps a heartbeat in the frontier (busy or idle, once a second), wakes
the engine when the queue fills, and lets the spider close only once the queue
has been empty and no live process busy for ``LUREWATCH_IDLE_CLOSE`` seconds. On
close it leaves its stats for the coordinator.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from twisted.internet import task

from crawler.frontier import (
    IDLE_CLOSE_SECONDS,
    Frontier,
    heartbeat,
    leave,
    others_busy,
    redis_client,
)

log = logging.getLogger(__name__)


class SharedCrawl:
    """Heartbeat, wake-up and close-when-drained for one process of a shared crawl."""

    def __init__(self, crawler: Any, frontier: Frontier, worker: str, redis_url: str, idle_close: float) -> None:
        self.crawler, self.frontier, self.worker = crawler, frontier, worker
        self.client = redis_client(redis_url)
        self.idle_close = idle_close
        self.idle_since: float | None = None
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SharedCrawl":
        s = crawler.settings
        if not s.get("LUREWATCH_FRONTIER"):
            raise NotConfigured("not a shared crawl")
        ext = cls(
            crawler,
            Frontier(s.get("LUREWATCH_FRONTIER")),
            s.get("LUREWATCH_WORKER_ID"),
            s.get("REDIS_URL"),
            s.getfloat("LUREWATCH_IDLE_CLOSE", IDLE_CLOSE_SECONDS),
        )
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        heartbeat(self.client, self.frontier, self.worker, busy=True)
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(1.0, now=False)

    def _queued(self) -> int:
        return int(self.client.llen(self.frontier.key("requests")))  # a LifoQueue: a list

    def tick(self) -> None:
        """Once a second: heartbeat; wake an idle engine when others queued work."""
        engine = self.crawler.engine
        try:
            idle = engine.spider_is_idle()
            heartbeat(self.client, self.frontier, self.worker, busy=not idle)
            if idle and self._queued():
                slot = getattr(engine, "_slot", None)  # no public "poll the scheduler now"
                if slot is not None:
                    slot.nextcall.schedule()
        except Exception:  # a Redis hiccup must not kill the loop; the next tick retries
            log.warning("shared crawl heartbeat failed", exc_info=True)

    def spider_idle(self, spider: Any) -> None:
        """Close only when the whole shared crawl is drained, not just this process."""
        if self._queued() or others_busy(self.client, self.frontier, self.worker):
            self.idle_since = None
            raise DontCloseSpider
        heartbeat(self.client, self.frontier, self.worker, busy=False)
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_close:
            # Re-check soon instead of at Scrapy's 5 s idle heartbeat.
            from twisted.internet import reactor

            slot = getattr(self.crawler.engine, "_slot", None)
            if slot is not None:
                reactor.callLater(0.5, slot.nextcall.schedule)
            raise DontCloseSpider

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        keep = {
            k: v
            for k, v in stats.items()
            if k.startswith("lurewatch/")
            or k in ("response_received_count", "finish_reason", "item_scraped_count")
            or k.startswith("spider_exceptions/")
        }
        try:
            leave(self.client, self.frontier, self.worker, keep)
        except Exception:
            log.warning("could not leave the shared crawl %s", self.frontier.base, exc_info=True)
