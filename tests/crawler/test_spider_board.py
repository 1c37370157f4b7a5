"""The board spider on saved pages (tests/fixtures/crawler), no reactor, no network."""

from __future__ import annotations

from types import MappingProxyType

from scrapy.http import HtmlResponse

from crawler.spiders.board import BoardSpider, ad_from_page, select_text
from tests.crawler.spiderkit import make, split, stat

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


def _board_page(selectors: dict, url: str, body: str):
    """A board spider on ``selectors`` and an HTML page of ``body`` at ``url``."""
    spider = make(BoardSpider, selectors={"title": "h1", "description": "div", "ad_links": "a", **selectors})
    return spider, HtmlResponse(url, body=f"<html><body>{body}</body></html>".encode())


def test_board_fields_are_the_text_a_reader_sees():
    spider, response = _board_page(
        {"company": "span.company", "description": "div.content"},
        "http://jobs.example/view?no=1",
        "<h1>Cook<script>document.write('steal')</script></h1>"
        "<span class='company'>Harbour<style>.x{}</style> Grill<noscript>steal</noscript></span>"
        "<div class='content'>Kitchen work &lt;script&gt;steal()&lt;/script&gt;<script>steal()</script></div>",
    )
    [ad] = list(spider.parse_ad(response))
    assert ad["title"] == "Cook" and " ".join(ad["company"].split()) == "Harbour Grill"
    assert "<script>" not in ad["description"].replace("&lt;script&gt;", "")  # the element is gone
    from crawler.pipelines.normalise import NormalisePipeline

    assert "steal" not in NormalisePipeline().process_item(ad)["description"]


def test_a_link_that_is_no_url_does_not_cost_the_rest_of_the_listing():
    spider, response = _board_page(
        {"ad_links": "a.ad::attr(href)", "next_page": "a.next::attr(href)"},
        "http://jobs.example/list",
        '<a class="ad" href="javascript:go(1)">j</a><a class="ad" href="mailto:a@b.example">m</a>'
        '<a class="ad" href="http://[::1/x">broken</a><a class="ad" href="/view?no=5">ok</a>'
        '<a class="next" href="/list?page=2">next</a>',
    )
    _, requests = split(spider.parse(response))
    assert [r.url for r in requests] == ["http://jobs.example/view?no=5", "http://jobs.example/list?page=2"]
    assert stat(spider, "refused/not_a_url") == 3
