"""A hostile site, crawled in full by the nightly job: the crawl stays in scope and keeps every good ad.

The site (127.0.0.1) serves what issue 16 found and more: links to another host (a
second loopback server on 127.0.0.2 plays it, and logs every request it gets) by
sitemap <loc>, rel=next, redirect chains, meta refresh, feed entries and board
selectors; file://, gopher://, data: and javascript: links; private-range and
metadata addresses; a gzip bomb; a tarpit; control characters, lone surrogates and
a 600-character id; script in fields, raw and entity-encoded; Telegram message ids
that fit no column. A source of local files links out of its folder, through a
symlink and `..`. Private-range links appear only as links: they are off-host, so
they are refused before any connection (tests/crawler/test_scope.py checks the
address rule itself without a network).
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

import pipeline
from config import load_config
from crawler.run import CrawlJob
from stages.crawling import run_child
from store.schema import Ad, ChannelState, Crawl, Run
from tests.crawler.loopback import LoopbackServer, Page, html, jobposting_page

pytestmark = pytest.mark.slow

GOOD = "Warehouse assistant in Busan, full time, contract and insurance, apply by email."
SECRET = "LOCAL-SECRET-7731"  # text of a file on the crawler's own disk
ELSEWHERE = "OTHER-HOST-AD"  # text of every page of the other host
EVIL = "EVIL-SCRIPT"  # text of every script and style


def _jsonld_raw(ad_id: str, title: str, description_json: str, body: str = "") -> Page:
    """A JobPosting page whose description is given as raw JSON (escapes such as \\u0000 kept)."""
    block = (
        '{"@context": "https://schema.org", "@type": "JobPosting", '
        f'"identifier": {json.dumps(ad_id)}, "title": {json.dumps(title)}, "description": {description_json}, '
        '"hiringOrganization": {"@type": "Organization", "name": "Harbour Logistics"}}'
    )
    return html(f"<h1>job</h1>{body}", head=f'<script type="application/ld+json">{block}</script>', title="job")


def _sitemap(urls: list[str]) -> Page:
    locs = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    body = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
    return Page(body.encode(), headers={"Content-Type": "application/xml"})


def build_other(other: LoopbackServer) -> None:
    """The other host: real ads everywhere, so a single fetch would show in the store too."""
    for path in ("/ads/9.html", "/ads/10.html", "/landing.html", "/refreshed.html", "/feed/job-2.html"):
        other.pages[path] = jobposting_page(900 + len(path), ELSEWHERE, f"<p>{ELSEWHERE} {GOOD}</p>")
    other.pages["/board/ad-3.html"] = html(f'<h1 class="title">{ELSEWHERE}</h1><div class="content">{GOOD}</div>')
    other.pages["/board/list-2.html"] = html('<a class="ad" href="/board/ad-3.html">3</a>')
    other.pages["/robots.txt"] = Page(b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})


def build_site(site: LoopbackServer, other: LoopbackServer, secret: Path) -> None:
    p, out = site.pages, other.url
    p["/robots.txt"] = Page(b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
    # --- a JSON-LD site: listing, sitemap, ads, and every road out of scope
    p["/index.html"] = html(
        "".join(f'<a href="/ads/{i}.html">ad {i}</a>' for i in range(1, 5))
        + "".join(
            f'<a href="{u}">x</a>'
            for u in (
                "/ads/controls.html",
                "/ads/script.html",
                "/ads/longid.html",
                "/redirect/1",
                "/redirect/file",
                "/refresh.html",
                "/bomb.html",
                "/tarpit.html",
            )
        )
    )
    p["/sitemap.xml"] = _sitemap(
        [
            f"{site.url}/ads/5.html",
            secret.as_uri(),  # the crawler's own disk
            f"{out}/ads/9.html",  # another host
            f"gopher://127.0.0.1:{site.url.rsplit(':', 1)[1]}/1",
            "data:text/html;charset=utf-8,<h1>Planted</h1>",
            "http://10.0.0.1/ads/x.html",  # private range: off-host, refused before any connection
            "http://169.254.169.254/latest/meta-data/",  # cloud metadata: the same
            f"http://[::1]:{site.url.rsplit(':', 1)[1]}/ads/6.html",
        ]
    )
    for i in range(1, 6):
        p[f"/ads/{i}.html"] = jobposting_page(i, f"Job {i}", f"<p>{GOOD} Number {i}.</p>")
    # rel=next from a page with postings, to another host and to a local file
    p["/ads/1.html"] = _jsonld_raw(
        "1",
        "Job 1",
        json.dumps(f"<p>{GOOD} Number 1.</p>"),
        f'<a rel="next" href="{out}/ads/10.html">next</a><link rel="next" href="file:///etc/passwd">',
    )
    p["/ads/controls.html"] = _jsonld_raw(
        "ctl", "Cook\u0085 in\u009b Busan", json.dumps(f"Kitchen work\u0000 {GOOD}\u0007")[:-1] + ' \\ud800 done"'
    )
    p["/ads/script.html"] = _jsonld_raw(
        "scr",
        "Driver",
        json.dumps(
            f"&lt;p&gt;{GOOD}&lt;/p&gt;&lt;script&gt;alert('{EVIL}')&lt;/script&gt;<style>p {{}} /* {EVIL} */</style>"
        ),
    )
    p["/ads/longid.html"] = _jsonld_raw("L" * 600, "Porter", json.dumps(f"<p>{GOOD} Long id.</p>"))
    # redirect chain ending on another host; a redirect to a local file; meta refresh out
    p["/redirect/1"] = Page(b"", status=302, headers={"Location": "/redirect/2"})
    p["/redirect/2"] = Page(b"", status=302, headers={"Location": f"{out}/landing.html"})
    p["/redirect/file"] = Page(b"", status=302, headers={"Location": "file:///etc/passwd"})
    p["/refresh.html"] = html("wait", head=f'<meta http-equiv="refresh" content="0;url={out}/refreshed.html">')
    # a gzip bomb (10 MB of zeros in 10 KB) and a tarpit (one byte every 50 ms)
    p["/bomb.html"] = Page(
        gzip.compress(b"\0" * 10_000_000), headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}
    )
    p["/tarpit.html"] = Page(b"<html><body>" + b" " * 400 + b"</body></html>", drip=0.05)
    # --- a board: selectors that pick script, links out, a next page elsewhere
    p["/board/list.html"] = html(
        '<a class="ad" href="/board/ad-1.html">1</a><a class="ad" href="/board/ad-2.html">2</a>'
        + '<a class="ad" href="file:///etc/passwd">p</a><a class="ad" href="javascript:alert(1)">j</a>'
        + '<a class="ad" href="http://[::1/x">broken</a>'
        + f'<a class="ad" href="{out}/board/ad-3.html">3</a><a class="ad" href="mailto:x@example.org">m</a>'
        + f'<a class="next" href="{out}/board/list-2.html">next</a>'
    )
    for i in (1, 2):
        p[f"/board/ad-{i}.html"] = html(
            f'<h1 class="title">Board job {i}<script>document.write("{EVIL}")</script></h1>'
            f'<span class="company">Harbour<style>.x {{}} /* {EVIL} */</style> Logistics</span>'
            f'<div class="content">{GOOD} Board {i}. \u0085&lt;script&gt;alert("{EVIL}")&lt;/script&gt;'
            f"<noscript>{EVIL}</noscript></div>"
        )
    # --- a feed whose entries link out of scope (the entries themselves are good ads)
    items = [
        ("f1", f"{site.url}/feed/job-1.html"),
        ("f2", f"{out}/feed/job-2.html"),
        ("f3", "file:///etc/passwd"),
        ("f4", "gopher://127.0.0.1/1"),
        ("G" * 600, f"{site.url}/feed/job-5.html"),
    ]
    rss = "".join(
        f"<item><title>Feed job {i}</title><link>{link}</link><guid isPermaLink=\"false\">{guid}</guid>"
        f"<description>{GOOD} Feed {i}.</description></item>"
        for i, (guid, link) in enumerate(items, 1)
    )
    p["/feed.xml"] = Page(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>jobs</title>{rss}</channel></rss>'.encode(),
        headers={"Content-Type": "application/rss+xml"},
    )
    p["/feed/job-1.html"] = jobposting_page(501, "Feed job 1 (page)", f"<p>{GOOD} From the page.</p>")
    p["/feed/job-5.html"] = jobposting_page(505, "Feed job 5 (page)", f"<p>{GOOD} From the page.</p>")
    # --- a Telegram channel: ids no column holds, a NUL, a script
    messages = [(str(i), f"{GOOD} Message {i}.") for i in range(1, 6)]
    messages += [("6", f"{GOOD}\u0085 Message 6.<script>{EVIL}</script>"), ("99999999999999999999", GOOD)]
    messages += [("²", GOOD), ("-3", GOOD), ("0", GOOD)]
    p["/s/hostilechan"] = html(
        '<section class="tgme_channel_history">'
        + "".join(
            f'<div class="tgme_widget_message" data-post="hostilechan/{mid}">'
            f'<div class="tgme_widget_message_text">{text}</div></div>'
            for mid, text in messages
        )
        + "</section>"
    )


def build_local(folder: Path, secret: Path, site: LoopbackServer) -> Path:
    """A source of local files whose pages link out of their folder."""
    (folder / "jobs").mkdir(parents=True)
    (folder / "jobs" / "1.html").write_bytes(jobposting_page(701, "Local job", f"<p>{GOOD} Local.</p>").body)
    os.symlink(secret, folder / "jobs" / "link.html")
    (folder / "index.html").write_text(
        '<html><body><a href="jobs/1.html">1</a><a href="jobs/link.html">l</a></body></html>', encoding="utf-8"
    )
    (folder / "sitemap.xml").write_bytes(
        _sitemap([secret.as_uri(), (folder / ".." / secret.name).as_uri(), f"{site.url}/ads/1.html"]).body
    )
    return folder


@pytest.fixture
def servers(tmp_path):
    secret = tmp_path / "private" / "secret.html"
    secret.parent.mkdir()
    secret.write_bytes(jobposting_page(666, SECRET, f"<p>{SECRET} {GOOD}</p>").body)
    (tmp_path / secret.name).write_bytes(secret.read_bytes())  # also reachable as <folder>/../secret.html
    site, other = LoopbackServer("127.0.0.1"), LoopbackServer("127.0.0.2")
    build_site(site, other, secret)
    build_other(other)
    site.start()
    other.start()
    local = build_local(tmp_path / "local", secret, site)
    try:
        yield site, other, local
    finally:
        site.stop()
        other.stop()


def _config(write_config, db_url, site, local, models_dir, **crawl):
    sources = [
        {"name": "web", "kind": "jsonld", "start_urls": [f"{site.url}/index.html", f"{site.url}/sitemap.xml"]},
        {
            "name": "board",
            "kind": "board",
            "start_urls": [f"{site.url}/board/list.html"],
            "selectors": {
                "ad_links": "a.ad::attr(href)",
                "next_page": "a.next::attr(href)",
                "title": "h1.title",
                "company": "span.company",
                "description": "div.content",
            },
        },
        {"name": "feed", "kind": "feed", "start_urls": [f"{site.url}/feed.xml"], "follow_links": True},
        {"name": "tg", "kind": "telegram", "channels": ["hostilechan"], "base_url": f"{site.url}/s/"},
        {"name": "local", "kind": "jsonld", "start_urls": [str(local / "index.html"), str(local / "sitemap.xml")]},
    ]
    return write_config(
        {
            "database": {"url": db_url},
            "models": {"dir": str(models_dir)},
            "export": {"dir": "exports", "formats": ["csv"]},
            "logging": {"dir": "logs"},
            "crawl": {
                "user_agent": "lurewatch-tests/0.1",
                "autothrottle": False,
                "download_delay": 0,
                "download_timeout": 4,
                "retry_times": 1,
                "concurrent_requests_per_domain": 8,
                "max_response_bytes": 2_000_000,
                "allow_private_addresses": True,  # both servers are on loopback
                **crawl,
            },
            "sources": sources,
        }
    )


def _stored(db_url):
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            ads = conn.execute(select(Ad.source, Ad.external_id, Ad.title, Ad.company, Ad.description)).all()
            crawls = {c.source: c for c in conn.execute(select(Crawl)).all()}
            runs = conn.execute(select(Run.status, Run.counts)).all()
            channels = conn.execute(select(ChannelState.channel, ChannelState.last_message_id)).all()
        return ads, crawls, runs, channels
    finally:
        engine.dispose()


def test_a_full_crawl_of_a_hostile_site(servers, write_config, db_url, tiny_models_dir, capsys):
    site, other, local = servers
    path = _config(write_config, db_url, site, local, tiny_models_dir)
    code = pipeline.main(["run", "--config", str(path)])
    out, err = capsys.readouterr()
    assert code in (0, 4), err  # ok or partial, never aborted
    assert "Traceback" not in err

    # Nothing was fetched from the other host, not even its robots.txt.
    assert other.log == []
    ads, crawls, runs, channels = _stored(load_config(path).database.url)
    text = "\n".join(" ".join(a[2:]) for a in ads)
    for marker in (SECRET, ELSEWHERE, EVIL, "Planted", "\x00", "\ud800", "<script", "\x85", "\x9b"):
        assert marker not in text, f"{marker!r} was stored"

    # Every good ad of every source is stored.
    by_source: dict[str, set[str]] = {}
    for source, external_id, *_ in ads:
        by_source.setdefault(source, set()).add(external_id)
    assert {"1", "2", "3", "4", "5", "ctl", "scr"} <= by_source["web"]
    assert any(i.startswith("h:") for i in by_source["web"]) and len(by_source["web"]) == 8  # the 600-char id, hashed
    assert len(by_source["board"]) == 2
    assert {"f1", "f2", "f3", "f4"} <= by_source["feed"] and len(by_source["feed"]) == 5
    assert by_source["tg"] == {f"hostilechan/{i}" for i in range(1, 7)}
    assert by_source["local"] == {"701"}
    titles = {a[1]: a for a in ads}
    assert titles["ctl"][2] == "Cook in Busan" and "Kitchen work" in titles["ctl"][4]
    assert titles["scr"][4].startswith(GOOD)
    assert dict(channels) == {"hostilechan": 6}

    # Every refusal is counted by reason, and shown.
    details = {name: c.counts["details"] for name, c in crawls.items()}
    # sitemap x4 (other host, 10.x, metadata, ::1), rel=next, the end of the redirect chain, the meta refresh
    assert details["web"]["refused/offsite"] == 7
    assert details["web"]["refused/scheme"] == 4  # file, gopher and data in the sitemap; link rel=next to a file
    assert details["web"]["errors/too_large"] == 1  # the gzip bomb
    assert details["web"]["errors/DownloadTimeoutError"] == 1  # the tarpit, after one retry
    assert "ignored/robots_or_filtered" not in details["web"]
    assert details["board"]["refused/offsite"] == 2 and details["board"]["refused/scheme"] == 1  # file://
    assert details["board"]["refused/not_a_url"] == 3  # javascript:, mailto:, http://[::1
    assert details["feed"]["refused/offsite"] == 1 and details["feed"]["refused/scheme"] == 2
    assert details["local"]["refused/outside_folder"] == 3 and details["local"]["refused/scheme"] == 1
    assert details["tg"]["dropped/bad_message_id"] == 4
    assert details["web"]["normalise/control_chars"] >= 1 and details["tg"]["normalise/control_chars"] == 1
    for name, counts in details.items():
        assert crawls[name].counts["refused"] == sum(v for k, v in counts.items() if k.startswith("refused/")), name
    assert details["web"]["errors/http_302"] == 1  # Scrapy itself does not follow a redirect to file://
    assert "refused: offsite 7, scheme 4" in out  # the run summary shows them
    [(status, counts)] = runs
    assert status in ("ok", "partial") and counts["stages"]["crawl"]["sources"]["web"]["refused"] == 11


def test_the_redirect_and_refresh_targets_are_refused_where_they_land(servers, write_config, tmp_path, tiny_models_dir):
    """Redirects and meta refresh come back through the downloader: their targets are checked too."""
    site, other, local = servers
    path = _config(write_config, f"sqlite:///{tmp_path / 'r.db'}", site, local, tiny_models_dir)
    site.pages["/index.html"] = html('<a href="/redirect/1">r</a><a href="/refresh.html">m</a>')
    site.pages["/sitemap.xml"] = _sitemap([f"{site.url}/ads/5.html"])
    assert pipeline.main(["crawl", "-q", "--config", str(path), "--source", "web"]) == 0
    _, crawls, _, _ = _stored(load_config(path).database.url)
    assert crawls["web"].counts["details"]["refused/offsite"] == 2
    assert site.requested("/redirect/2") and other.log == []


def test_private_addresses_are_refused_by_name_and_by_address(servers, write_config, tmp_path, capsys):
    """Without allow_private_addresses, a loopback site is refused, also when reached through a name."""
    site, _, _ = servers
    port = site.url.rsplit(":", 1)[1]
    path = write_config(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'p.db'}"},
            "logging": {"dir": "logs"},
            "crawl": {"autothrottle": False, "download_delay": 0, "retry_times": 0, "download_timeout": 4},
            "sources": [
                {"name": "byname", "kind": "jsonld", "start_urls": [f"http://localhost:{port}/ads/1.html"]},
                {"name": "byaddress", "kind": "jsonld", "start_urls": [f"{site.url}/ads/2.html"]},
            ],
        }
    )
    assert pipeline.main(["crawl", "--config", str(path)]) == 1  # every source failed: refused
    out = capsys.readouterr().out
    assert "refused: private_address 1" in out
    assert site.log == []
    _, crawls, _, _ = _stored(load_config(path).database.url)
    for name in ("byname", "byaddress"):
        assert crawls[name].failed and crawls[name].counts["details"]["refused/private_address"] == 1


def test_the_connection_itself_refuses_a_private_address(servers, write_config, tmp_path):
    """With the middleware switched off, the resolver alone still never hands out a private address."""
    site, _, _ = servers
    port = site.url.rsplit(":", 1)[1]
    path = write_config(
        {
            "crawl": {"obey_robots": False, "retry_times": 0, "download_delay": 0, "autothrottle": False},
            "sources": [{"name": "byname", "kind": "jsonld", "start_urls": [f"http://localhost:{port}/ads/1.html"]}],
        }
    )
    config = load_config(path)
    overrides = {
        "DOWNLOADER_MIDDLEWARES": {"crawler.scope.ScopeMiddleware": None},
        "ITEM_PIPELINES": {},
    }
    results = run_child(config, [CrawlJob("byname")], overrides=overrides)
    stats = results["byname"]["stats"]
    assert site.log == []
    assert stats.get("response_received_count", 0) == 0
    assert stats.get("lurewatch/errors/CannotResolveHostError") == 1, stats
