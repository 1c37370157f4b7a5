"""The crawl's scope, rule by rule: crawler.scope's middleware, resolver check and settings.

The middleware is called directly (no reactor, no network): addresses that must never be
contacted from this machine (10.x, 169.254.169.254) appear only here, never in a crawl.
"""

from __future__ import annotations

import os

import pytest
from scrapy import Request

from config import ConfigError, SourceConfig, parse_config
from crawler.scope import (
    OutOfScope,
    PrivateAddressError,
    ScopedResolver,
    ScopeMiddleware,
    address_problem,
    download_handlers,
    source_scope,
)
from crawler.settings import scrapy_settings
from crawler.spiders.board import BoardSpider
from crawler.spiders.jsonld import JsonLdSpider
from crawler.spiders.telegram import TelegramSpider
from tests.crawler.spiderkit import make, stat


def _middleware(spider, allow_private=False):
    spider.crawler.spider = spider
    middleware = ScopeMiddleware(spider.crawler.stats, allow_private)
    middleware.crawler = spider.crawler
    middleware.spider_opened(spider)
    return middleware


def _refused(middleware, url, **kwargs) -> str:
    with pytest.raises(OutOfScope) as refused:
        result = middleware.process_request(Request(url, **kwargs))
        assert result is None, "a name to resolve: not a refusal"
    return refused.value.reason


def test_web_sources_stay_on_their_hosts_over_http(tmp_path):
    spider = make(
        JsonLdSpider, start_urls=("https://jobs.example/list",), allowed_domains=("img.cdn.example", "203.0.113.9")
    )
    mw = _middleware(spider, allow_private=True)
    for url in (
        "https://jobs.example/a/1",
        "http://jobs.example:8080/a/2",  # another port of the same host
        "https://www.jobs.example/a/3",  # a subdomain, as Scrapy's offsite rule has it
        "https://img.cdn.example/x.html",
        "http://203.0.113.9/feed",
    ):
        assert mw.process_request(Request(url)) is None, url
    assert _refused(mw, "https://other.example/a/1") == "offsite"
    assert _refused(mw, "https://jobs.example.evil.example/") == "offsite"
    assert _refused(mw, "https://other.example/a/1", dont_filter=True) == "offsite"  # Scrapy's own lets these by
    assert _refused(mw, "https://other.example/a/1", meta={"allow_offsite": True}) == "offsite"
    for url in ("file:///etc/passwd", "gopher://jobs.example/1", "ftp://jobs.example/x", "data:text/html,<p>x</p>"):
        assert _refused(mw, url) == "scheme", url
    assert stat(spider, "refused/offsite") == 4 and stat(spider, "refused/scheme") == 4
    assert stat(spider, "refused") == 8


def test_a_file_source_reads_only_under_its_folder(tmp_path):
    site, outside = tmp_path / "site", tmp_path / "outside"
    (site / "jobs").mkdir(parents=True)
    outside.mkdir()
    for path in (site / "index.html", site / "jobs" / "1.html", outside / "secret.html"):
        path.write_text("<p>x</p>")
    os.symlink(outside / "secret.html", site / "link.html")
    spider = make(JsonLdSpider, start_urls=((site / "index.html").as_uri(),))
    mw = _middleware(spider)
    assert mw.process_request(Request((site / "jobs" / "1.html").as_uri())) is None
    assert _refused(mw, (outside / "secret.html").as_uri()) == "outside_folder"
    assert _refused(mw, (site / "link.html").as_uri()) == "outside_folder"  # a symlink out
    assert _refused(mw, site.as_uri() + "/../outside/secret.html") == "outside_folder"
    assert _refused(mw, "file:///etc/passwd") == "outside_folder"
    assert _refused(mw, "http://jobs.example/a/1") == "scheme"  # a file source reads no web page


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.8.0.1:8080/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://172.16.0.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
    ],
)
def test_private_addresses_are_refused_unless_allowed(url):
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname
    spider = make(JsonLdSpider, start_urls=("http://jobs.example/",), allowed_domains=(host,))
    assert _refused(_middleware(spider), url) == "private_address"
    assert stat(spider, "refused/private_address") == 1
    assert (
        _middleware(make(JsonLdSpider, allowed_domains=(host,)), allow_private=True).process_request(Request(url))
        is None
    )


def test_a_name_is_checked_by_what_it_resolves_to():
    spider = make(JsonLdSpider, start_urls=("http://jobs.example/",))
    check = _middleware(spider).process_request(Request("http://jobs.example/a/1"))
    assert check is not None  # a coroutine: the resolver tells, off the reactor thread
    check.close()
    with pytest.raises(PrivateAddressError, match="loopback"):
        ScopedResolver._refuse_private("127.0.0.1", "jobs.example")
    with pytest.raises(PrivateAddressError, match="link-local"):
        ScopedResolver._refuse_private("169.254.169.254", "metadata.internal")
    assert ScopedResolver._refuse_private("8.8.8.8", "jobs.example") == "8.8.8.8"
    assert "non-public" in address_problem("203.0.113.7")  # documentation ranges are not the internet either


