"""Migration 0007: scores may be 'critical' after it, and a downgrade folds them into 'high'."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from store.db import current_revision, downgrade, head_revision, open_database, upgrade
from store.schema import Score
from store.scores import record_scores
from tests.store.queue_fixtures import T0, make_ad


def _score(ad_id: int, band: str) -> dict:
    return {"ad_id": ad_id, "score": 0.97, "band": band, "flagged": True, "reasons": []}


def test_critical_is_stored_and_survives_a_round_trip(db_url):
    engine, factory = open_database(db_url)
    try:
        with factory.begin() as s:
            ads = [make_ad(s, i) for i in (1, 2)]
            record_scores(s, "v1", [_score(ads[0], "critical"), _score(ads[1], "high")], T0)
        with factory() as s:
            assert sorted(s.scalars(select(Score.band))) == ["critical", "high"]
        # Back to 0006 (the previous release): critical rows become high, the old check holds.
        downgrade(engine, "0006")
        assert current_revision(engine) == "0006"
        with engine.connect() as conn:
            assert sorted(conn.scalars(text("SELECT band FROM scores"))) == ["high", "high"]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("UPDATE scores SET band = 'critical'"))
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.begin() as conn:
            conn.execute(text("UPDATE scores SET band = 'critical' WHERE ad_id = :a"), {"a": ads[0]})
            assert sorted(conn.scalars(text("SELECT band FROM scores"))) == ["critical", "high"]
    finally:
        engine.dispose()


def test_the_database_itself_refuses_unknown_bands(db_url):
    """The check constraint, not only record_scores' validation, keeps bands to the four."""
    engine, factory = open_database(db_url)
    try:
        with factory.begin() as s:
            record_scores(s, "v1", [_score(make_ad(s, 1), "critical")], T0)
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("UPDATE scores SET band = 'severe'"))
    finally:
        engine.dispose()
