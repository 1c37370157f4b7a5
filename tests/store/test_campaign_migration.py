"""Migration 0003 stands alone: it can be stepped down to 0001 and back without touching other tables."""

from __future__ import annotations

from sqlalchemy import inspect

from store.db import create_db_engine, current_revision, downgrade, upgrade

CAMPAIGN_TABLES = {"campaigns", "campaign_members", "ad_fingerprints", "fingerprint_keys"}


def test_campaign_migration_steps_down_and_up(db_url):
    engine = create_db_engine(db_url)
    try:
        upgrade(engine)
        downgrade(engine, "0001")
        tables = set(inspect(engine).get_table_names())
        assert not CAMPAIGN_TABLES & tables and {"ads", "review_items"} <= tables
        assert current_revision(engine) == "0001"
        upgrade(engine)
        assert CAMPAIGN_TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