def test_address_problem():
    assert address_problem("8.8.8.8") is None and address_problem("2606:4700::1111") is None
    assert address_problem("jobs.example") is None  # a name: the resolver decides
    assert "loopback" in address_problem("127.0.0.1") and "link-local" in address_problem("169.254.169.254")
    assert "not a unicast" in address_problem("224.0.0.1")
    assert "loopback" in address_problem("::ffff:127.0.0.1") and "private" in address_problem("2002:a00:1::")


def test_scope_of_each_kind_and_the_download_handlers(tmp_path):
    telegram = SourceConfig(name="tg", kind="telegram", channels=("c",), base_url="https://t.me/s/")
    assert source_scope(telegram).domains == ("t.me",)
    board = SourceConfig(
        name="b", kind="board", start_urls=("https://board.example/list",), allowed_domains=("img.board.example",)
    )
    assert source_scope(board).domains == ("board.example", "img.board.example")
    assert download_handlers(board) == {"file": None, "data": None, "s3": None, "ftp": None}
    local = SourceConfig(name="d", kind="jsonld", start_urls=((tmp_path / "index.html").as_uri(),))
    assert download_handlers(local) == {"http": None, "https": None, "data": None, "s3": None, "ftp": None}
    assert source_scope(local).folders == (os.path.realpath(tmp_path),)
    assert make(TelegramSpider, channels=("c",), base_url="http://tg.example/s/").allowed_domains == ["tg.example"]
    assert make(BoardSpider, selectors={"ad_links": "a", "title": "h1", "description": "p"}).allowed_domains == [
        "jobs.example"
    ]


def test_settings_put_the_scope_in_front(tmp_path):
    config = parse_config({"crawl": {"allow_private_addresses": True}}, tmp_path)
    settings = scrapy_settings(config, board_source())
    assert settings["DOWNLOADER_MIDDLEWARES"] == {
        "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
        "crawler.scope.ScopeMiddleware": 50,  # before robots.txt (100): no robots.txt of another host
    }
    assert settings["TWISTED_DNS_RESOLVER"] == "crawler.scope.ScopedResolver"
    assert settings["LUREWATCH_ALLOW_PRIVATE_ADDRESSES"] is True
    assert settings["DOWNLOAD_HANDLERS"]["file"] is None
    assert parse_config({}, tmp_path).crawl.allow_private_addresses is False


def board_source() -> SourceConfig:
    return SourceConfig(
        name="b",
        kind="board",
        start_urls=("https://board.example/list",),
        selectors={"ad_links": "a", "title": "h1", "description": "p"},
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"start_urls": ["gopher://x.example/"]}, "sources[0].start_urls[0]: expected an http(s) URL"),
        ({"start_urls": ["https://x.example:abc/"]}, "sources[0].start_urls[0]: https://x.example:abc/: Port"),
        ({"start_urls": ["https://x.example/", "site/index.html"]}, "start_urls: mixes local files and web URLs"),
        ({"allowed_domains": ["https://cdn.example/"]}, "sources[0].allowed_domains[0]: expected a host name"),
        ({"allowed_domains": ["cdn.example:8080"]}, "sources[0].allowed_domains[0]: expected a host name"),
        ({"start_urls": ["site/index.html"], "allowed_domains": ["cdn.example"]}, "a source of local files"),
    ],
)
def test_config_checks_the_scope_keys(tmp_path, source, message):
    raw = {"name": "s", "kind": "jsonld", "start_urls": ["https://x.example/"], **source}
    with pytest.raises(ConfigError) as refused:
        parse_config({"sources": [raw]}, tmp_path)
    assert message in str(refused.value)


def test_config_reads_allowed_domains(tmp_path):
    raw = {"name": "s", "kind": "feed", "start_urls": ["https://x.example/rss"], "allowed_domains": ["CDN.Example."]}
    config = parse_config({"sources": [raw], "crawl": {"allow_private_addresses": True}}, tmp_path)
    assert config.sources[0].allowed_domains == ("cdn.example",) and config.crawl.allow_private_addresses
    telegram = {"name": "t", "kind": "telegram", "channels": ["c"], "base_url": "file:///etc/"}
    with pytest.raises(ConfigError, match=r"sources\[0\].base_url: expected an http\(s\) URL"):
        parse_config({"sources": [telegram]}, tmp_path)
