"""Spider for RSS 2.0 and Atom feeds of job ads.

Each entry is an ad. With ``follow_links`` the spider also fetches the entry's
page and, when it carries a schema.org JobPosting, uses it (richer fields:
company, salary, location); otherwise, or when the page fails, the feed entry
itself is the ad, so a dead link never loses an entry.
"""

from __future__ import annotations

from typing import Any, Iterator

from parsel import Selector
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from core.ad import PAGE_FIELDS
from crawler.encoding import fix_encoding
from crawler.items import JobAd, new_ad
from crawler.jobposting import page_postings
from crawler.spiders.base import SourceSpider
from crawler.spiders.jsonld import ad_from_posting
from crawler.urls import absolute, external_id_for


def _text(node: Selector, *queries: str) -> str:
    for query in queries:
        value = node.xpath(query).get()
        if value and value.strip():
            return value.strip()
    return ""


def parse_feed(source: str, response: Response) -> tuple[str, list[JobAd]]:
    """(feed kind "rss"/"atom"/"", ads) from a feed document; "" when it is not a feed."""
    try:
        sel = Selector(
            text=response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace"),
            type="xml",
        )
    except (ValueError, TypeError):
        return "", []
    sel.remove_namespaces()
    ads = []
    if sel.xpath("/rss|/rdf:RDF|/RDF", namespaces={"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}):
        kind = "rss"
        for item in sel.xpath("//item"):
            link = absolute(response, _text(item, "link/text()", "guid[not(@isPermaLink='false')]/text()"))
            guid = _text(item, "guid/text()")
            ads.append(
                _entry_ad(
                    source,
                    response,
                    link,
                    guid,
                    item,
                    ("encoded/text()", "description/text()"),
                    ("pubDate/text()", "date/text()"),
                )
            )
    elif sel.xpath("/feed"):
        kind = "atom"
        for entry in sel.xpath("//entry"):
            link = absolute(
                response, _text(entry, "link[@rel='alternate']/@href", "link[not(@rel)]/@href", "link/@href")
            )
            ads.append(
                _entry_ad(
                    source,
                    response,
                    link,
                    _text(entry, "id/text()"),
                    entry,
                    ("content/text()", "summary/text()"),
                    ("published/text()", "updated/text()"),
                )
            )
    else:
        return "", []
    return kind, ads


def _entry_ad(
    source: str,
    response: Response,
    link: str,
    guid: str,
    node: Selector,
    text_queries: tuple[str, ...],
    date_queries: tuple[str, ...],
) -> JobAd:
    url = link or response.url
    return new_ad(
        source=source,
        url=url,
        external_id=guid or external_id_for(url),
        title=_text(node, "title/text()"),
        description=_text(node, *text_queries),
        company=_text(node, "author/name/text()", "creator/text()", "author/text()"),
        location=_text(node, "location/text()"),
        posted_at=_text(node, *date_queries) or None,
        fetched_at=SourceSpider.fetched_at(response),
        extra={"feed_categories": node.xpath("category/text()|category/@term").getall()},
    )


class FeedSpider(SourceSpider):
    """RSS/Atom entries as ads, optionally enriched from the entry's page."""

    kind = "feed"

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        kind, ads = parse_feed(self.source.name, response)
        if not kind:
            self.count("dropped/not_a_feed")
            self.mark_incomplete("not_a_feed")
            return
        self.count(f"feed/{kind}_entries", len(ads))
        for ad in ads:
            request = None
            if self.source.follow_links and ad["url"] != response.url:
                request = self.request(
                    ad["url"],
                    callback=self.parse_detail,
                    errback=self.detail_failed,
                    cb_kwargs={"entry": ad},
                    meta={"entry": ad},
                )
            yield request or ad  # an entry whose page cannot be fetched is still an ad

    def parse_detail(self, response: Response, entry: JobAd, **kwargs: Any) -> Iterator[JobAd]:
        """The entry's page: its JobPosting when it has one, else the entry as it was."""
        if isinstance(response, TextResponse):
            response = fix_encoding(response, self.source.encoding)
            reading = page_postings(response.selector)
            if reading.broken:
                self.count("dropped/broken_jsonld", reading.broken)
            if reading.postings:
                ad = ad_from_posting(self.source.name, response, reading.postings[0])
                for name in PAGE_FIELDS:  # what the page lacks, the entry may have
                    if not ad[name] and entry[name]:
                        ad[name] = entry[name]
                ad["external_id"] = entry["external_id"]  # the feed's id is the stable one
                ad["extra"] = {**entry["extra"], **ad["extra"], "from_jsonld": True}
                self.count("feed/enriched_from_jsonld")
                yield ad
                return
        yield entry

    def detail_failed(self, failure: Failure) -> Iterator[JobAd]:
        """Count the failure, keep the entry."""
        self.on_error(failure)
        entry = failure.request.meta.get("entry")
        if entry is not None:
            yield entry
