"""Every spider on saved pages (tests/fixtures/crawler), no reactor, no network."""

from __future__ import annotations

from types import MappingProxyType

import pytest
import scrapy
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from config import SourceConfig
from crawler.spiders.board import BoardSpider, ad_from_page, select_text
from crawler.spiders.feed import FeedSpider, parse_feed
from crawler.spiders.jsonld import JsonLdSpider, is_sitemap
from crawler.spiders.telegram import TelegramSpider, channel_url, parse_views

BOARD_SELECTORS = MappingProxyType(
    {
        "ad_links": "td.subject a::attr(href)",
        "next_page": "a.pg_next::attr(href)",
        "title": "h1#bo_v_title::text",
        "description": "div#bo_v_con",
        "location": "//th[contains(., '근무지')]/following-sibling::td[1]/text()",
        "salary": "//th[contains(., '급여')]/following-sibling::td[1]/text()",
        "posted_at": "strong.if_date::text",
    }
)


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


def test_jsonld_graph_posting_with_html_salary_location(saved_page):
    spider = make(JsonLdSpider)
    items, _ = split(spider.parse(saved_page("jsonld_graph.html", "http://jobs.example/jobs/42")))
    [ad] = items
    assert ad["external_id"] == "EX-42" and ad["title"] == "Backend engineer"
    assert ad["company"] == "Mekong Digital" and ad["country"] == "KH"
    assert ad["location"] == "Phnom Penh, KH"
    assert ad["salary"] == "USD 2,000–3,500 per MONTH"
    assert "<b>APIs</b>" in ad["description"]  # HTML is stripped by the normalise pipeline
    assert ad["posted_at"] == "2026-11-01T09:00:00+07:00"
    assert ad["extra"]["valid_through"] == "2026-12-01"


def test_jsonld_array_gives_several_postings_with_distinct_ids(saved_page):
    items, _ = split(make(JsonLdSpider).parse(saved_page("jsonld_multi.html", "http://jobs.example/sea-grill")))
    assert [a["title"] for a in items] == ["Cook", "Waiter"]
    assert items[0]["external_id"] != items[1]["external_id"]
    assert items[0]["salary"] == "2,800,000" and items[1]["salary"] == "KRW 12,000 per HOUR"
    assert items[0]["company"] == "Sea Grill" and items[0]["location"] == "Busan, South Korea"
    assert items[0]["country"] == "KR"


def test_listing_with_postings_in_jsonld_still_pages(saved_page):
    response = saved_page("jsonld_multi.html", "http://jobs.example/list?page=1")
    body = response.body.replace(b"<body>", b'<body><a rel="next" href="?page=2">next</a>')
    items, [more] = split(make(JsonLdSpider).parse(response.replace(body=body)))
    assert len(items) == 2 and more.url == "http://jobs.example/list?page=2" and more.meta["listing"]


def test_microdata_posting(saved_page):
    [ad] = split(make(JsonLdSpider).parse(saved_page("microdata.html", "http://jobs.example/jobs/driver-1234")))[0]
    assert ad["title"] == "Delivery driver" and ad["company"] == "Quick Parcel Ltd"
    assert ad["country"] == "TH" and ad["posted_at"] == "2026-11-05"
    assert "Thai driving licence" in ad["description"] and ad["external_id"] == "1234"


def test_broken_jsonld_is_counted_not_raised(saved_page):
    spider = make(JsonLdSpider)
    response = saved_page("jsonld_broken.html", "http://jobs.example/jobs/b", meta={"listing": False})
    assert split(spider.parse(response)) == ([], [])
    assert stat(spider, "dropped/broken_jsonld") == 1


def test_lenient_jsonld_comment_newline_trailing_comma(saved_page):
    [ad] = split(make(JsonLdSpider).parse(saved_page("jsonld_lenient.html")))[0]
    assert ad["title"] == "Night guard" and "line two" in ad["description"]


def test_listing_follows_links_in_scope_only():
    body = (
        b'<a href="job-1.html">1</a><a href="/elsewhere/x.html">x</a><a href="page-2.html">next</a>'
        b'<a href="style.css">css</a>'
    )
    url = "http://jobs.example/list/index.html"
    response = HtmlResponse(url, body=body, request=Request(url, meta={"listing": True}))
    _, requests = split(make(JsonLdSpider).parse(response))
    assert [r.url for r in requests] == ["http://jobs.example/list/job-1.html", "http://jobs.example/list/page-2.html"]


@pytest.mark.parametrize(
    "url",
    [
        "http://jobs.example/jobs",
        "http://jobs.example/list.html",
        "http://jobs.example/",
        "http://jobs.example",
        "http://jobs.example/jobs?page=1",
    ],
)
def test_a_listing_at_the_site_root_follows_the_whole_site(url):
    # Its folder is "/": the scope once came out as "http://jobs.example//" and such a
    # listing (e.g. https://site/jobs) followed no link at all.
    body = b'<a href="/job-1.html">1</a><a href="/careers/job-2.html">2</a><a href="https://other.example/x">x</a>'
    response = HtmlResponse(url, body=body, request=Request(url, meta={"listing": True}))
    _, requests = split(make(JsonLdSpider).parse(response))
    assert [r.url for r in requests] == ["http://jobs.example/job-1.html", "http://jobs.example/careers/job-2.html"]


