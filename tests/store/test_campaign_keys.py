"""campaign_keys and free_keys: bounded linking work per ad; merges, edits and caps keep them right."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, sessionmaker

from store import campaigns
from store.campaigns import PER_KEY, campaign_ads, campaign_of, candidate_rows, link_ads
from store.fingerprints import band_keys, minhash_of
from store.schema import Campaign, CampaignKey, FingerprintKey, FreeKey
from tests.store.queue_fixtures import later, make_ad

# The benchmark site's ordinary ads: one template, a number changed per ad.
TEMPLATE = (
    "Warehouse assistant {n}: full time, contract, insurance, night shifts. "
    "Apply by email with your CV, interviews every week."
)

# Two texts sharing a MinHash band yet too different to link (the test checks both):
# campaigns built on them both hold that band key, which a merge must dedupe.
BASE = (
    "Cambodia Phnom Penh high paying chat support job, no experience needed, flights and "
    "housing paid, passport only, contact us today"
)
ALIKE = (
    "visa Phnom hiring high service chat support job, no experience needed, flights free "
    "housing paid, passport typing typing customer today"
)


def _templated(session: Session, numbers: range) -> list[int]:
    return [make_ad(session, n, description=TEMPLATE.format(n=n), contacts={}) for n in numbers]


@contextmanager
def _database_work(session: Session) -> Iterator[dict[str, int]]:
    """Count the statements run inside the block, and the database's own work for them.

    Rows handed back are no measure: the old query returned a few representatives per
    campaign after reading every row that shared a key. SQLite: virtual machine
    instructions (its progress handler, per 100). PostgreSQL: rows read by scans of our
    tables in this transaction (pg_stat_xact_user_tables, index and sequential).
    """
    work = {"statements": 0, "work": 0}

    def count(*_: Any) -> None:
        work["statements"] += 1

    def tick() -> int:
        work["work"] += 1
        return 0  # 0: carry on

    def rows_read() -> int:
        return int(
            session.execute(
                text(
                    "SELECT COALESCE(SUM(COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0)), 0) "
                    "FROM pg_stat_xact_user_tables"
                )
            ).scalar_one()
        )

    session.flush()
    engine, dbapi = session.get_bind(), session.connection().connection.dbapi_connection
    sqlite = engine.dialect.name == "sqlite"
    before = 0 if sqlite else rows_read()
    event.listen(engine, "after_cursor_execute", count)
    if sqlite:
        dbapi.set_progress_handler(tick, 100)
    try:
        yield work
        session.flush()
    finally:
        event.remove(engine, "after_cursor_execute", count)
        if sqlite:
            dbapi.set_progress_handler(None, 100)
    if not sqlite:
        work["work"] = rows_read() - before


def _link_one_more(factory: sessionmaker[Session], n: int) -> dict[str, int]:
    with factory.begin() as s:
        [ad] = _templated(s, range(n, n + 1))
        with _database_work(s) as work:
            link_ads(s, [ad], later(n))
        assert campaign_of(s, ad) is not None
    return work


def test_linking_work_per_ad_does_not_grow_with_the_campaign(factory):
    # Every templated ad shares MinHash bands with all earlier ones. Reading each ad
    # that shares a key made the 300th ad cost ~15 times the 20th; now both read one
    # campaign_keys row per key and compare with a few members.
    with factory.begin() as s:
        link_ads(s, _templated(s, range(1, 20)), later(0))
    small = _link_one_more(factory, 20)
    with factory.begin() as s:
        link_ads(s, _templated(s, range(21, 300)), later(0))
    large = _link_one_more(factory, 300)
    with factory.begin() as s:
        assert len(s.scalars(select(Campaign)).all()) == 1
        assert len(campaign_ads(s, s.scalar(select(Campaign.id)))) == 300
    assert large["statements"] == small["statements"]
    # Some growth while the campaign collects the band values this ad shares (at most
    # its 16 bands), none beyond: the old query read 15x more here.
    assert large["work"] <= 2 * small["work"], (small, large)


@pytest.mark.parametrize("portable", [True, False], ids=["union", "backend's own"])
def test_free_ads_read_per_key_are_capped(factory, portable):
    # Free ads under one band key pile up when they share the band but are not alike
    # enough to link; a lookup reads only the newest PER_KEY of them.
    with factory.begin() as s:
        ads = [make_ad(s, n, contacts={}) for n in range(PER_KEY + 10)]
        s.execute(FreeKey.__table__.insert(), [{"key": "band0:shared", "ad_id": a} for a in ads])
        rows = candidate_rows(s, ads[-1], ["band0:shared"], portable=portable)
        assert sorted(r.ad_id for r in rows) == ads[-PER_KEY - 1 : -1]  # newest, without itself


def test_both_candidate_lookups_read_the_same_rows(factory):
    # PostgreSQL's LATERAL lookup and the portable UNION ALL: the same rows for the same keys,
    # campaign keys past PER_KEY, free keys, the ad's own rows and a key nobody holds included.
    with factory.begin() as s:
        ads = [make_ad(s, n, contacts={}) for n in range(PER_KEY + 12)]
        campaign_ids = [
            s.execute(
                Campaign.__table__.insert().returning(Campaign.id), {"created_at": later(0), "updated_at": later(0)}
            ).scalar_one()
            for _ in range(PER_KEY + 5)
        ]
        s.execute(
            CampaignKey.__table__.insert(),
            [{"key": "band1:many", "campaign_id": c, "ad_id": ads[i]} for i, c in enumerate(campaign_ids)]
            + [{"key": "tg:@shared", "campaign_id": campaign_ids[0], "ad_id": ads[0]}],
        )
        s.execute(
            FreeKey.__table__.insert(),
            [{"key": "band1:many", "ad_id": a} for a in ads[:20]]
            + [{"key": "tg:@shared", "ad_id": a} for a in ads[5:9]],
        )
        keys = ["band1:many", "band9:nobody", "tg:@shared"]
        for me in (ads[6], ads[-1]):
            portable = sorted(candidate_rows(s, me, keys, portable=True), key=lambda r: (r[0], r[1] or 0, r[2]))
            native = sorted(candidate_rows(s, me, keys), key=lambda r: (r[0], r[1] or 0, r[2]))
            assert [tuple(r) for r in native] == [tuple(r) for r in portable]
            assert len([r for r in native if r[1] is not None and r[0] == "band1:many"]) == PER_KEY
            assert all(r[2] != me for r in native if r[1] is None)


@pytest.fixture(params=["on conflict", "not exists"])
def key_inserts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Both ways of adding campaign keys: SQLite's and PostgreSQL's, and the portable one."""
    if request.param == "not exists":
        monkeypatch.setattr(campaigns, "_INSERT_IGNORING", {})
    campaigns._key_statements.cache_clear()
    yield request.param
    campaigns._key_statements.cache_clear()


