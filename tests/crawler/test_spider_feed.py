"""The feed spider on saved pages (tests/fixtures/crawler), no reactor, no network."""

from __future__ import annotations

from scrapy.http import HtmlResponse

from crawler.spiders.feed import FeedSpider, parse_feed
from tests.crawler.spiderkit import make, split, stat


def test_rss_entries(saved_page):
    kind, ads = parse_feed("f", saved_page("rss.xml", "http://jobs.example/rss"))
    assert kind == "rss" and len(ads) == 2
    assert ads[0]["external_id"] == "rss-1" and ads[0]["company"] == "익명"
    assert "텔레 @rss_recruit" in ads[0]["description"]
    assert ads[1]["url"] == "http://jobs.example/feed/missing.html"
    assert ads[1]["external_id"].startswith("u:")


def test_atom_entries(saved_page):
    kind, [ad] = parse_feed("f", saved_page("atom.xml", "http://jobs.example/atom"))
    assert kind == "atom" and ad["external_id"] == "urn:job:77"
    assert ad["url"] == "http://jobs.example/atom/77" and ad["company"] == "Han Coffee"


def test_feed_follow_links_uses_jsonld_and_keeps_entry_on_plain_page(saved_page):
    spider = make(FeedSpider, follow_links=True)
    _, requests = split(spider.parse(saved_page("rss.xml", "http://jobs.example/rss")))
    assert len(requests) == 2
    entry = requests[0].cb_kwargs["entry"]
    [ad] = split(spider.parse_detail(saved_page("jsonld_graph.html", requests[0].url), entry=entry))[0]
    assert ad["external_id"] == "rss-1" and ad["company"] == "Mekong Digital"
    plain = HtmlResponse(requests[1].url, body=b"<html><body>no data</body></html>")
    [kept] = split(spider.parse_detail(plain, entry=requests[1].cb_kwargs["entry"]))[0]
    assert kept["title"] == "Accountant, Hanoi"


def test_not_a_feed_is_counted():
    spider = make(FeedSpider)
    assert split(spider.parse(HtmlResponse("http://x/", body=b"<html><body>hi</body></html>"))) == ([], [])
    assert stat(spider, "dropped/not_a_feed") == 1
