"""Scrapy settings come from the config, not from hard-coded values."""

from __future__ import annotations

import importlib

from config import load_config
from crawler.settings import RETRY_CODES, scrapy_settings


def test_settings_follow_the_config(write_config):
    config = load_config(
        write_config(
            {
                "crawl": {
                    "user_agent": "ua-test (+mailto:x@example.org)",
                    "obey_robots": True,
                    "autothrottle": True,
                    "download_delay": 2.5,
                    "download_timeout": 12,
                    "retry_times": 4,
                    "concurrent_requests_per_domain": 3,
                    "max_pages_per_source": 77,
                    "max_minutes_per_source": 0.5,
                    "max_response_bytes": 123456,
                    "distributed": {"redis_url": "redis://127.0.0.1:6379/0"},
                },
                "sources": [{"name": "s", "kind": "feed", "start_urls": ["https://x.example/rss"]}],
            }
        )
    )
    s = scrapy_settings(config, config.source("s"))
    assert s["USER_AGENT"] == "ua-test (+mailto:x@example.org)" and s["ROBOTSTXT_OBEY"] is True
    assert s["AUTOTHROTTLE_ENABLED"] and s["DOWNLOAD_DELAY"] == 2.5 and s["DOWNLOAD_TIMEOUT"] == 12
    assert s["RETRY_TIMES"] == 4 and 429 in s["RETRY_HTTP_CODES"] and s["RETRY_HTTP_CODES"] == RETRY_CODES
    assert s["CONCURRENT_REQUESTS_PER_DOMAIN"] == 3 and s["CLOSESPIDER_PAGECOUNT"] == 77
    assert s["CLOSESPIDER_TIMEOUT"] == 30
    assert s["DOWNLOAD_MAXSIZE"] == 123456 and s["LUREWATCH_SOURCE"] == "s"
    assert s["LUREWATCH_DATABASE_URL"] == config.database.url
    # A Redis URL alone changes nothing: only a shared crawl's processes use the frontier.
    assert "SCHEDULER" not in s and config.crawl.redis_url.startswith("redis://")
    assert list(s["ITEM_PIPELINES"]) == sorted(s["ITEM_PIPELINES"], key=s["ITEM_PIPELINES"].get)


def test_no_time_limit_when_the_config_says_null(write_config):
    config = load_config(
        write_config(
            {
                "crawl": {"max_minutes_per_source": None},
                "sources": [{"name": "s", "kind": "feed", "start_urls": ["https://x.example/rss"]}],
            }
        )
    )
    assert scrapy_settings(config, config.source("s"))["CLOSESPIDER_TIMEOUT"] == 0  # Scrapy: 0 is off
    assert load_config(write_config({})).crawl.max_minutes_per_source == 60


def test_module_settings_are_lazy_and_read_the_config(write_config, monkeypatch):
    import crawler.settings as module

    path = write_config({"crawl": {"user_agent": "lazy-ua"}})
    monkeypatch.setenv("LUREWATCH_CONFIG", str(path))
    module = importlib.reload(module)  # importing reads nothing...
    assert module._direct_settings.cache_info().currsize == 0
    assert module.USER_AGENT == "lazy-ua"  # ...the first read of a setting does
    assert "ROBOTSTXT_OBEY" in dir(module)
    module._direct_settings.cache_clear()


def test_local_files_are_crawled_without_delays(write_config):
    config = load_config(
        write_config(
            {
                "sources": [
                    {"name": "demo", "kind": "jsonld", "start_urls": ["site/index.html"]},
                    {"name": "web", "kind": "jsonld", "start_urls": ["https://jobs.example/"]},
                ]
            }
        )
    )
    local, web = (scrapy_settings(config, config.source(n)) for n in ("demo", "web"))
    assert local["DOWNLOAD_DELAY"] == 0 and not local["AUTOTHROTTLE_ENABLED"]
    assert web["DOWNLOAD_DELAY"] == 1.0 and web["AUTOTHROTTLE_ENABLED"]


def test_scrapy_commands_load_the_config_once(write_config, monkeypatch):
    """`scrapy list` / `scrapy crawl`: settings, spider loader and spiders share one load."""
    from scrapy.settings import Settings
    from scrapy.utils.test import get_crawler

    import crawler.settings as module
    from crawler.loader import SourceSpiderLoader

    caches = (module.project_config,)

    path = write_config({"sources": [{"name": "demo", "kind": "feed", "start_urls": ["https://x.example/rss"]}]})
    monkeypatch.setenv("LUREWATCH_CONFIG", str(path))
    loads = []
    monkeypatch.setattr(module, "load_config", lambda *a, **k: loads.append(a) or load_config(*a, **k))
    for f in (*caches, module._direct_settings):
        f.cache_clear()
    try:
        assert module.USER_AGENT  # Scrapy reads the settings module...
        loader = SourceSpiderLoader.from_settings(Settings())  # ...builds the spider loader...
        assert loader.list() == ["demo"]
        spidercls = loader.load("demo")
        spider = spidercls.from_crawler(get_crawler(spidercls))  # ...and the spider
        assert spider.source.name == "demo"
        base = spidercls.__mro__[1]
        assert base.from_crawler(get_crawler(base), source="demo").source.name == "demo"  # -a source=NAME
        assert len(loads) == 1
    finally:
        for f in (*caches, module._direct_settings):
            f.cache_clear()