def _keys(session: Session) -> list[tuple[str, int]]:
    return sorted((k, c) for k, c in session.execute(select(CampaignKey.key, CampaignKey.campaign_id)))


def test_a_merge_moves_keys_to_the_oldest_campaign_once(factory, key_inserts):
    base, alike = minhash_of(f"job {BASE}".lower()), minhash_of(f"job {ALIKE}".lower())
    shared = band_keys(base) & band_keys(alike)
    assert shared and base.jaccard(alike) < 0.7  # one band in common, not a repost
    with factory.begin() as s:
        a = make_ad(s, 1, title="Job", description=BASE, contacts={"telegram": ["@one"]})
        b = make_ad(s, 2, contacts={"telegram": ["@one"]})
        c = make_ad(s, 3, title="Job", description=ALIKE, contacts={"phone": ["+82 10-1234-5678"]})
        d = make_ad(s, 4, contacts={"phone": ["010 1234 5678"]})
        link_ads(s, [a, b, c, d], later(0))
        first, second = campaign_of(s, a), campaign_of(s, c)
        assert first < second
        before = _keys(s)
        held = {owner: {k for k, c_id in before if c_id == owner} for owner in (first, second)}
        assert held[first] & held[second] == shared
        bridge = make_ad(s, 5, contacts={"telegram": ["@one"], "phone": ["01012345678"]})
        assert link_ads(s, [bridge], later(1)).campaigns_merged == 1
        after = _keys(s)
        assert {c_id for _, c_id in after} == {first}
        assert [k for k, _ in after] == sorted({k for k, _ in before})  # every key once
        members = set(campaign_ads(s, first))
        assert members == {a, b, c, d, bridge}
        assert set(s.scalars(select(CampaignKey.ad_id))) <= members
        assert s.scalars(select(FreeKey)).all() == []


def test_keys_follow_ads_into_campaigns_and_edits(factory, key_inserts):
    with factory.begin() as s:
        a = make_ad(s, 1, contacts={"telegram": ["@first"]})
        loner = make_ad(s, 2, contacts={"telegram": ["@loner"]})
        link_ads(s, [a, loner], later(0))
        assert sorted(s.scalars(select(FreeKey.key))) == ["tg:first", "tg:loner"]
        b = make_ad(s, 3, contacts={"telegram": ["@first"]})
        link_ads(s, [b], later(1))
        campaign = campaign_of(s, a)
        assert campaign is not None and campaign_of(s, b) == campaign
        assert list(s.scalars(select(FreeKey.key))) == ["tg:loner"]
        assert _keys(s) == [("tg:first", campaign)]
    with factory.begin() as s:  # a linked ad edits its handle: the campaign learns the new one
        make_ad(s, 1, contacts={"telegram": ["@second"]})
        make_ad(s, 2, contacts={"telegram": ["@loner2"]})
        link_ads(s, [a, loner], later(2))
        assert campaign_of(s, a) == campaign  # sticky
        assert _keys(s) == [("tg:first", campaign), ("tg:second", campaign)]
        assert list(s.scalars(select(FreeKey.key))) == ["tg:loner2"]
        fingerprint = s.scalars(select(FingerprintKey.key).where(FingerprintKey.ad_id == a))
        assert list(fingerprint) == ["tg:second"]
        c = make_ad(s, 4, contacts={"telegram": ["t.me/second"]})
        link_ads(s, [c], later(3))
        assert campaign_of(s, c) == campaign


def test_an_ad_listing_hundreds_of_numbers_still_links(factory):
    # Looked up in chunks: one statement for 250 keys would pass SQLite's 500-term UNION limit.
    phones = [f"+855 12 {n:03d} {n:03d}" for n in range(250)]
    with factory.begin() as s:
        a = make_ad(s, 1, contacts={"phone": phones})
        b = make_ad(s, 2, contacts={"phone": [phones[-1]]})
        link_ads(s, [a, b], later(0))
        assert campaign_of(s, a) is not None and campaign_of(s, a) == campaign_of(s, b)
