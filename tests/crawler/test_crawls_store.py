"""store/crawls.py: crawl rows, channel progress, removed ads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from store.ads import upsert_ad
from store.crawls import (
    channel_states,
    finish_crawl,
    known_external_ids,
    mark_removed,
    recent_crawls,
    save_channel_state,
    start_crawl,
)
from store.db import open_database
from store.schema import Ad

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def _ad(i):
    return {"source": "s", "external_id": str(i), "title": f"ad {i}", "description": "text"}


def test_removed_only_after_enough_complete_crawls(db_url):
    engine, factory = open_database(db_url)
    try:
        for day, seen, complete in [(0, (1, 2), True), (1, (1,), False), (2, (1,), True), (3, (1,), True)]:
            now = T0 + timedelta(days=day)
            with factory.begin() as session:
                crawl = start_crawl(session, "s", None, now)
                for i in seen:
                    upsert_ad(session, _ad(i), now + timedelta(minutes=1))
                finish_crawl(
                    session, crawl.id, complete=complete, failed=False, counts={}, now=now + timedelta(minutes=2)
                )
                removed = mark_removed(session, "s", 2, now + timedelta(minutes=3))
            # Day 2: the last two complete crawls are days 0 and 2; ad 2 was seen on day 0.
            assert removed == (1 if day == 3 else 0), day
        with factory() as session:
            assert session.get(Ad, 2).removed_at is not None and session.get(Ad, 1).removed_at is None
            assert known_external_ids(session, "s") == {"1", "2"}
            assert [c.complete for c in recent_crawls(session, "s")] == [True, True, False, True]
    finally:
        engine.dispose()


def test_channel_state_moves_forward_only(db_url):
    engine, factory = open_database(db_url)
    try:
        with factory.begin() as session:
            save_channel_state(session, "tg", "a", available=True, last_message_id=50, now=T0)
            save_channel_state(session, "tg", "a", available=True, last_message_id=40, now=T0)
            save_channel_state(session, "tg", "b", available=False, last_message_id=None, now=T0)
        with factory() as session:
            states = channel_states(session, "tg")
        assert states["a"].last_message_id == 50 and states["b"].available is False
    finally:
        engine.dispose()
