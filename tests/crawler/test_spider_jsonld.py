"""The JSON-LD spider on saved pages (tests/fixtures/crawler), no reactor, no network."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.spiders.jsonld import JsonLdSpider, is_sitemap
from tests.crawler.spiderkit import make, split, stat


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


def test_a_posting_in_both_jsonld_and_microdata_is_one_ad(saved_page):
    microdata = saved_page("microdata.html", "http://jobs.example/jobs/driver-1234")
    jsonld = saved_page("jsonld_graph.html").xpath("//script[@type='application/ld+json']").get()
    both = microdata.replace(body=microdata.body.replace(b"</head>", jsonld.encode() + b"</head>"))
    [ad] = split(make(JsonLdSpider).parse(both))[0]
    assert ad["title"] == "Backend engineer"  # the JSON-LD one: plugins that write both describe one posting


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
