"""Migration 0009 on a database with data: band ranks filled, older scores marked for rescoring."""

from __future__ import annotations

from sqlalchemy import select, text

from store.db import create_db_engine, current_revision, downgrade, head_revision, open_database, upgrade
from store.listing import list_items
from store.schema import ReviewItem
from store.scores import ads_to_score
from tests.store.queue_fixtures import make_ad, score


def test_upgrade_from_0007_ranks_queued_items_and_rescores_older_ads(db_url):
    engine, factory = open_database(db_url)
    try:
        with factory.begin() as s:
            ads = [make_ad(s, n) for n in range(3)]
            score(s, ads[0], 0.85)  # high
            score(s, ads[1], 0.13, threshold=0.1, band="critical")
            score(s, ads[2], 0.95)  # critical by score
        downgrade(engine, "0008")
        assert current_revision(engine) == "0008"
        with engine.begin() as conn:  # a newer score of the first ad, written by the old code
            conn.execute(
                text(
                    "INSERT INTO scores (ad_id, model_version, score, band, flagged, reasons, scored_at) "
                    "VALUES (:a, 'v9', 0.97, 'critical', :t, '[]', :at)"
                ),
                {"a": ads[0], "t": True, "at": "2026-11-26 00:00:00"},
            )
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with factory() as s:
            ranks = dict(s.execute(select(ReviewItem.ad_id, ReviewItem.band_rank)).all())
            assert ranks == {ads[0]: 0, ads[1]: 0, ads[2]: 0}  # each from its ad's newest score
            # All three critical now: by score (the item's priority, 0.95, 0.85, 0.13), then age.
            assert [r.ad_id for r in list_items(s)] == [ads[2], ads[0], ads[1]]
            # Scores from before 0009 carry no analysis and no content hash: every ad is due again.
            due = [a["ad_id"] for batch in ads_to_score(s, "v9") for a in batch]
            assert sorted(due) == sorted(ads)
    finally:
        engine.dispose()


def test_downgrade_from_0009_keeps_the_data(db_url):
    engine = create_db_engine(db_url)
    upgrade(engine)
    _, factory = open_database(db_url)
    with factory.begin() as s:
        score(s, make_ad(s, 1), 0.85)
    downgrade(engine, "0008")
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM review_items")) == 1
        assert conn.scalar(text("SELECT count(*) FROM scores")) == 1
    upgrade(engine)
    engine.dispose()
