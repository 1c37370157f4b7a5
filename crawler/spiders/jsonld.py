"""Spider for sites that publish schema.org JobPosting (JSON-LD or microdata).

Start URLs may be listing pages, sitemaps (sitemap indexes included) or detail
pages. A page with postings yields them; any other page is a listing whose links
are followed, staying under the start URL's folder so a site's navigation does
not lead the crawl elsewhere. Pagination is followed like any other link.
"""

from __future__ import annotations

import logging
import posixpath
import re
from typing import Any, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap

from crawler.encoding import fix_encoding
from crawler.items import JobAd, new_ad
from crawler.jobposting import JOBPOSTING_MARKER, page_postings, posting_fields
from crawler.spiders.base import SourceSpider
from crawler.urls import absolute, external_id_for, url_hash

log = logging.getLogger(__name__)
UNREADABLE = "dropped/unreadable_structured_data"

# Links to these are never pages with ads.
_SKIP_EXTENSIONS = (
    ".css",
    ".js",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
    ".ico",
    ".pdf",
    ".zip",
    ".woff",
    ".woff2",
    ".mp4",
    ".webp",
)


def _scope(url: str) -> str:
    """The folder a start URL lives in: links outside it are not followed."""
    parts = urlsplit(url)
    folder = parts.path if parts.path.endswith("/") else posixpath.dirname(parts.path)
    folder = folder if folder.endswith("/") else folder + "/"  # a root page's folder is "/", not "//"
    return f"{parts.scheme}://{parts.netloc}{folder}"


def is_sitemap(response: Response) -> bool:
    """True for XML sitemaps and sitemap indexes (by content, not by name)."""
    head = response.body[:500].lstrip().lower()
    return (head.startswith(b"<?xml") or head.startswith(b"<urlset") or head.startswith(b"<sitemapindex")) and (
        b"<urlset" in response.body[:2000].lower() or b"<sitemapindex" in response.body[:2000].lower()
    )


class JsonLdSpider(SourceSpider):
    """JobPosting pages: listings, sitemaps and detail pages."""

    kind = "jsonld"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ad_urls = re.compile(self.source.ad_urls) if self.source.ad_urls else None
        self.unreadable_sampled: set[str] = set()

    def start_meta(self, url: str) -> dict[str, Any]:
        return {"scope": _scope(url)}

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Sitemap, page with postings, or listing page."""
        scope = response.meta.get("scope") or _scope(response.url)
        if is_sitemap(response):
            yield from self.parse_sitemap(response, scope)
            return
        if not isinstance(response, TextResponse):
            self.count("dropped/not_html")
            return
        response = fix_encoding(response, self.source.encoding)
        ads = list(self.parse_postings(response))
        if ads:
            yield from ads
            # Some sites put every posting of a listing page in its JSON-LD: keep paging.
            for href in response.css("a[rel~=next]::attr(href), link[rel~=next]::attr(href)").getall():
                if request := self.request(self.link(response, href), meta={"listing": True, "scope": scope}):
                    yield request
            return
        if not response.meta.get("listing"):
            return
        yield from self.follow_links(response, scope)

    def parse_sitemap(self, response: Response, scope: str) -> Iterator[scrapy.Request]:
        try:
            sitemap = Sitemap(response.body)
        except Exception:  # lxml raises several types on garbage
            self.count("dropped/broken_sitemap")
            return
        listing = sitemap.type == "sitemapindex"
        for entry in sitemap:
            loc = entry.get("loc")
            if loc and (request := self.request(loc, meta={"listing": listing, "scope": scope})):
                yield request

    def follow_links(self, response: TextResponse, scope: str) -> Iterator[scrapy.Request]:
        for href in response.css("a::attr(href)").getall():
            url = self.link(response, href)
            if not url.startswith(scope) or urlsplit(url).path.lower().endswith(_SKIP_EXTENSIONS):
                continue
            if request := self.request(url, meta={"listing": True, "scope": scope}):
                yield request

    def parse_postings(self, response: TextResponse) -> Iterator[JobAd]:
        """Every JobPosting on a detail page, as JobAds; broken JSON-LD counted, and a page that
        names JobPosting but gives none counted as unreadable (its yield is the source's health)."""
        reading = page_postings(response.selector)
        if reading.broken:
            self.count("dropped/broken_jsonld", reading.broken)
        if reading.postings:
            self.count("structured/ad_pages")
            self.count("structured/ads", len(reading.postings))
        elif JOBPOSTING_MARKER in response.text:
            self.unreadable(response.url, reading.reason())
        elif self.ad_urls is not None and self.ad_urls.search(response.url):
            self.unreadable(response.url, "no_structured_data")  # an ad page by its URL, no JobPosting at all
        many = len(reading.postings) > 1
        for index, posting in enumerate(reading.postings):
            yield ad_from_posting(self.source.name, response, posting, index if many else None)

    def unreadable(self, url: str, reason: str) -> None:
        """Count a page that looks like an ad page but gave no ad; log one sample URL per reason."""
        self.count("structured/ad_pages")
        self.count(UNREADABLE)
        self.count(f"{UNREADABLE}/{reason}")
        if reason not in self.unreadable_sampled:
            self.unreadable_sampled.add(reason)
            log.warning("%s: structured data unreadable (%s), e.g. %s", self.name, reason, url[:300])


def ad_from_posting(source: str, response: TextResponse, posting: dict[str, Any], index: int | None = None) -> JobAd:
    """A JobAd from one JobPosting found on ``response`` (``index`` when the page has several)."""
    fields = posting_fields(posting)
    own_url = fields.pop("url")
    url = (absolute(response, own_url) if own_url else "") or response.url
    site_id = fields.pop("site_id")
    if site_id:
        external_id = site_id
    elif index is not None and url == response.url:  # several postings share the page URL
        external_id = f"{url_hash(url)}#{index}"
    else:
        external_id = external_id_for(url)
    return new_ad(
        source=source, url=url, external_id=external_id, fetched_at=SourceSpider.fetched_at(response), **fields
    )
