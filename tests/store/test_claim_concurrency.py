"""Many claimers on one queue never get the same item: processes on PostgreSQL, threads on SQLite."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from sqlalchemy import select

from store.db import open_database
from store.schema import ReviewEvent, ReviewItem
from store.scores import record_scores
from tests.store.claim_worker import claim_all
from tests.store.queue_fixtures import T0, make_ad

ITEMS = 120


def _fill(url: str) -> set[int]:
    engine, factory = open_database(url)
    with factory.begin() as s:
        ids = [make_ad(s, n) for n in range(ITEMS)]
        record_scores(
            s,
            "v1",
            [{"ad_id": a, "score": 0.5 + (a % 50) / 100, "band": "high", "flagged": True, "reasons": []} for a in ids],
            T0,
            link_campaigns=False,
        )
    with factory.begin() as s:
        items = set(s.scalars(select(ReviewItem.id)))
    engine.dispose()
    return items


def _check(url: str, items: set[int], results: list[list[int]]) -> None:
    claimed = [i for r in results for i in r]
    assert len(claimed) == len(set(claimed)), "an item was claimed twice"
    assert set(claimed) == items
    # Scheduling decides who gets how much; real contention needs at least two.
    assert sum(1 for r in results if r) >= 2, "the claimers did not overlap"
    engine, factory = open_database(url)
    with factory.begin() as s:
        claims = s.scalars(select(ReviewEvent.item_id).where(ReviewEvent.new_status == "in_review")).all()
    engine.dispose()
    assert sorted(claims) == sorted(items)


def test_four_processes_on_postgresql_never_share_an_item(fresh_postgres_url):
    url = fresh_postgres_url
    items = _fill(url)
    # fork: no re-import per worker; safe here because _fill disposed its engine, so
    # no connection is inherited. Workers wait for a common start line.
    start = time.time() + 1
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("fork")) as pool:
        results = list(pool.map(claim_all, [url] * 4, [f"analyst{i}" for i in range(4)], [start] * 4))
    _check(url, items, results)


def test_four_threads_on_sqlite_never_share_an_item(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    items = _fill(url)
    start = time.time() + 0.2
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(claim_all, [url] * 4, [f"analyst{i}" for i in range(4)], [start] * 4))
    _check(url, items, results)
