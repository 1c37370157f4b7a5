"""Scrapy settings built from the lurewatch Config, never hard-coded.

``scrapy_settings(config, source)`` is what the crawl stage uses. For Scrapy
users who run ``scrapy list`` / ``scrapy crawl NAME`` directly, this module also
exposes the usual upper-case settings; they are computed lazily from the config
(``$LUREWATCH_CONFIG``, else ./config.yaml) the first time Scrapy reads them, so
importing this module reads nothing (DESIGN.md: config loaded once per entry point).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from config import Config, SourceConfig, find_config, load_config
from crawler.scope import ALLOW_PRIVATE_SETTING, download_handlers, is_file_source

# Order matters: sizes are capped before anything reads a field, text is clean before
# contacts and language are read from it, the CPU spent on it is checked against the
# per-ad budget, and it is validated before it is hashed and stored.
ITEM_PIPELINES = {
    "crawler.pipelines.limits.LimitsPipeline": 50,
    "crawler.pipelines.budget.BudgetStart": 60,
    "crawler.pipelines.normalise.NormalisePipeline": 100,
    "crawler.pipelines.language.LanguagePipeline": 300,
    # After language: a number without its country code is read in the language's country.
    "crawler.pipelines.contacts.ContactsPipeline": 320,
    "crawler.pipelines.budget.BudgetCheck": 350,
    "crawler.pipelines.validate.ValidatePipeline": 400,
    "crawler.pipelines.hashing.ContentHashPipeline": 500,
    "crawler.pipelines.store.StorePipeline": 900,
}
# 429 (Too Many Requests) is retried like the transient server errors.
RETRY_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Scrapy's offsite middleware, extended to schemes, folders and addresses (crawler.scope), in its place.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.scope.ScopeMiddleware": 50,
}


def scrapy_settings(config: Config, source: SourceConfig | None = None) -> dict[str, Any]:
    """Scrapy settings for crawling ``source`` (or any source) under ``config``."""
    c = config.crawl
    settings: dict[str, Any] = {
        "BOT_NAME": "lurewatch",
        "SPIDER_MODULES": ["crawler.spiders"],
        "NEWSPIDER_MODULE": "crawler.spiders",
        "SPIDER_LOADER_CLASS": "crawler.loader.SourceSpiderLoader",
        "USER_AGENT": c.user_agent,
        "ROBOTSTXT_OBEY": c.obey_robots,
        "AUTOTHROTTLE_ENABLED": c.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(c.download_delay, 1.0),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_DELAY": c.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if c.download_delay > 0 else 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": c.concurrent_requests_per_domain,
        "DOWNLOAD_TIMEOUT": c.download_timeout,
        "DOWNLOAD_MAXSIZE": c.max_response_bytes,
        "LUREWATCH_SECONDS_PER_AD": c.max_seconds_per_ad,
        "DOWNLOAD_WARNSIZE": min(c.max_response_bytes, 1_000_000),
        "RETRY_ENABLED": c.retry_times > 0,
        "RETRY_TIMES": c.retry_times,
        "RETRY_HTTP_CODES": RETRY_CODES,
        "CLOSESPIDER_PAGECOUNT": c.max_pages_per_source,
        "CLOSESPIDER_TIMEOUT": (c.max_minutes_per_source or 0) * 60,  # 0: no limit
        "COOKIES_ENABLED": False,
        # Drops are counted per reason in the stats; one log line each at INFO is enough.
        "DEFAULT_DROPITEM_LOG_LEVEL": "INFO",
        "TELNETCONSOLE_ENABLED": False,
        "ITEM_PIPELINES": dict(ITEM_PIPELINES),
        "LOG_LEVEL": "INFO",
        "FEED_EXPORT_ENCODING": "utf-8",
        "LUREWATCH_DATABASE_URL": config.database.url,
        "DOWNLOADER_MIDDLEWARES": dict(DOWNLOADER_MIDDLEWARES),
        "DOWNLOAD_HANDLERS": download_handlers(source),
        **process_settings(config),
    }
    if source is not None:
        settings["LUREWATCH_SOURCE"] = source.name
        if is_file_source(source):
            # Local files (the offline demo): politeness protects servers, there is none.
            settings.update({"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "DOWNLOAD_DELAY_JITTER": 0})
    return settings


def process_settings(config: Config) -> dict[str, Any]:
    """Settings of the crawl process as a whole (Scrapy reads them from CrawlerProcess, not per crawler)."""
    return {
        "TWISTED_DNS_RESOLVER": "crawler.scope.ScopedResolver",
        ALLOW_PRIVATE_SETTING: config.crawl.allow_private_addresses,
    }


def shared_crawl_settings(config: Config, frontier: str, worker: str) -> dict[str, Any]:
    """The extra settings of one process taking part in the shared crawl ``frontier``.

    Scale-out (DESIGN.md): the scrapy-redis scheduler and duplicate filter under the
    crawl's run-scoped keys (crawler.frontier). SCHEDULER_PERSIST is on because the
    first process to finish must not wipe what the others still use; the
    coordinator deletes the keys when the crawl is over, and a TTL covers crashes.
    """
    if not config.crawl.redis_url:
        raise ValueError("a shared crawl needs crawl.distributed.redis_url")
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        # LIFO like Scrapy's own queue: a listing's next-page link (yielded last) is
        # fetched first, so the frontier stays wide. A priority queue breaks ties by
        # the pickled request's bytes, fetched every ad before the next listing, and
        # crawled the 2,000-ad test site at a third of the speed.
        "SCHEDULER_QUEUE_CLASS": "crawler.frontiercodec.FrontierQueue",  # scrapy-redis's LifoQueue, hardened
        # JSON, never pickle: whoever can write to Redis must not run code here (issue 23, probe 1).
        "SCHEDULER_SERIALIZER": "crawler.frontiercodec",
        "SCHEDULER_QUEUE_KEY": f"{frontier}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{frontier}:dupefilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_FLUSH_ON_START": False,
        "REDIS_URL": config.crawl.redis_url,
        "EXTENSIONS": {"crawler.shared.SharedCrawl": 500},
        "LUREWATCH_FRONTIER": frontier,
        "LUREWATCH_WORKER_ID": worker,
    }


@lru_cache(maxsize=1)
def project_config() -> Config:
    """The config of a `scrapy` command ($LUREWATCH_CONFIG, else ./config.yaml), loaded once.

    `scrapy list` and `scrapy crawl SOURCE` enter here, not through pipeline.py: the
    settings below, the spider loader and the spiders all take the config from here.
    """
    return load_config(find_config())


@lru_cache(maxsize=1)
def _direct_settings() -> dict[str, Any]:
    """The settings for `scrapy` commands."""
    return scrapy_settings(project_config())


def __getattr__(name: str) -> Any:
    """Module-level settings for ``scrapy crawl``: read from the config on first use."""
    if name.isupper():  # never for dunders and helpers: only Scrapy's setting names
        settings = _direct_settings()
        if name in settings:
            return settings[name]
    raise AttributeError(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_direct_settings()))
