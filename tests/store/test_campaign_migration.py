"""Campaign migrations: 0003 stands alone; 0004 fills its key tables from the links a database has."""

from __future__ import annotations

from sqlalchemy import inspect, select

from store.campaigns import campaign_of, link_ads
from store.db import create_db_engine, current_revision, downgrade, open_database, upgrade
from store.schema import CampaignKey, FreeKey
from tests.store.queue_fixtures import T0, later, make_ad
from tests.store.test_campaigns import LURE, REPOST

CAMPAIGN_TABLES = {"campaigns", "campaign_members", "ad_fingerprints", "fingerprint_keys", "campaign_keys", "free_keys"}
KEY_TABLES = {"campaign_keys", "free_keys"}


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


def _key_rows(session):  # type: ignore[no-untyped-def]
    return (
        sorted((r.key, r.campaign_id, r.ad_id) for r in session.scalars(select(CampaignKey))),
        sorted((r.key, r.ad_id) for r in session.scalars(select(FreeKey))),
    )


def test_upgrade_to_0004_fills_the_key_tables_so_linking_carries_on(db_url):
    engine, factory = open_database(db_url)
    try:
        with factory.begin() as s:
            a = make_ad(s, 1, contacts={"telegram": ["@one_hr"]})
            b = make_ad(s, 2, contacts={"telegram": ["@one_hr"]})
            lure = make_ad(s, 3, description=LURE, contacts={})
            repost = make_ad(s, 4, description=REPOST, contacts={})
            loner = make_ad(s, 5, contacts={"telegram": ["@loner"]})
            link_ads(s, [a, b, lure, repost, loner], T0)
            by_handle, by_text = campaign_of(s, a), campaign_of(s, lure)
            assert None not in (by_handle, by_text) and campaign_of(s, loner) is None
            before = _key_rows(s)
        assert any(k.startswith("band") for k, _, _ in before[0]) and before[1]
        # 0003 as the previous release left it: fingerprints and members, no key tables.
        downgrade(engine, "0003")
        assert not KEY_TABLES & set(inspect(engine).get_table_names())
        upgrade(engine)
        with factory.begin() as s:
            assert _key_rows(s) == before
            c = make_ad(s, 6, contacts={"telegram": ["t.me/one_hr"]})
            d = make_ad(s, 7, description=REPOST.replace("600", "700"), contacts={})
            e = make_ad(s, 8, contacts={"telegram": ["@Loner"]})
            link_ads(s, [c, d, e], later(1))
            assert (campaign_of(s, c), campaign_of(s, d)) == (by_handle, by_text)
            assert campaign_of(s, e) is not None and campaign_of(s, e) == campaign_of(s, loner)
    finally:
        engine.dispose()
