"""The crawl stays in scope: what a source may fetch, checked on every request (DESIGN.md "Crawl scope").

A web source fetches over http(s) from the hosts of its start URLs (or of a Telegram
``base_url``) and its ``allowed_domains``, subdomains included, as Scrapy's offsite
rule has it. A source of local files (the offline demo) reads files under the
folders of its start URLs only. Unless ``crawl.allow_private_addresses`` is set, no
request reaches a loopback, private, link-local (cloud metadata: 169.254.169.254) or
otherwise non-public address.

Two layers, because links reach the downloader by many roads (listing links, sitemap
<loc>, rel=next, feed entries, board selectors, redirects, meta refresh):

- ``ScopeMiddleware``, Scrapy's downloader OffsiteMiddleware extended, checks every
  request before it is downloaded, redirects included, whatever its ``dont_filter``
  or ``allow_offsite``; it refuses with ``OutOfScope`` and counts the reason under
  ``lurewatch/refused/<reason>``. It checks at download time, not when the request
  is scheduled, so the request's errback still runs (a feed keeps an entry whose
  page is out of scope).
- ``ScopedResolver``, Scrapy's caching DNS resolver with a check, is what the
  connection itself uses: a name whose address is not public never gets an address,
  so the address checked is the address connected to (no DNS-rebinding window
  between a check and the connect). The middleware asks the same resolver first,
  so the refusal is counted with its reason rather than seen as a DNS failure.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import posixpath
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError
from w3lib.url import file_uri_to_path

from config import WEB_SCHEMES, SourceConfig

log = logging.getLogger(__name__)
NS = "lurewatch/refused"
ALLOW_PRIVATE_SETTING = "LUREWATCH_ALLOW_PRIVATE_ADDRESSES"
# Every download handler Scrapy ships, so none stays on by default for a source.
_HANDLERS = ("http", "https", "file", "data", "s3", "ftp")


class OutOfScope(IgnoreRequest):
    """A request the source may not make; ``reason`` names the rule (counted in the stats)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class PrivateAddressError(DNSLookupError):
    """A host name resolved to an address the crawl may not connect to."""


@dataclass(frozen=True)
class Scope:
    """What one source may fetch."""

    schemes: frozenset[str]
    domains: tuple[str, ...]  # Scrapy's allowed_domains: these hosts and their subdomains
    folders: tuple[str, ...]  # real paths a source of local files reads under


def is_file_source(source: SourceConfig) -> bool:
    """True for a source of local files (the offline demo); config forbids mixing with web URLs."""
    return bool(source.start_urls) and all(u.lower().startswith("file://") for u in source.start_urls)


def source_scope(source: SourceConfig) -> Scope:
    """The scope of ``source`` from its start URLs (or Telegram base URL) and allowed_domains."""
    if is_file_source(source):
        folders = []
        for url in source.start_urls:
            path = os.path.realpath(file_uri_to_path(url))
            folders.append(path if os.path.isdir(path) else os.path.dirname(path))
        return Scope(frozenset({"file"}), (), tuple(dict.fromkeys(folders)))
    urls = source.start_urls if source.kind != "telegram" else (source.base_url,)
    hosts = [urlsplit(u).hostname or "" for u in urls]
    domains = tuple(dict.fromkeys(h for h in (*hosts, *source.allowed_domains) if h))
    return Scope(frozenset(WEB_SCHEMES), domains, ())


def download_handlers(source: SourceConfig | None) -> dict[str, str | None]:
    """DOWNLOAD_HANDLERS for ``source``: every scheme it must not use switched off (None).

    A second lock behind the middleware: a web source has no file handler at all, a
    file source no network handler, and nobody reads data:, s3: or ftp: URLs.
    """
    allowed = set(WEB_SCHEMES) if source is None else set(source_scope(source).schemes)
    return {scheme: None for scheme in _HANDLERS if scheme not in allowed}


