"""What the spider tests share: a spider built on a source, its results split, its stats."""

from __future__ import annotations

import scrapy
from scrapy.utils.test import get_crawler

from config import SourceConfig


def make(cls, **source):
    kind = cls.kind
    defaults = {"name": f"test-{kind}", "kind": kind, "start_urls": ("http://jobs.example/",)}
    spider_args = {k: source.pop(k) for k in ("known_ids", "channel_states") if k in source}
    spider = cls.from_crawler(get_crawler(cls), source=SourceConfig(**{**defaults, **source}), **spider_args)
    return spider


def split(results):
    results = list(results)
    items = [r for r in results if not isinstance(r, scrapy.Request)]
    requests = [r for r in results if isinstance(r, scrapy.Request)]
    return items, requests


def stat(spider, key):
    return spider.crawler.stats.get_value(f"lurewatch/{key}")


# ------------------------------------------------------------------ jsonld
