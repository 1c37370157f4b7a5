"""Spider for job boards without structured data, driven by selectors from the config.

Selectors are CSS, or XPath when they start with "/" or "(". ``ad_links`` finds
the ads on a listing page, ``next_page`` the next listing page; the other
selectors read fields from an ad's page. Korean boards often serve EUC-KR/CP949,
sometimes without declaring it (crawler.encoding fixes both cases). Paging stops
at a listing page that holds only ads already stored: a nightly crawl of a
board with years of history reads only what is new.
"""

from __future__ import annotations

from typing import Any, Iterator

import scrapy
from parsel import Selector, SelectorList
from scrapy.http import Response, TextResponse

from core.ad import PAGE_FIELDS
from crawler.encoding import fix_encoding
from crawler.items import JobAd, new_ad
from crawler.spiders.base import SourceSpider
from crawler.text import country_code, drop_not_text, find_country
from crawler.urls import absolute, external_id_for

# Fields whose selector may pick an element: keep its markup (normalise strips it).
_HTML_FIELDS = ("description",)


def select(selector: Selector | TextResponse, query: str) -> SelectorList:
    """CSS or XPath (when the query starts with "/" or "(")."""
    if query.lstrip().startswith(("/", "(")):
        return selector.xpath(query)
    return selector.css(query)


def select_text(selector: Selector | TextResponse, query: str | None, markup: bool = False) -> str:
    """All matches joined by line breaks; element matches as HTML when ``markup``."""
    if not query:
        return ""
    values = []
    for match in select(selector, query):
        if markup or isinstance(match.root, str):
            values.append(match.get())
        else:
            values.append(" ".join(match.xpath(".//text()").getall()))
    return "\n".join(v for v in values if v and v.strip())


class BoardSpider(SourceSpider):
    """Listing pages -> ad pages, fields from configured selectors."""

    kind = "board"

    def parse(self, response: Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        """A listing page: follow its ads, then the next page unless all were seen."""
        if not isinstance(response, TextResponse):
            self.count("dropped/not_html")
            return
        response = fix_encoding(response, self.source.encoding)
        sel = self.source.selectors
        links = [
            url for h in select(response, sel["ad_links"]).getall() if h.strip() and (url := self.link(response, h))
        ]
        if not links:
            self.count("board/empty_listing")
        for url in links:
            if request := self.request(url, callback=self.parse_ad):
                yield request
        ids = {external_id_for(u) for u in links}
        if links and ids <= self.known_ids:
            self.count("board/stopped_at_seen")
            self.mark_incomplete("stopped_at_seen")
            return
        next_page = select_text(response, sel.get("next_page")).split("\n")[0].strip()
        if next_page and (request := self.request(self.link(response, next_page), meta={"listing": True})):
            yield request

    def parse_ad(self, response: Response, **kwargs: Any) -> Iterator[JobAd]:
        """One ad page."""
        if not isinstance(response, TextResponse):
            self.count("dropped/not_html")
            return
        response = fix_encoding(response, self.source.encoding)
        drop_not_text(response.selector)  # a field's text is what a reader sees, never script or style
        yield ad_from_page(self.source.name, response, self.source.selectors)
        self.count("board/ads_read")


def ad_from_page(source: str, response: TextResponse, selectors: Any) -> JobAd:
    """A JobAd from an ad page using the source's selectors; missing fields stay empty."""
    fields = {
        name: select_text(response, selectors.get(name), markup=name in _HTML_FIELDS)
        for name in PAGE_FIELDS
        if name not in ("posted_at", "contacts")  # read below
    }
    fields["title"] = fields["title"].split("\n")[0]
    country = fields.pop("country")
    links = select(response, selectors["contacts"]).getall() if selectors.get("contacts") else []
    links = [url for u in links if (url := absolute(response, u))]
    return new_ad(
        source=source,
        url=response.url,
        external_id=external_id_for(response.url),
        posted_at=select_text(response, selectors.get("posted_at")).split("\n")[0] or None,
        country=country_code(country) or find_country(country, fields["location"]),
        contacts={"url": links},
        fetched_at=SourceSpider.fetched_at(response),
        **fields,
    )