def address_problem(address: str) -> str | None:
    """Why a connection to IP ``address`` must be refused, or None for a public address."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return None  # a name, not an address: the resolver checks what it resolves to
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            ip = embedded
    if ip.is_loopback:
        return f"{address} is a loopback address"
    if ip.is_link_local:
        return f"{address} is a link-local address (cloud metadata lives there)"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return f"{address} is not a unicast address"
    if not ip.is_global:
        return f"{address} is a private or non-public address"
    return None


class ScopedResolver(CachingThreadedResolver):
    """Scrapy's default DNS resolver (cached, off the reactor thread) that refuses non-public results.

    Installed for the whole crawl process (TWISTED_DNS_RESOLVER); HostnameEndpoint
    connects only to the addresses it hands out, so a refused name has none.
    """

    def __init__(self, reactor: Any, cache_size: int, timeout: float, allow_private: bool = False) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> "ScopedResolver":
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, cache_size, settings.getfloat("DNS_TIMEOUT"), settings.getbool(ALLOW_PRIVATE_SETTING))

    def getHostByName(self, name: str, timeout: Any = ()) -> Any:  # noqa: N802 (Twisted's interface)
        deferred = super().getHostByName(name, timeout)
        if not self.allow_private:
            deferred.addCallback(self._refuse_private, name)
        return deferred

    @staticmethod
    def _refuse_private(address: str, name: str) -> str:
        problem = address_problem(address)
        if problem:
            raise PrivateAddressError(f"{name}: {problem}")
        return address


class ScopeMiddleware(OffsiteMiddleware):
    """Scrapy's OffsiteMiddleware, extended: schemes, folders and addresses too, on every request."""

    def __init__(self, stats: Any, allow_private: bool = False) -> None:
        super().__init__(stats)
        self.allow_private = allow_private
        self.scope = Scope(frozenset(), (), ())
        self.verdicts: dict[str, str | None] = {}  # host -> why refused (None: fine)
        self.logged: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ScopeMiddleware":
        middleware = cls(crawler.stats, crawler.settings.getbool(ALLOW_PRIVATE_SETTING))
        middleware.crawler = crawler
        # Not request_scheduled as the parent does: a request dropped there never
        # reaches its errback, and the spider must hear of every refusal.
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Any) -> None:
        self.scope = getattr(spider, "scope", None) or self.scope
        super().spider_opened(spider)

    def process_request(self, request: Request, spider: Any = None) -> Any:
        """None when ``request`` is in scope; OutOfScope otherwise (a coroutine when DNS must tell)."""
        parts = urlparse_cached(request)
        scheme = parts.scheme.lower()
        if scheme not in self.scope.schemes:
            self.refuse("scheme", request, f"scheme {scheme or '(none)'!r} is not allowed for this source")
        if scheme == "file":
            self.check_folder(request)
            return None
        if not self.should_follow(request, self.crawler.spider):
            self.refuse("offsite", request, f"host {parts.hostname!r} is not in the source's allowed domains")
        if self.allow_private:
            return None
        host = parts.hostname or ""
        if host not in self.verdicts:
            literal = address_problem(host)
            if literal is None and _is_name(host):
                return self._check_resolved(request, host)
            self.verdicts[host] = literal
        if self.verdicts[host]:
            self.refuse("private_address", request, self.verdicts[host] or "")
        return None

    async def _check_resolved(self, request: Request, host: str) -> None:
        from twisted.internet import reactor

        try:
            address = await maybe_deferred_to_future(reactor.resolve(host))
        except PrivateAddressError as exc:
            self.verdicts[host] = str(exc)
        except DNSLookupError:
            return None  # not cached: the download fails with the DNS error and is counted as one
        else:
            self.verdicts[host] = address_problem(address)  # when another resolver is installed
        if self.verdicts[host]:
            self.refuse("private_address", request, self.verdicts[host] or "")
        return None

    def check_folder(self, request: Request) -> None:
        """A file source reads only under its start folders (symlinks and .. resolved)."""
        path = os.path.realpath(file_uri_to_path(request.url))
        for folder in self.scope.folders:
            if path == folder or path.startswith(folder.rstrip(posixpath.sep) + posixpath.sep):
                return
        self.refuse("outside_folder", request, f"{path} is outside the source's folder")

    def refuse(self, reason: str, request: Request, why: str) -> None:
        """Count the refusal under lurewatch/refused/<reason> and raise OutOfScope."""
        self.stats.inc_value(f"{NS}/{reason}")
        self.stats.inc_value(NS)
        key = (reason, urlparse_cached(request).hostname or request.url[:80])
        if key not in self.logged:  # one line per host and reason, not per link
            self.logged.add(key)
            log.info("refused %s (%s): %s", request.url[:200], reason, why)
        raise OutOfScope(reason, f"refused ({reason}): {why}")


def _is_name(host: str) -> bool:
    """True for a host name the resolver must look up (not an IP literal, not empty)."""
    if not host:
        return False
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return True
    return False
