"""Hostile text: a loopback site serves the ads of issue 23's probes 2, 3, 11, 12 and 13.

Before, one of them held the crawl's only thread for minutes or hours (catastrophic
backtracking in the contact patterns, a quadratic HTML-to-text, canonicalising a 4.9 MB
link), or lost the good posting beside it (JSON-LD nested 200,000 deep). Now the crawl
finishes well within its time limit, keeps every good ad, and counts every bad one.
"""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import create_engine, select

import pipeline
from config import load_config
from store.schema import Ad, Crawl
from tests.crawler.loopback import LoopbackServer, Page, html, jobposting_page

pytestmark = pytest.mark.slow

GOOD = "Warehouse assistant in Busan, full time, contract and insurance, apply by email."
KOREAN = "캄보디아 고수익 해외 취업, 숙식 제공, 텔레그램 문의"


def _posting(ad_id: str, **fields: object) -> str:
    data = {"@context": "https://schema.org", "@type": "JobPosting", "identifier": ad_id, "title": f"Job {ad_id}"}
    data.update(fields)
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def build_site(site: LoopbackServer) -> None:
    p = site.pages
    p["/robots.txt"] = Page(b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
    links = ["good1", "good2", "p2", "p3", "p3small", "p11", "p12url", "p12company", "p13"]
    p["/index.html"] = html("".join(f'<a href="/ads/{name}.html">{name}</a>' for name in links))
    p["/ads/good1.html"] = jobposting_page(1, "Job good1", f"<p>{GOOD} One.</p>")
    p["/ads/good2.html"] = jobposting_page(2, "Job good2", f"<p>{GOOD} Two.</p>")
    # Probe 2: 128 s at 28 separators, doubling with each; here 20,000 of them.
    p["/ads/p2.html"] = html("x", head=_posting("p2", description="Contact telegram" + " - " * 20_000 + "!"))
    # Probe 3: a company name of 1.2 MB of unclosed tags (hours before), and one of 8,000
    # characters, under the cap, that is read as text.
    p["/ads/p3.html"] = html("x", head=_posting("p3", description=GOOD, hiringOrganization={
        "name": "<p>x</p>" + "<a" * 600_000}))  # fmt: skip
    p["/ads/p3small.html"] = html("x", head=_posting("p3small", description=GOOD, hiringOrganization={
        "name": "<p>Harbour</p>" + "<a" * 4_000}))  # fmt: skip
    # Probe 11: JSON-LD nested 200,000 deep beside a valid posting on the same page.
    deep = '<script type="application/ld+json">' + "[" * 200_000 + "]" * 200_000 + "</script>"
    p["/ads/p11.html"] = html("x", head=deep + _posting("p11", description=f"<p>{GOOD} Beside a bomb.</p>"))
    # Probe 12: a 1 MB URL and a 2 MB company.
    p["/ads/p12url.html"] = html("x", head=_posting("p12url", description=GOOD, url="/ads/" + "u" * 1_000_000))
    p["/ads/p12company.html"] = html("x", head=_posting("p12company", description=GOOD, hiringOrganization={
        "name": "Harbour " * 250_000}))  # fmt: skip
    # Probe 13: CP949 Korean sent as charset=utf-8.
    body = f"<html><head>{_posting('p13', description=KOREAN)}</head><body>x</body></html>"
    p["/ads/p13.html"] = Page(body.encode("cp949"), headers={"Content-Type": "text/html; charset=utf-8"})
    # Probe 12 again: a feed whose one entry links to 4.9 MB of URL, beside a good entry.
    items = [("g", f"{site.url}/ads/good1.html"), ("huge", "http://127.0.0.1/" + "l" * 4_900_000)]
    rss = "".join(
        f'<item><title>Feed job {g}</title><link>{link}</link><guid isPermaLink="false">{g}</guid>'
        f"<description>{GOOD}</description></item>"
        for g, link in items
    )
    p["/feed.xml"] = Page(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>jobs</title>{rss}</channel></rss>'.encode(),
        headers={"Content-Type": "application/rss+xml"},
    )


@pytest.fixture
def site():
    server = LoopbackServer("127.0.0.1")
    build_site(server)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_a_crawl_of_hostile_text_finishes_keeps_the_good_ads_and_counts_the_bad(site, write_config, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'h.db'}"
    path = write_config(
        {
            "database": {"url": db_url},
            "logging": {"dir": "logs"},
            "crawl": {
                "autothrottle": False,
                "download_delay": 0,
                "download_timeout": 20,
                "retry_times": 0,
                "max_response_bytes": 6_000_000,
                "max_minutes_per_source": 2,
                "allow_private_addresses": True,
            },
            "sources": [
                {"name": "web", "kind": "jsonld", "start_urls": [f"{site.url}/index.html"]},
                {"name": "feed", "kind": "feed", "start_urls": [f"{site.url}/feed.xml"]},
            ],
        }
    )
    assert pipeline.main(["crawl", "-q", "--config", str(path)]) == 0

    engine = create_engine(load_config(path).database.url)
    with engine.connect() as conn:
        ads = {(a.source, a.external_id): a for a in conn.execute(select(Ad)).all()}
        crawls = {c.source: c for c in conn.execute(select(Crawl)).all()}
    engine.dispose()
    web = {i for s, i in ads if s == "web"}
    assert web == {"1", "2", "p2", "p3small", "p11", "p13"}
    assert {i for s, i in ads if s == "feed"} == {"g"}
    assert ads[("web", "p13")].description == KOREAN  # read as CP949, not mojibake
    assert ads[("web", "p3small")].company.startswith("Harbour")
    assert ads[("web", "p11")].description.startswith(GOOD)
    details = crawls["web"].counts["details"]
    assert details["dropped/broken_jsonld"] == 1  # the 200,000-deep block
    assert details["dropped/absurd_length/company"] == 2  # probe 3's and probe 12's
    assert details["dropped/absurd_length/url"] == 1
    assert crawls["web"].counts["details"].get("dropped/too_slow", 0) == 0
    assert crawls["feed"].counts["details"]["dropped/absurd_length/url"] == 1
    # Complete: neither source was stopped by its 2-minute limit (a stopped crawl is incomplete).
    assert all(c.complete for c in crawls.values())


class SlowPipeline:
    """A pipeline that holds the crawl's thread for 0.2 s on every ad, as a slow one would (the
    sleep is the slow work under test, not a wait for something)."""

    def process_item(self, item, spider=None):
        time.sleep(0.2)
        return item


def test_the_time_limit_holds_while_a_pipeline_works(write_config, tmp_path):
    """max_minutes_per_source fires between ads: a crawl of 300 ads that its pipeline would
    take a minute on stops at its 3-second limit, not at the end."""
    from crawler.run import CrawlJob
    from crawler.settings import ITEM_PIPELINES
    from stages.crawling import run_child

    server = LoopbackServer("127.0.0.1")
    server.pages["/index.html"] = html("".join(f'<a href="/ads/{i}.html">{i}</a>' for i in range(300)))
    for i in range(300):
        server.pages[f"/ads/{i}.html"] = jobposting_page(i, f"Job {i}", f"<p>{GOOD} Number {i}.</p>")
    server.start()
    try:
        path = write_config(
            {
                "database": {"url": f"sqlite:///{tmp_path / 't.db'}"},
                "crawl": {
                    "obey_robots": False,
                    "autothrottle": False,
                    "download_delay": 0,
                    "max_minutes_per_source": 0.05,
                    "allow_private_addresses": True,
                },  # fmt: skip
                "sources": [{"name": "web", "kind": "jsonld", "start_urls": [f"{server.url}/index.html"]}],
            }
        )
        pipelines = {**ITEM_PIPELINES, f"{__name__}.SlowPipeline": 450}
        results = run_child(load_config(path), [CrawlJob("web")], overrides={"ITEM_PIPELINES": pipelines})
    finally:
        server.stop()
    stats = results["web"]["stats"]
    assert stats["finish_reason"] == "closespider_timeout"
    assert stats.get("item_scraped_count", 0) < 200  # 300 ads would take the pipeline 60 s
    # Never all 300: the limit fired between ads (the ads already fetched are finished first).
