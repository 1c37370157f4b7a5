"""Spider loader for `scrapy list` / `scrapy crawl SOURCE`: one spider per configured source.

Scrapy users expect ``scrapy crawl demo-board``; our spiders are per kind of source,
so this loader names a spider after each source in the config and hands the
kind's spider class the source when Scrapy builds it.
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object

import crawler.settings as project
from config import Config
from crawler.scope import download_handlers

SPIDER_CLASSES = {
    "jsonld": "crawler.spiders.jsonld.JsonLdSpider",
    "telegram": "crawler.spiders.telegram.TelegramSpider",
    "board": "crawler.spiders.board.BoardSpider",
    "feed": "crawler.spiders.feed.FeedSpider",
}


def spider_class(kind: str) -> type:
    """The spider class for a source kind."""
    return load_object(SPIDER_CLASSES[kind])


class SourceSpiderLoader:
    """Lists the config's sources as spiders; loads the kind's class bound to the source."""

    def __init__(self, settings: BaseSettings) -> None:
        self._config: Config = project.project_config()  # the one the settings were built from

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> "SourceSpiderLoader":
        return cls(settings)

    def load(self, spider_name: str) -> type:
        source = self._config.source(spider_name)
        base = spider_class(source.kind)
        # A subclass per source so `scrapy crawl NAME` passes the source without -a.
        return type(
            base.__name__,
            (base,),
            {
                "name": source.name,
                "_bound_source": source,
                "custom_settings": {"DOWNLOAD_HANDLERS": download_handlers(source)},
            },
        )

    def list(self) -> list[str]:
        return [s.name for s in self._config.sources]

    def find_by_request(self, request: Any) -> list[str]:
        return []
