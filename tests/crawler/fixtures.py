"""Crawler fixtures (loaded by tests/conftest.py for every test): saved pages as responses,
a loopback site, fast crawl configs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse

from config import Config, load_config
from tests.crawler.loopback import LoopbackServer, Page, html, jobposting_page

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "crawler"

TELEGRAM_PAGE = 20


@pytest.fixture
def saved_page() -> Callable[..., TextResponse]:
    """A response built from a saved page in tests/fixtures/crawler (City Bureau style)."""

    def _build(
        name: str,
        url: str = "http://jobs.example/page",
        headers: dict[str, str] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> TextResponse:
        body = (FIXTURES / name).read_bytes()
        cls = XmlResponse if name.endswith(".xml") else HtmlResponse
        request = Request(url, meta=meta or {})
        return cls(url=url, body=body, headers=headers or {}, request=request)

    return _build


def board_page(body: str) -> Page:
    """An EUC-KR page that declares no charset anywhere (the case Scrapy gets wrong)."""
    doc = f"<html><head><title>게시판</title></head><body>{body}</body></html>"
    return Page(doc.encode("cp949"), headers={"Content-Type": "text/html"})


def telegram_message(channel: str, message_id: int, text: str) -> str:
    return (
        f'<div class="tgme_widget_message_wrap"><div class="tgme_widget_message" data-post="{channel}/{message_id}">'
        f'<div class="tgme_widget_message_text">{text}</div>'
        f'<span class="tgme_widget_message_views">{message_id * 10}</span>'
        f'<a class="tgme_widget_message_date" href="https://t.me/{channel}/{message_id}">'
        f'<time datetime="2026-11-20T10:{message_id % 60:02d}:00+00:00">10:00</time></a></div></div>'
    )


def build_site(server: LoopbackServer) -> None:
    """The loopback site: a clean JSON-LD board, a rough one, a Korean board, Telegram, feeds."""
    p = server.pages
    p["/robots.txt"] = Page(
        b"User-agent: *\nDisallow: /jobs/private/\nDisallow: /board/admin\n", headers={"Content-Type": "text/plain"}
    )
    # Clean JSON-LD board: 2 listing pages, 6 ads, a robots-disallowed page, broken pages.
    p["/jobs/index.html"] = html(
        "".join(f'<a href="job-{i}.html">ad {i}</a>' for i in range(1, 5))
        + '<a href="private/secret.html">secret</a><a class="next" rel="next" href="page-2.html">next</a>'
    )
    p["/jobs/page-2.html"] = html(
        "".join(f'<a href="job-{i}.html">ad {i}</a>' for i in range(5, 7))
        + '<a href="broken.html">broken</a><a href="malformed.html">malformed</a>'
        + '<a href="index.html">first</a>'
    )
    for i in range(1, 7):
        risky = i % 3 == 0
        text = (
            f"<p>캄보디아 고수익 채팅 상담, 경험 무관, 항공권 숙소 제공. 텔레그램 @recruit_{i}</p>"
            if risky
            else f"<p>Warehouse assistant number {i}, full time, contract and insurance.</p>"
        )
        p[f"/jobs/job-{i}.html"] = jobposting_page(i, f"Job {i}", text)
    p["/jobs/private/secret.html"] = jobposting_page(99, "Secret", "Must never be crawled.")
    p["/jobs/broken.html"] = html(
        "<p>cut off</p>", head='<script type="application/ld+json">{"@type": "JobPosting", "title": "x",</script>'
    )
    p["/jobs/malformed.html"] = Page(
        b'<html><head><script type="application/ld+json">{"@type":"JobPosting","title":"","description":" "}'
        b'</script><body><div><p>unclosed <b><i>tags</div></td></html',
        headers={"Content-Type": "text/html"},
    )
    # Rough board: every failure shape, plus one good ad behind a redirect.
    p["/errs/index.html"] = html(
        "".join(
            f'<a href="{n}">{n}</a>'
            for n in ("gone.html", "boom.html", "slow.html", "timeout.html", "big.html", "moved.html", "busy.html")
        )
    )
    p["/errs/boom.html"] = Page(b"server error", status=500)
    p["/errs/slow.html"] = jobposting_page(201, "Slow but fine", "<p>Cleaner at a hotel in Siem Reap, day shift.</p>")
    p["/errs/slow.html"].delay = 0.4
    p["/errs/timeout.html"] = jobposting_page(202, "Too slow", "<p>never arrives in time</p>")
    p["/errs/timeout.html"].delay = 10.0
    p["/errs/big.html"] = Page(b"<html><body>" + b"x" * 10_000_000 + b"</body></html>")
    p["/errs/moved.html"] = Page(b"", status=302, headers={"Location": "/errs/target.html"})
    p["/errs/target.html"] = jobposting_page(
        203, "Moved ad", "<p>Receptionist in Vientiane, Lao language a plus.</p>", "LA"
    )
    server.routes["/errs/busy.html"] = lambda q: (
        Page(b"slow down", status=429, headers={"Retry-After": "0"})
        if server.counter.get("/errs/busy.html", 0) == 1
        else jobposting_page(204, "After a 429", "<p>Driver in Bangkok with own licence, weekdays.</p>", "TH")
    )
    # Korean board in EUC-KR/CP949 without a declared charset; 3 listing pages of 2 ads.
    server.routes["/board/list.php"] = lambda q: _board_list(int(q.get("page", ["1"])[0]))
    server.routes["/board/view.php"] = lambda q: _board_view(int(q.get("wr_id", ["0"])[0]))
    # Telegram previews: one public channel of 45 messages, one without a preview.
    server.routes["/s/lurejobs"] = lambda q: _telegram(server, "lurejobs", q)
    p["/s/closed"] = Page(b"", status=302, headers={"Location": "/closed"})
    p["/closed"] = Page((FIXTURES / "telegram_join.html").read_bytes())
    # Feeds: RSS whose entries link to a JSON-LD page and to a missing page; Atom.
    p["/feed/rss.xml"] = Page(
        (FIXTURES / "rss.xml").read_bytes().replace(b"http://jobs.example", server.url.encode()),
        headers={"Content-Type": "application/rss+xml"},
    )
    p["/feed/atom.xml"] = Page((FIXTURES / "atom.xml").read_bytes(), headers={"Content-Type": "application/atom+xml"})
    p["/feed/job-1.html"] = jobposting_page(
        301, "해외 고수익 알바 (캄보디아)", "<p>경험 무관, 항공권 제공. 텔레 @rss_recruit</p>", company="Golden Bay Co"
    )


BOARD_ADS = {
    1: ("식당 홀 서빙 구합니다", "<p>주 5일 근무, 4대 보험. 연락처 02-333-4444</p>"),
    2: ("캄보디아 고수익 알바 모집 (숙소 제공)", "<p>경험 무관 똠얌꿍 맛집 옆 사무실. 카톡 ID: kh_boss01</p>"),
    3: ("물류센터 야간 상하차", "<p>일급 지급, 셔틀 운행.</p>"),
    4: ("태국 파타야 마케팅 사무직", "<p>타자만 가능하면 OK, 항공권 지원. 텔레 @pattaya_office</p>"),
    5: ("카페 바리스타", "<p>경력 1년 이상 우대.</p>"),
    6: ("편의점 주말 알바", "<p>토, 일 오전 근무.</p>"),
}


def _board_list(page: int) -> Page:
    ids = [8 - 2 * page, 7 - 2 * page]
    rows = "".join(
        f'<tr><td class="subject"><a href="view.php?bo_table=job&amp;wr_id={i}">{BOARD_ADS[i][0]}</a></td></tr>'
        for i in ids
    )
    nav = f'<a class="pg_next" href="list.php?bo_table=job&amp;page={page + 1}">다음</a>' if page < 3 else ""
    return board_page(f'<table>{rows}</table><div class="pg">{nav}</div><a href="admin">관리</a>')


def _board_view(wr_id: int) -> Page:
    if wr_id not in BOARD_ADS:
        return Page(b"not found", status=404)
    title, body = BOARD_ADS[wr_id]
    return board_page(
        f'<h1 id="bo_v_title">{title}</h1><table><tr><th>근무지</th><td>캄보디아 프놈펜</td></tr>'
        f'<tr><th>급여</th><td>월 300만원</td></tr></table>'
        f'<strong class="if_date">2026.11.{10 + wr_id} 09:30</strong><div id="bo_v_con">{body}</div>'
    )


def _telegram(server: LoopbackServer, channel: str, query: dict[str, list[str]]) -> Page:
    newest = getattr(server, "telegram_newest", 45)
    before = int(query.get("before", [str(newest + 1)])[0])
    ids = [i for i in range(max(1, before - TELEGRAM_PAGE), before) if i <= newest]
    body = "".join(
        telegram_message(channel, i, f"해외 고수익 알바 {i}번 공고. 텔레 @agent_{i:03d} 경험 무관") for i in ids
    )
    return html(f'<section class="tgme_channel_history">{body}</section>')


@pytest.fixture
def site() -> Iterator[LoopbackServer]:
    """The loopback site, started for one test and stopped after."""
    server = LoopbackServer()
    build_site(server)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def crawl_config(write_config: Callable[..., Path]) -> Callable[..., Config]:
    """A config for crawling the loopback site fast: politeness off, short timeouts."""

    def _make(sources: list[dict[str, Any]], database_url: str | None = None, **crawl: Any) -> Config:
        settings = {
            "user_agent": "lurewatch-tests/0.1",
            "obey_robots": True,
            "autothrottle": False,
            "download_delay": 0,
            "download_timeout": 8,
            "retry_times": 1,
            "concurrent_requests_per_domain": 8,
            "max_response_bytes": 2_000_000,
            "removed_after_runs": 2,
            "allow_private_addresses": True,  # the loopback site
            **crawl,
        }
        return load_config(
            write_config(
                {
                    "database": {"url": database_url or "sqlite:///data/crawl.db"},
                    "logging": {"dir": "logs"},
                    "crawl": settings,
                    "sources": sources,
                }
            )
        )

    return _make
