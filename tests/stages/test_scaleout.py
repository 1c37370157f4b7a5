"""Scale-out: several crawler processes share one crawl through a real Redis frontier."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, func, select

import pipeline
from crawler.frontier import KEY_TTL_SECONDS, Frontier, FrontierError, redis_client
from stages.scaleout import merge_worker_stats
from store.schema import Ad, Crawl
from tests.crawler.loopback import LoopbackServer, html, jobposting_page

PROJECT = Path(__file__).resolve().parents[2]
ADS, PER_LISTING = 2000, 50


@pytest.fixture
def redis_prefix(redis_test_url: str) -> Iterator[tuple[object, str]]:
    """A Redis client and a key prefix no other test uses; every key under it deleted after."""
    client = redis_client(redis_test_url)
    prefix = f"lwtest-{uuid.uuid4().hex[:10]}"
    try:
        yield client, prefix
    finally:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def test_merging_worker_stats_sums_counts_and_flags_lost_or_cut_workers():
    stats = {"response_received_count": 10, "lurewatch/ads/new": 4, "finish_reason": "finished"}
    merge_worker_stats(
        stats,
        {
            "a": {"response_received_count": 5, "lurewatch/ads/new": 3, "finish_reason": "finished"},
            "b": {"response_received_count": 1, "finish_reason": "shutdown"},
        },
        left_behind=["c"],
    )
    assert stats["response_received_count"] == 16 and stats["lurewatch/ads/new"] == 7
    assert stats["finish_reason"] == "finished"  # the coordinator's own, not summed
    assert stats["lurewatch/incomplete/worker_shutdown"] == 1
    assert stats["lurewatch/incomplete/worker_lost"] == 1


@pytest.mark.redis
def test_frontier_keys_are_run_scoped_expire_and_are_deleted(redis_prefix):
    client, prefix = redis_prefix
    first = Frontier.open(client, prefix, "src", ["a", "b"], coordinator="me")
    assert first.base.startswith(f"{prefix}:src:") and first.key("requests") == first.base + ":requests"
    assert Frontier.join(client, prefix, "src", wait=0) == first
    assert first.known_ids(client) == {"a", "b"}
    assert 0 < client.ttl(first.key("workers")) <= KEY_TTL_SECONDS
    assert 0 < client.ttl(f"{prefix}:src:current") <= KEY_TTL_SECONDS
    # Tomorrow's crawl (or a re-run) gets new keys: today's fingerprints never filter it.
    second = Frontier.open(client, prefix, "src", [], coordinator="me")
    assert second.base != first.base and Frontier.current(client, prefix, "src") == second
    # A process whose heartbeat stopped (kill -9, lost machine) is not waited for.
    client.hset(second.key("workers"), "me", json.dumps({"busy": True, "at": 0}))
    assert second.wait_for_workers(client, timeout=5) == ["me"]
    first.close(client, prefix, "src")  # the old crawl leaves the newer pointer alone
    assert Frontier.current(client, prefix, "src") == second
    second.close(client, prefix, "src")
    assert list(client.scan_iter(f"{prefix}:*")) == []
    with pytest.raises(FrontierError, match="no shared crawl of source 'src'"):
        Frontier.join(client, prefix, "src", wait=0)


@pytest.mark.redis
def test_worker_needs_redis_and_a_crawl_to_join(redis_prefix, write_config, capsys):
    client, prefix = redis_prefix
    sources = [
        {"name": "s", "kind": "jsonld", "start_urls": ["http://127.0.0.1:9/"]},
        {"name": "t", "kind": "telegram", "channels": ["c"]},
    ]
    path = write_config({"sources": sources})
    assert pipeline.main(["crawl", "--worker", "--source", "s", "--config", str(path)]) == 1
    assert "needs crawl.distributed.redis_url" in capsys.readouterr().err
    url = os.environ["LUREWATCH_TEST_REDIS_URL"]
    path = write_config({"crawl": {"distributed": {"redis_url": url, "key_prefix": prefix}}, "sources": sources})
    assert pipeline.main(["crawl", "--worker", "--source", "s", "--wait", "0", "--config", str(path)]) == 1
    assert "no shared crawl" in capsys.readouterr().err
    assert pipeline.main(["crawl", "--worker", "--source", "t", "--config", str(path)]) == 1
    assert "Telegram" in capsys.readouterr().err


def _big_site(server: LoopbackServer) -> None:
    """ADS detail pages with JSON-LD, listed PER_LISTING to a listing page, pages linked by rel=next."""
    listings = ADS // PER_LISTING
    for n in range(1, listings + 1):
        links = "".join(
            f'<a href="ad-{i}.html">ad {i}</a>' for i in range((n - 1) * PER_LISTING + 1, n * PER_LISTING + 1)
        )
        nav = f'<a rel="next" href="list-{n + 1}.html">next</a>' if n < listings else ""
        server.pages[f"/big/list-{n}.html"] = html(links + nav)
    for i in range(1, ADS + 1):
        # Korean text, like most ads lurewatch reads: its language is told by script, so
        # the crawl's CPU goes to crawling, not to langdetect (~20 ms an ad on English).
        page = jobposting_page(
            10_000 + i,
            f"물류센터 야간 상하차 {i}번",
            f"<p>물류센터 야간 상하차 {i}번 모집, 일급 지급, 셔틀 운행, 4대 보험.</p>",
        )
        page.delay = 0.003  # a little network time, so both processes get a share
        server.pages[f"/big/ad-{i}.html"] = page


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.slow
def test_two_processes_share_one_crawl_of_2000_ads(redis_prefix, fresh_postgres_url, write_config, tmp_path):
    client, prefix = redis_prefix
    redis_url = os.environ["LUREWATCH_TEST_REDIS_URL"]
    server = LoopbackServer()
    _big_site(server)
    server.start()
    try:
        path = write_config(
            {
                "database": {"url": fresh_postgres_url},
                "logging": {"dir": str(tmp_path / "logs")},
                "crawl": {
                    "autothrottle": False,
                    "download_delay": 0,
                    "download_timeout": 10,
                    "retry_times": 1,
                    "concurrent_requests_per_domain": 8,
                    "max_pages_per_source": 5000,
                    "allow_private_addresses": True,  # the loopback site
                    "distributed": {"redis_url": redis_url, "key_prefix": prefix},
                },
                "sources": [{"name": "big", "kind": "jsonld", "start_urls": [server.url + "/big/list-1.html"]}],
            }
        )
        env = {**os.environ, "PYTHONPATH": str(PROJECT)}
        command = [sys.executable, str(PROJECT / "pipeline.py"), "crawl", "--source", "big", "--config", str(path)]
        started = time.monotonic()
        # The worker may start first: it waits for the coordinator to open the crawl.
        worker = subprocess.Popen(
            command + ["--worker", "--wait", "60"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        coordinator = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:  # ~45 s on an idle 2-core box; generous limits for a loaded one
            out, err = coordinator.communicate(timeout=240)
            wout, werr = worker.communicate(timeout=60)
        finally:
            for proc in (coordinator, worker):
                if proc.poll() is None:
                    proc.kill()
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert coordinator.returncode == 0, out + err
    assert worker.returncode == 0, wout + werr
    engine = create_engine(fresh_postgres_url)
    with engine.connect() as conn:
        stored = conn.scalar(select(func.count()).select_from(Ad).where(Ad.source == "big"))
        distinct = conn.scalar(select(func.count(func.distinct(Ad.external_id))).where(Ad.source == "big"))
        crawl = conn.execute(select(Crawl.counts, Crawl.complete).where(Crawl.source == "big")).one()
    engine.dispose()
    assert stored == distinct == ADS  # each ad stored once
    pages = [p for p in server.log if p.startswith("/big/")]
    assert len(set(pages)) == ADS + ADS // PER_LISTING
    assert len(server.log) <= 1.1 * len(set(server.log)), "about one crawl's requests, not two"
    counts, complete = crawl
    workers = counts["workers"]
    assert len(workers) == 2 and all(n > 0 for n in workers.values()), workers  # both did work
    assert counts["new"] == ADS and complete  # the coordinator's row counts every process
    assert list(client.scan_iter(f"{prefix}:*")) == []  # the crawl cleaned up its keys
    print(f"shared crawl of {ADS} ads by 2 processes: {elapsed:.1f}s, pages per process {workers}")


def test_unreachable_redis_fails_the_shared_sources_not_the_command(write_config, tmp_path, capsys):
    path = write_config(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'c.db'}"},
            "logging": {"dir": str(tmp_path / "logs")},
            "crawl": {"distributed": {"redis_url": "redis://127.0.0.1:1/0"}},
            "sources": [{"name": "s", "kind": "jsonld", "start_urls": ["http://127.0.0.1:9/"]}],
        }
    )
    assert pipeline.main(["crawl", "--config", str(path)]) == 1  # every source failed
    captured = capsys.readouterr()
    assert "FAILED" in captured.out and "crawl failed" in captured.err
    engine = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.connect() as conn:
        crawl = conn.execute(select(Crawl.error, Crawl.complete).where(Crawl.source == "s")).one()
    engine.dispose()
    assert "Redis at redis://127.0.0.1:1/0 is unreachable" in crawl.error and not crawl.complete


class _Planted:
    """Issue 23, probe 1: unpickling this calls os.makedirs(path), as the attacker's code would run."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.makedirs, (self.path,))


