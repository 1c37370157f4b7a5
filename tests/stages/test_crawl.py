"""Real crawls of the loopback site through the crawl stage (child process, real Scrapy)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select

from stages.crawl import crawl
from store.db import open_database
from store.schema import Ad, ChannelState, Crawl, Run, Score

pytestmark = pytest.mark.slow


def _ads(factory, source):
    with factory() as session:
        return {a.external_id: a for a in session.scalars(select(Ad).where(Ad.source == source))}


def _source(site, name="site", path="/jobs/index.html", **extra):
    return {"name": name, "kind": "jsonld", "start_urls": [site.url + path], **extra}


def test_jsonld_crawl_is_polite_incremental_and_detects_edits(site, crawl_config, db_url):
    config = crawl_config([_source(site)], database_url=db_url)
    engine, factory = open_database(config.database.url)
    try:
        first = crawl(config, factory, None)
        counts = first.counts["sources"]["site"]
        assert not first.partial and counts["complete"]
        assert counts["new"] == 6 and counts["errors"] == 0
        ads = _ads(factory, "site")
        assert set(ads) == {str(i) for i in range(1, 7)}
        assert ads["3"].contacts["telegram"] == ["@recruit_3"] and ads["3"].language == "ko"
        assert ads["1"].country == "KH" and ads["1"].company == "Acme Hiring"
        # Pagination followed; robots.txt read and obeyed.
        assert site.requested("/jobs/page-2.html") and site.requested("/robots.txt")
        assert site.requested("/jobs/private/") == []
        # Broken JSON-LD and a malformed page without text: dropped with reasons, no crash.
        assert counts["details"]["dropped/broken_jsonld"] == 1
        assert counts["details"]["dropped/no_text"] == 1
        assert counts["dropped"] == 2

        second = crawl(config, factory, None).counts["sources"]["site"]
        assert (second["new"], second["updated"], second["unchanged"]) == (0, 0, 6)
        assert len(_ads(factory, "site")) == 6

        from tests.crawler.loopback import jobposting_page

        site.pages["/jobs/job-2.html"] = jobposting_page(2, "Job 2 (edited)", "<p>Now with housing.</p>")
        third = crawl(config, factory, None).counts["sources"]["site"]
        assert (third["new"], third["updated"], third["unchanged"]) == (0, 1, 5)
        edited = _ads(factory, "site")["2"]
        assert edited.title == "Job 2 (edited)" and edited.content_changes == 1
        with factory() as session:
            assert [c.complete for c in session.scalars(select(Crawl).order_by(Crawl.id))] == [True] * 3
    finally:
        engine.dispose()


def test_failures_are_handled_and_counted(site, crawl_config):
    # The timeout page answers after 10 s; 3 s leaves a loaded machine room for the others.
    config = crawl_config([_source(site, "rough", "/errs/index.html")], download_timeout=3.0)
    engine, factory = open_database(config.database.url)
    try:
        result = crawl(config, factory, None)
        counts = result.counts["sources"]["rough"]
        details = counts["details"]
        assert not counts["failed"] and not result.partial  # it crawled, with errors
        assert not counts["complete"]  # errors: nothing may be marked removed
        assert details["errors/http_404"] == 1
        assert details["errors/http_500"] == 1 and len(site.requested("/errs/boom.html")) == 2  # retried once
        assert details["errors/DownloadTimeoutError"] == 1  # after one retry
        assert len(site.requested("/errs/timeout.html")) == 2
        assert details["errors/too_large"] == 1  # 10 MB > max_response_bytes
        assert len(site.requested("/errs/big.html")) == 1  # a size limit is not retried
        stored = _ads(factory, "rough")
        # The slow page, the redirect target and the page after a 429 are stored.
        assert set(stored) == {"201", "203", "204"}
        assert len(site.requested("/errs/busy.html")) == 2
        assert counts["errors"] == 3  # 500, timeout, size; the 404 is a removed ad, not an error
    finally:
        engine.dispose()


def test_board_decodes_undeclared_euc_kr_and_stops_at_seen_pages(site, crawl_config):
    board = {
        "name": "kboard",
        "kind": "board",
        "start_urls": [site.url + "/board/list.php?bo_table=job&page=1"],
        "selectors": {
            "ad_links": "td.subject a::attr(href)",
            "next_page": "a.pg_next::attr(href)",
            "title": "h1#bo_v_title::text",
            "description": "div#bo_v_con",
            "location": "//th[contains(., '근무지')]/following-sibling::td[1]/text()",
            "salary": "//th[contains(., '급여')]/following-sibling::td[1]/text()",
            "posted_at": "strong.if_date::text",
        },
    }
    config = crawl_config([board])
    engine, factory = open_database(config.database.url)
    try:
        counts = crawl(config, factory, None).counts["sources"]["kboard"]
        assert counts["new"] == 6
        ads = _ads(factory, "kboard")
        ad = ads["job:2"]
        assert ad.title == "캄보디아 고수익 알바 모집 (숙소 제공)"
        assert "똠얌꿍" in ad.description  # CP949-only syllable survives
        assert ad.location == "캄보디아 프놈펜" and ad.country == "KH" and ad.salary == "월 300만원"
        assert ad.contacts["kakao"] == ["kh_boss01"] and ad.language == "ko"
        assert ad.posted_at.isoformat() == "2026-11-12T09:30:00+00:00"
        assert len([p for p in site.requested("/board/list.php")]) == 3
        assert site.requested("/board/admin") == []
        site.log.clear()
        again = crawl(config, factory, None).counts["sources"]["kboard"]
        assert again["new"] == 0 and again["details"]["board/stopped_at_seen"] == 1
        assert site.requested("/board/list.php") == ["/board/list.php?bo_table=job&page=1"]
    finally:
        engine.dispose()


def test_telegram_pages_back_to_the_last_seen_message(site, crawl_config):
    source = {
        "name": "tg",
        "kind": "telegram",
        "channels": ["lurejobs", "closed"],
        "base_url": site.url + "/s/",
        "max_messages": 30,
    }
    config = crawl_config([source])
    engine, factory = open_database(config.database.url)
    try:
        first = crawl(config, factory, None).counts["sources"]["tg"]
        assert first["new"] == 30 and first["unavailable_channels"] == ["closed"]
        ads = _ads(factory, "tg")
        assert min(int(k.split("/")[1]) for k in ads) == 16 and "lurejobs/45" in ads
        ad = ads["lurejobs/45"]
        assert ad.url == "https://t.me/lurejobs/45" and ad.extra["views"] == 450
        assert ad.contacts["telegram"] == ["@agent_045"]
        with factory() as session:
            states = {s.channel: s for s in session.scalars(select(ChannelState))}
        assert states["lurejobs"].last_message_id == 45 and states["lurejobs"].available
        assert states["closed"].available is False and states["closed"].last_message_id is None

        site.telegram_newest = 50
        site.log.clear()
        second = crawl(config, factory, None).counts["sources"]["tg"]
        assert second["new"] == 5 and second["unchanged"] == 0
        assert site.requested("/s/lurejobs") == ["/s/lurejobs"]  # one page reached id 45: stop
        with factory() as session:
            assert (
                session.scalars(select(ChannelState.last_message_id).where(ChannelState.channel == "lurejobs")).one()
                == 50
            )
    finally:
        engine.dispose()


def test_feeds_rss_with_followed_links_and_atom(site, crawl_config):
    sources = [
        {"name": "rss", "kind": "feed", "start_urls": [site.url + "/feed/rss.xml"], "follow_links": True},
        {"name": "atom", "kind": "feed", "start_urls": [site.url + "/feed/atom.xml"]},
    ]
    config = crawl_config(sources)
    engine, factory = open_database(config.database.url)
    try:
        result = crawl(config, factory, None)
        assert result.counts["new"] == 3 and not result.partial
        rss = _ads(factory, "rss")
        assert rss["rss-1"].company == "Golden Bay Co" and rss["rss-1"].extra.get("from_jsonld")
        assert rss["rss-1"].contacts["telegram"] == ["@rss_recruit"]
        missing = next(a for k, a in rss.items() if k != "rss-1")
        assert missing.title == "Accountant, Hanoi"  # its page is a 404: the entry is kept
        atom = _ads(factory, "atom")["urn:job:77"]
        assert atom.company == "Han Coffee" and atom.contacts["email"] == ["jobs@han-coffee.example"]
        assert atom.posted_at.isoformat() == "2026-11-20T00:30:00+00:00"
    finally:
        engine.dispose()


def test_ads_unseen_in_enough_complete_crawls_are_marked_removed(site, crawl_config):
    # removed_after_runs=1 keeps this to two crawls; the N-run window itself is
    # tested on the store (tests/crawler/test_crawls_store.py).
    config = crawl_config([_source(site)], removed_after_runs=1)
    engine, factory = open_database(config.database.url)
    try:
        crawl(config, factory, None)
        page2 = site.pages["/jobs/page-2.html"]
        page2.body = page2.body.replace(b'<a href="job-6.html">ad 6</a>', b"")
        del site.pages["/jobs/job-6.html"]
        missed = crawl(config, factory, None).counts["sources"]["site"]
        assert missed["complete"] and missed["removed"] == 1
        ads = _ads(factory, "site")
        assert ads["6"].removed_at is not None and ads["5"].removed_at is None
    finally:
        engine.dispose()


def test_one_sources_state_fails_that_source_not_the_run(site, write_config, tiny_models_dir, monkeypatch, capsys):
    """A source whose bookkeeping fails (here its channel state, as a 20-digit message id did)
    is failed on its own: the other sources are recorded, scored and exported, exit 4."""
    import pipeline
    import stages.crawl

    def refuse(*args, **kwargs):
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr(stages.crawl, "save_channel_state", refuse)
    path = write_config(
        {
            "database": {"url": "sqlite:///data/run.db"},
            "models": {"dir": str(tiny_models_dir)},
            "export": {"dir": "exports", "formats": ["csv"]},
            "logging": {"dir": "logs"},
            "crawl": {"autothrottle": False, "download_delay": 0, "retry_times": 0, "allow_private_addresses": True},
            "sources": [
                _source(site),
                {"name": "tg", "kind": "telegram", "channels": ["lurejobs"], "base_url": site.url + "/s/"},
            ],
        }
    )
    assert pipeline.main(["run", "--config", str(path)]) == 4
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "tg: pages" in captured.out and "FAILED" in captured.out
    engine = create_engine(f"sqlite:///{path.parent / 'data' / 'run.db'}")
    try:
        with engine.connect() as conn:
            crawls = {c.source: c for c in conn.execute(select(Crawl))}
            [run] = conn.execute(select(Run)).all()
            scored = conn.execute(select(func.count()).select_from(Score)).scalar()
        assert run.status == "partial" and crawls["tg"].failed and "OverflowError" in crawls["tg"].error
        assert crawls["site"].complete and not crawls["site"].failed
        assert scored == 6 + 45  # both sources' ads were stored and scored
    finally:
        engine.dispose()


def test_score_with_nothing_new_is_a_quiet_night(write_config, tiny_models_dir, capsys):
    import pipeline

    path = write_config({"database": {"url": "sqlite:///data/q.db"}, "models": {"dir": str(tiny_models_dir)}})
    assert pipeline.main(["score", "--config", str(path)]) == 0
    assert "scored 0 ad(s)" in capsys.readouterr().out
