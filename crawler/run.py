"""Run Scrapy crawls of several sources in this process and report their stats.

Twisted's reactor cannot be restarted within a process, and the nightly job (and
the tests) crawl many times, so the crawl stage runs ``child_main`` in a fresh
child process each time; the results come back over a pipe as plain JSON-able
data. Every source is its own Scrapy crawler with its own settings; all of them
share the child's reactor and run side by side.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from config import Config
from core.process import die_with_parent
from core.secrets import mask_handlers, mask_log_records
from crawler.loader import spider_class
from crawler.settings import process_settings, scrapy_settings, shared_crawl_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrawlJob:
    """One source for the child process to crawl, with the state the stage read for it."""

    source: str
    known_ids: tuple[str, ...] = ()  # external ids already stored: a board stops at a page of them
    # Telegram: {channel: {"last_message_id": ..., "available": ...}} from the last crawl.
    channel_states: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    frontier: str | None = None  # a shared crawl's Redis key base (crawler.frontier)
    worker: str | None = None  # this process's id in the shared crawl
    seed: bool = True  # False for a joining worker: only the coordinator seeds a shared crawl


def freeze_config(config: Config) -> Config:
    """A picklable copy of ``config`` (MappingProxyType cannot cross a process boundary)."""
    sources = tuple(dataclasses.replace(s, selectors=dict(s.selectors)) for s in config.sources)
    return dataclasses.replace(config, sources=sources)


def thaw_config(config: Config) -> Config:
    """Undo ``freeze_config``: read-only selectors again."""
    sources = tuple(dataclasses.replace(s, selectors=MappingProxyType(dict(s.selectors))) for s in config.sources)
    return dataclasses.replace(config, sources=sources)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def crawl_sources(
    config: Config,
    jobs: list[CrawlJob],
    log_level: str = "WARNING",
    overrides: dict[str, Any] | None = None,
    log_files: tuple[str, ...] = (),
    parent_pid: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Crawl each job's source concurrently; {source: {"stats": ..., "error": ...}}.

    A job of a shared crawl names its frontier and this process's worker id there.
    ``overrides`` are extra Scrapy settings (the benchmark swaps the pipelines).
    A source whose spider cannot even start is reported with its error; the
    others crawl on. With ``parent_pid``, the crawl stops dead if that process goes.
    """
    from scrapy import signals
    from scrapy.crawler import Crawler, CrawlerProcess  # imported late: installs a reactor

    process = CrawlerProcess({"LOG_LEVEL": log_level, "TELNETCONSOLE_ENABLED": False, **process_settings(config)})
    for path in log_files:  # the parent's run log gets the crawl's INFO lines too
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setLevel(logging.INFO)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
        logging.getLogger().setLevel(logging.INFO)
    mask_handlers(logging.getLogger().handlers)  # Scrapy logs its settings: database and Redis URLs
    results: dict[str, dict[str, Any]] = {}
    crawlers: dict[str, Crawler] = {}
    for job in jobs:
        name = job.source
        results[name] = {"stats": {}, "error": None}
        try:
            source = config.source(name)
            settings = scrapy_settings(config, source)
            if job.frontier:
                settings.update(shared_crawl_settings(config, job.frontier, job.worker or ""))
            settings.update({"LOG_LEVEL": log_level, **(overrides or {})})
            base = spider_class(source.kind)
            # Per-source settings ride on a subclass: the process's crawlers share
            # one reactor but not their settings.
            attrs: dict[str, Any] = {"custom_settings": settings}
            if not job.seed:
                attrs["start"] = _no_start  # only the coordinator seeds a shared crawl
            spidercls = type(base.__name__, (base,), attrs)
            crawler = process.create_crawler(spidercls)
            deferred = process.crawl(
                crawler,
                source=source,
                known_ids=job.known_ids,
                channel_states=dict(job.channel_states),
            )
        except Exception as exc:  # a broken source must not stop the others
            log.exception("source %s could not start", name)
            results[name]["error"] = f"{type(exc).__name__}: {exc}"
            continue
        crawlers[name] = crawler
        crawler.signals.connect(_freeze_startup, signal=signals.spider_opened)
        deferred.addErrback(_record_failure, results[name], name)
    if crawlers:
        if parent_pid is not None:
            _watch_parent(parent_pid)
        process.start()
    for name, crawler in crawlers.items():
        if crawler.stats is not None:
            results[name]["stats"] = _jsonable(crawler.stats.get_stats())
    return results


async def _no_start(self: Any) -> Any:
    """The start of a worker: nothing, its requests come from the shared queue."""
    return
    yield  # an async generator that yields nothing


def _freeze_startup(**_: Any) -> None:
    """Once a spider is open, move every object that exists into the collector's permanent
    generation (``gc.freeze``), after one collection.

    What is loaded by then stays for the whole crawl: Scrapy, the pipelines' libraries
    (SQLAlchemy, phonenumbers, fastText) and what the store's migrations import (numpy,
    through migration 0010; scipy too until core.minhash imported datasketch lazily), 185,000
    objects against 83,000 for a crawl without the pipelines (measured with scipy). Each full collection scanned them all again, about 36 of them per 4,000 ads:
    0.7 ms of CPU an ad. Frozen objects are still freed by reference counting; only a
    cycle among them would wait for the process to end, and the crawl runs in a child
    process of its own (stages.crawling), which ends with the crawl.
    """
    gc.collect()
    gc.freeze()


def _record_failure(failure: Any, result: dict[str, Any], name: str) -> None:
    log.error("source %s failed: %s", name, failure.getTraceback())
    result["error"] = f"{failure.type.__name__}: {failure.getErrorMessage()}"


def _watch_parent(parent_pid: int) -> None:
    """Twice a second, end the crawl process at once if its parent is gone (reparented)."""
    from twisted.internet import task

    def check() -> None:
        if os.getppid() != parent_pid:
            os._exit(1)

    task.LoopingCall(check).start(0.5, now=False)


def child_main(
    config: Config,
    jobs: list[CrawlJob],
    log_level: str,
    overrides: dict[str, Any] | None,
    conn: Any,
    log_files: tuple[str, ...] = (),
    parent_pid: int | None = None,
) -> None:
    """Entry point of the crawl child process: crawl, send the results, exit."""
    if parent_pid is not None:
        die_with_parent(parent_pid)
    mask_log_records()  # Scrapy logs its settings, database and Redis URLs included
    try:
        results = crawl_sources(thaw_config(config), jobs, log_level, overrides, log_files, parent_pid)
        conn.send(("ok", results))
    except BaseException as exc:  # report anything, even KeyboardInterrupt, then exit
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        conn.close()