@pytest.mark.redis
@pytest.mark.slow
def test_a_pickle_pushed_onto_the_frontier_during_a_shared_crawl_does_not_run(redis_prefix, write_config, tmp_path):
    import pickle

    client, prefix = redis_prefix
    marker = tmp_path / "the-pickle-ran"
    server = LoopbackServer()
    for i in range(1, 4):
        server.pages[f"/s/ad-{i}.html"] = jobposting_page(i, f"Job {i}", f"<p>Warehouse job number {i} in Busan.</p>")

    def listing(_query):  # while the crawl fetches its listing, the attacker writes to Redis
        base = client.get(f"{prefix}:src:current")
        client.lpush(f"{base}:requests", pickle.dumps(_Planted(str(marker))), b"\x00garbage", b'{"v": 1}')
        return html("".join(f'<a href="ad-{i}.html">{i}</a>' for i in range(1, 4)))

    server.routes["/s/list.html"] = listing
    server.start()
    try:
        path = write_config(
            {
                "database": {"url": f"sqlite:///{tmp_path / 'p.db'}"},
                "logging": {"dir": str(tmp_path / "logs")},
                "crawl": {
                    "autothrottle": False,
                    "download_delay": 0,
                    "retry_times": 0,
                    "allow_private_addresses": True,
                    "distributed": {"redis_url": os.environ["LUREWATCH_TEST_REDIS_URL"], "key_prefix": prefix},
                },
                "sources": [{"name": "src", "kind": "jsonld", "start_urls": [server.url + "/s/list.html"]}],
            }
        )
        code = pipeline.main(["crawl", "-q", "--source", "src", "--config", str(path)])
    finally:
        server.stop()
    assert code == 0
    assert not marker.exists(), "the pickled object ran"
    engine = create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        ids = set(conn.scalars(select(Ad.external_id).where(Ad.source == "src")))
        counts, complete = conn.execute(select(Crawl.counts, Crawl.complete).where(Crawl.source == "src")).one()
    engine.dispose()
    assert ids == {"1", "2", "3"}  # the crawl went on
    assert counts["details"]["frontier/foreign_entries"] == 3  # the pickle, the garbage, the foreign JSON
    assert not complete  # what the entries displaced may have been ours: no ad is marked removed
