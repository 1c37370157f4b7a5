"""What every lurewatch spider shares: its source, counted errors, crawl state.

Spiders are built with their SourceConfig and the state the stage read from the
store (known external ids, Telegram channel progress) as arguments, so callbacks
stay pure: no database, no clock. ``fetched_at`` comes from the response's Date
header when the server sends one; the normalise pipeline fills it otherwise.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable

import scrapy
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils._compression import _DecompressionMaxSizeExceeded  # what HttpCompression raises from
from twisted.python.failure import Failure

import crawler.settings as project
from config import ConfigError, SourceConfig
from crawler.scope import OutOfScope, source_scope
from crawler.text import http_date
from crawler.urls import MAX_CANONICAL_CHARS, absolute

log = logging.getLogger(__name__)
NS = "lurewatch"


class SourceSpider(scrapy.Spider):
    """Base of the four kinds; ``kind`` names the config's source kind."""

    kind = ""

    def __init__(
        self,
        source: SourceConfig,
        known_ids: Iterable[str] = (),
        channel_states: dict[str, dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        if source.kind != self.kind:
            raise ConfigError(f"source {source.name!r} is of kind {source.kind!r}, not {self.kind!r}")
        super().__init__(name=source.name, **kwargs)
        self.source = source
        self.scope = source_scope(source)
        # Scrapy's offsite rule reads this; crawler.scope.ScopeMiddleware enforces it.
        self.allowed_domains = list(self.scope.domains)
        self.known_ids = frozenset(known_ids)
        self.channel_states = dict(channel_states or {})

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "SourceSpider":
        source = (
            kwargs.pop("source", None)
            or getattr(cls, "_bound_source", None)
            or crawler.settings.get("LUREWATCH_SOURCE")
        )
        if isinstance(source, str):  # `scrapy crawl NAME -a source=NAME`: look it up in the config
            source = project.project_config().source(source)
        if source is None:
            raise ConfigError(f"spider kind {cls.kind!r} needs a source (-a source=NAME)")
        return super().from_crawler(crawler, *args, source=source, **kwargs)

    async def start(self) -> Any:
        """One listing request per start URL (a kind whose start differs overrides this)."""
        for url in self.source.start_urls:
            yield scrapy.Request(
                url, callback=self.parse, errback=self.on_error, meta={"listing": True, **self.start_meta(url)}
            )

    def start_meta(self, url: str) -> dict[str, Any]:
        """Extra meta for the request of a start URL."""
        return {}

    # ------------------------------------------------------- links from pages

    def link(self, response: Response, href: str) -> str:
        """``href`` made absolute against ``response``; "" (counted) when it is no URL at all ("http://[::1")."""
        url = absolute(response, href)
        if not url and href.strip():
            self.refused_link()
        return url

    def request(self, url: str, **kwargs: Any) -> scrapy.Request | None:
        """A request for a URL a page gave; None (counted) when it cannot be fetched at all (javascript:,
        mailto:), so one odd link never ends the callback and loses the rest of the page. Scope is
        checked later, on every request, by crawler.scope."""
        if not url:
            return None
        if len(url) > MAX_CANONICAL_CHARS:  # no server takes it; and every step after would read it whole
            self.count("refused/url_too_long")
            self.count("refused")
            return None
        kwargs.setdefault("errback", self.on_error)
        try:
            return scrapy.Request(url, **kwargs)
        except ValueError:
            self.refused_link()
            return None

    def refused_link(self) -> None:
        """Count a link that is no fetchable URL, beside crawler.scope's refusals."""
        self.count("refused/not_a_url")
        self.count("refused")

    # -------------------------------------------------------------- counting

    def count(self, key: str, value: int = 1) -> None:
        """Add to the namespaced crawl stat ``lurewatch/<key>``."""
        if getattr(self, "crawler", None) is not None:
            self.crawler.stats.inc_value(f"{NS}/{key}", value)

    def mark_incomplete(self, reason: str) -> None:
        """This crawl did not walk the whole source: unseen ads must not count as removed."""
        self.count(f"incomplete/{reason}")

    def on_error(self, failure: Failure) -> None:
        """Errback of every request: count the failure by kind, never crash the crawl."""
        request = failure.request if hasattr(failure, "request") else None
        if failure.check(OutOfScope):  # counted by reason where it was refused (crawler.scope)
            return
        gone = False
        if too_large(failure):
            self.count("errors/too_large")
        elif failure.check(IgnoreRequest) and not failure.check(HttpError):  # HttpError subclasses it
            # Disallowed by robots.txt (or filtered on purpose): obeyed, not an error.
            self.count("ignored/robots_or_filtered")
            return
        elif failure.check(HttpError):
            status = failure.value.response.status
            self.count(f"errors/http_{status}")
            gone = status in (404, 410)  # a removed ad's page, not a failure
        else:
            self.count(f"errors/{failure.type.__name__}")
        if not gone:
            self.count("errors")
            if request is not None and request.meta.get("listing"):
                self.mark_incomplete("listing_failed")
        log.info("%s: %s failed: %s", self.name, getattr(request, "url", "?"), failure.getErrorMessage())

    @staticmethod
    def fetched_at(response: Response) -> Any:
        """The server's Date header as a UTC datetime, or None (the pipeline fills it)."""
        return http_date(response.headers.get("Date"))


def too_large(failure: Failure) -> bool:
    """True when a response was cut at DOWNLOAD_MAXSIZE, on the wire or while decompressing (a gzip bomb)."""
    if failure.check(DownloadCancelledError):  # the http(s) handler's size cap; timeouts have their own error
        return True
    return bool(failure.check(IgnoreRequest)) and isinstance(failure.value.__cause__, _DecompressionMaxSizeExceeded)