def test_sitemap_index_and_sitemap(saved_page):
    spider = make(JsonLdSpider)
    index = saved_page("sitemap_index.xml", "http://jobs.example/sitemap.xml")
    assert is_sitemap(index)
    [req] = split(spider.parse(index))[1]
    assert req.url == "http://jobs.example/sitemap-jobs.xml" and req.meta["listing"]
    reqs = split(spider.parse(saved_page("sitemap.xml", "http://jobs.example/sitemap-jobs.xml")))[1]
    assert [r.url for r in reqs] == ["http://jobs.example/jobs/1.html", "http://jobs.example/jobs/2.html"]
    assert not reqs[0].meta["listing"]


# ------------------------------------------------------------------ telegram


def test_telegram_preview_messages(saved_page):
    spider = make(TelegramSpider, channels=("lurejobs",), base_url="https://t.me/s/", start_urls=())
    response = saved_page("telegram_channel.html", "https://t.me/s/lurejobs")
    items, requests = split(spider.parse(response, channel="lurejobs"))
    assert [a["external_id"] for a in items] == ["lurejobs/103", "lurejobs/102", "lurejobs/101"]
    first = items[-1]
    assert first["url"] == "https://t.me/lurejobs/101" and first["extra"]["views"] == 1200
    assert first["posted_at"] == "2026-11-19T13:15:00+00:00"
    assert first["contacts"]["url"] == ["https://t.me/cs_manager_kh"]
    assert "캄보디아 고수익" in first["description"]
    assert items[0]["extra"]["views"] == 3_000_000
    [more] = requests
    assert more.url == "https://t.me/s/lurejobs?before=101"


def test_telegram_stops_at_last_seen_id(saved_page):
    spider = make(
        TelegramSpider, channels=("lurejobs",), start_urls=(), channel_states={"lurejobs": {"last_message_id": 101}}
    )
    items, requests = split(
        spider.parse(saved_page("telegram_channel.html", "https://t.me/s/lurejobs"), channel="lurejobs")
    )
    assert [a["external_id"] for a in items] == ["lurejobs/103", "lurejobs/102"] and requests == []
    assert stat(spider, "telegram/stopped_at_last_seen") == 1


def test_telegram_channel_without_preview_is_unavailable(saved_page):
    spider = make(TelegramSpider, channels=("privatejobs",), start_urls=())
    response = saved_page("telegram_join.html", "https://t.me/privatejobs")
    assert split(spider.parse(response, channel="privatejobs")) == ([], [])
    assert spider.progress["privatejobs"]["available"] is False
    assert stat(spider, "telegram/unavailable") == 1


def test_telegram_helpers():
    assert parse_views("1.2K") == 1200 and parse_views("845") == 845 and parse_views("") is None
    assert channel_url("https://t.me/s/", "abc", 10) == "https://t.me/s/abc?before=10"


# ------------------------------------------------------------------ board


def test_board_listing_undeclared_euc_kr(saved_page):
    spider = make(BoardSpider, kind="board", selectors=BOARD_SELECTORS)
    url = "http://board.example/bbs/list.php?bo_table=job&page=1"
    _, requests = split(spider.parse(saved_page("board_list_euckr.html", url)))
    assert [r.url for r in requests] == [
        "http://board.example/bbs/view.php?bo_table=job&wr_id=3",
        "http://board.example/bbs/view.php?bo_table=job&wr_id=2",
        "http://board.example/bbs/list.php?bo_table=job&page=2",
    ]


def test_board_listing_of_seen_ads_stops_paging(saved_page):
    spider = make(BoardSpider, kind="board", selectors=BOARD_SELECTORS, known_ids={"job:2", "job:3"})
    _, requests = split(spider.parse(saved_page("board_list_euckr.html", "http://board.example/bbs/list.php")))
    assert all("view.php" in r.url for r in requests)  # ads re-read for edits, no next page
    assert stat(spider, "board/stopped_at_seen") == 1


def test_board_ad_cp949_without_charset(saved_page):
    url = "http://board.example/bbs/view.php?bo_table=job&wr_id=3"
    spider = make(BoardSpider, kind="board", selectors=BOARD_SELECTORS)
    [ad] = split(spider.parse_ad(saved_page("board_view_euckr.html", url)))[0]
    assert ad["title"] == "캄보디아 고수익 알바 모집 (숙소 제공)"
    assert "똠얌꿍" in ad["description"] and ad["location"] == "캄보디아 프놈펜"
    assert ad["country"] == "KH" and ad["salary"] == "월 800만원 이상"
    assert ad["posted_at"] == "2026.11.19 22:10" and ad["external_id"] == "job:3"


def test_board_empty_and_missing_fields_stay_empty():
    response = HtmlResponse("http://b.example/view.php?no=9", body=b"<html><body></body></html>")
    ad = ad_from_page("b", response, BOARD_SELECTORS)
    assert (ad["title"], ad["description"], ad["company"], ad["posted_at"]) == ("", "", "", None)
    assert select_text(response, None) == ""


# ------------------------------------------------------------------ feed


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


def test_spider_refuses_a_source_of_another_kind():
    from config import ConfigError

    with pytest.raises(ConfigError, match="not 'telegram'"):
        make(TelegramSpider, kind="jsonld")
