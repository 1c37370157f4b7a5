"""`pipeline.py crawl`, `run` with the crawl stage, the demo source, and `scrapy list/crawl`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

import pipeline
from config import load_config
from store.schema import Ad, Crawl, Run
from tests.crawler.loopback import LoopbackServer, html, jobposting_page

PROJECT = Path(__file__).resolve().parents[2]
# Generous timeouts: the loopback server shares two cores with the crawler and pytest workers.
FAST = {
    "autothrottle": False,
    "download_delay": 0,
    "download_timeout": 10,
    "retry_times": 0,
    "allow_private_addresses": True,  # the loopback site
}

pytestmark = pytest.mark.slow


def _write(write_config, sources, **crawl):
    return write_config(
        {
            "database": {"url": "sqlite:///data/c.db"},
            "logging": {"dir": "logs"},
            "crawl": {**FAST, **crawl},
            "sources": sources,
        }
    )


def _rows(path, query):
    engine = create_engine(f"sqlite:///{path.parent / 'data' / 'c.db'}")
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    engine.dispose()
    return rows


def test_crawl_command_table_partial_exit_and_run_record(site, write_config, capsys):
    path = _write(
        write_config,
        [
            {"name": "good", "kind": "jsonld", "start_urls": [site.url + "/jobs/index.html"]},
            {"name": "dead", "kind": "feed", "start_urls": ["http://127.0.0.1:9/rss.xml"]},
            {"name": "off", "kind": "feed", "start_urls": [site.url + "/feed/atom.xml"], "enabled": False},
        ],
    )
    assert pipeline.main(["crawl", "--config", str(path)]) == 4
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == [
        "source",
        "pages",
        "new",
        "updated",
        "unchanged",
        "dropped",
        "errors",
        "refused",
        "status",
    ]
    good_line = next(line for line in lines if line.startswith("good"))
    good = good_line.split()
    # The site's broken.html names JobPosting but its JSON-LD cannot be read (issue 22): the
    # crawl completes and says what it could not read.
    assert good[2] == "6" and good[8] == "complete" and "(unreadable: 1 of " in good_line
    assert "FAILED" in next(line for line in lines if line.startswith("dead"))
    assert not any(line.startswith("off") for line in lines)  # disabled: not crawled
    [(status, counts)] = _rows(path, select(Run.status, Run.counts))
    assert status == "partial" and counts["stages"]["crawl"]["sources"]["good"]["new"] == 6
    assert len(_rows(path, select(Crawl.id))) == 2
    # Naming a disabled source crawls it; naming an unknown one is a config error.
    assert pipeline.main(["crawl", "-q", "--config", str(path), "--source", "off"]) == 0
    assert len(_rows(path, select(Ad.id).where(Ad.source == "off"))) == 1
    assert pipeline.main(["crawl", "--config", str(path), "--source", "nope"]) == 1
    assert "no source named 'nope'" in capsys.readouterr().err


def test_all_sources_failing_is_exit_1(write_config, capsys):
    path = _write(write_config, [{"name": "dead", "kind": "feed", "start_urls": ["http://127.0.0.1:9/x"]}])
    assert pipeline.main(["crawl", "--config", str(path)]) == 1
    assert "every source failed" in capsys.readouterr().err
    assert [r.status for r in _rows(path, select(Run.status))] == ["failed"]


def test_a_slow_source_stops_at_the_time_limit_and_keeps_what_it_got(write_config, capsys):
    # 30 ads, one request per 0.3 s (the per-domain delay; with no delay Scrapy 2.19 sends
    # a listing's requests in a burst whatever the concurrency): ~9 s in full, limit 3 s.
    server = LoopbackServer()
    server.pages["/robots.txt"] = html("")
    server.pages["/list.html"] = html("".join(f'<a href="ad-{i}.html">ad {i}</a>' for i in range(30)))
    for i in range(30):
        server.pages[f"/ad-{i}.html"] = jobposting_page(i, f"Job {i}", f"<p>Kitchen helper {i}, full time.</p>")
    server.start()
    try:
        path = _write(
            write_config,
            [{"name": "slow", "kind": "jsonld", "start_urls": [server.url + "/list.html"]}],
            download_delay=0.3,
            max_minutes_per_source=0.05,
        )
        assert pipeline.main(["crawl", "--config", str(path)]) == 0  # a limit is not a failure
    finally:
        server.stop()
    out, err = capsys.readouterr()
    row = next(line for line in out.splitlines() if line.startswith("slow"))
    assert row.endswith("stopped at time limit")
    assert "source slow stopped at its time limit" in err and "no ad is marked removed" in err
    assert 0 < len(_rows(path, select(Ad.id))) < 30
    [(complete, failed, counts)] = _rows(path, select(Crawl.complete, Crawl.failed, Crawl.counts))
    # Not complete: ads beyond the limit were not seen, so none may be marked removed.
    assert (complete, failed, counts["finish_reason"]) == (False, False, "closespider_timeout")


def test_run_includes_the_crawl(site, write_config, capsys):
    path = _write(write_config, [{"name": "good", "kind": "jsonld", "start_urls": [site.url + "/jobs/index.html"]}])
    assert pipeline.main(["run", "--config", str(path)]) == 0
    assert "crawl: pages" in capsys.readouterr().out
    [(counts,)] = _rows(path, select(Run.counts))
    assert counts["stages"]["crawl"]["new"] == 6
    [log] = (path.parent / "logs").glob("lurewatch-run-*.log")
    text = log.read_text(encoding="utf-8")
    assert "Spider closed (finished)" in text and "stages.crawl" in text  # child and parent, one log


def test_demo_board_is_shipped_enabled_and_crawls_offline(write_config, capsys):
    shipped = load_config(PROJECT / "config.yaml")
    demo = shipped.source("demo-board")
    assert demo.enabled and demo.kind == "jsonld"
    assert demo.start_urls[0].startswith("file://") and demo.start_urls[0].endswith("data/demo/site/index.html")
    assert [s.name for s in shipped.sources if s.enabled] == ["demo-board"]
    assert {s.kind for s in shipped.sources} == {"jsonld", "telegram", "board", "feed"}
    path = _write(
        write_config,
        [{"name": "demo-board", "kind": "jsonld", "start_urls": [str(PROJECT / "data/demo/site/index.html")]}],
    )
    assert pipeline.main(["crawl", "-q", "--config", str(path)]) == 0
    ads = _rows(path, select(Ad.title, Ad.language, Ad.contacts, Ad.country))
    assert len(ads) == 12
    assert sum(1 for a in ads if a.language == "ko") == 7
    risky = [a for a in ads if a.contacts.get("telegram")]
    assert len(risky) == 3 and {a.country for a in risky} <= {"KH", "TH"}


def test_scrapy_list_and_crawl_use_the_config(site, write_config, tmp_path):
    path = write_config(
        {
            "database": {"url": "sqlite:///data/c.db"},
            "crawl": FAST,
            "sources": [
                {"name": "site", "kind": "jsonld", "start_urls": [site.url + "/jobs/index.html"]},
                {"name": "tg", "kind": "telegram", "channels": ["x"], "enabled": False},
            ],
        }
    )
    env = {**os.environ, "LUREWATCH_CONFIG": str(path), "PYTHONPATH": str(PROJECT)}
    scrapy = [sys.executable, "-m", "scrapy"]
    listed = subprocess.run([*scrapy, "list"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["site", "tg"]
    done = subprocess.run(
        [*scrapy, "crawl", "site", "-s", "LOG_LEVEL=WARNING"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(_rows(path, select(Ad.id))) == 6
