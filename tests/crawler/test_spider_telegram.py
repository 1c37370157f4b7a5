"""The Telegram spider on saved pages (tests/fixtures/crawler), no reactor, no network."""

from __future__ import annotations

from crawler.spiders.telegram import TelegramSpider, channel_url, parse_views
from tests.crawler.spiderkit import make, split, stat


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


def test_telegram_message_ids_no_column_holds_are_dropped_not_crashing():
    from scrapy.http import HtmlResponse

    posts = ["c/7", "c/99999999999999999999", "c/2147483648", "c/²", "c/١٢", "c/-3", "c/0", "c/", "c/6"]
    body = '<section class="tgme_channel_history">' + "".join(
        f'<div class="tgme_widget_message" data-post="{p}"><div class="tgme_widget_message_text">'
        f"Job {i}<script>steal()</script></div></div>"
        for i, p in enumerate(posts)
    )
    spider = make(TelegramSpider, channels=("c",), start_urls=())
    response = HtmlResponse("https://t.me/s/c", body=(body + "</section>").encode())
    items, requests = split(spider.parse(response, channel="c"))
    assert [a["external_id"] for a in items] == ["c/7", "c/6"]
    assert stat(spider, "dropped/bad_message_id") == 7
    assert spider.progress["c"]["newest_id"] == 7
    assert all("steal" not in a["description"] for a in items)
    assert [r.url for r in requests] == ["https://t.me/s/c?before=6"]
