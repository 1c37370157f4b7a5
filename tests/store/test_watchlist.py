"""The watchlist: partner lists read strictly, normalised like ads' contacts, and acted on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from store.campaigns import campaign_of
from store.db import open_database
from store.errors import ImportValidationError, NotFoundError
from store.queue import claim, decide
from store.schema import ReviewEvent, ReviewItem, Score, WatchlistEntry, WatchlistEvent
from store.watchlist import add_entries, remove_entry, rescan, watchlist
from store.watchlistfile import ListedContact, read_watchlist_file
from tests.store.queue_fixtures import T0, make_ad, score


def _listed(kind: str, value: str, source: str = "police-kr") -> ListedContact:
    from store.watchlistfile import normalise_contact

    kind, value = normalise_contact(kind, value)
    return ListedContact(kind, value, source, "", "test")


def _latest(session, ad_id: int) -> Score:
    return session.scalars(select(Score).where(Score.ad_id == ad_id).order_by(Score.id.desc())).first()


@pytest.fixture
def factory(db_url):
    engine, factory = open_database(db_url)
    yield factory
    engine.dispose()


def test_csv_rows_are_normalised_like_ad_contacts(tmp_path):
    path = tmp_path / "police.csv"
    path.write_text(
        "kind,value,source,note\n"
        "telegram,https://t.me/Cambo_HR,,\n"
        "phone,+82 10-1234-5678,embassy,seen in March\n"
        "url,https://t.me/Other_Boss,,link form of a handle\n"
        "email,HR@Lure.Example,,\n"
        "domain,https://www.Lure.Example/apply,,\n"
        "whatsapp,0082 10 1234 5678,embassy,\n",
        encoding="utf-8",
    )
    rows = read_watchlist_file(path, source="police-kr")
    assert [(r.kind, r.value, r.source) for r in rows] == [
        ("telegram", "@cambo_hr", "police-kr"),
        ("phone", "+821012345678", "embassy"),
        ("telegram", "@other_boss", "police-kr"),
        ("email", "hr@lure.example", "police-kr"),
        ("domain", "lure.example", "police-kr"),
        ("whatsapp", "+821012345678", "embassy"),
    ]
    assert rows[1].note == "seen in March"


def test_a_bad_row_names_its_line_and_refuses_the_file(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("kind,value,source,note\ntelegram,@ok_one,,\nfax,123,,\nphone,12,,\n", encoding="utf-8")
    with pytest.raises(ImportValidationError) as err:
        read_watchlist_file(path)
    assert err.value.errors == [
        "list.csv line 3: unknown kind 'fax' (expected phone, telegram, kakao, line, whatsapp, wechat, email, url, domain)",
        "list.csv line 4: not a phone number: '12'",
    ]


def test_only_risk_a_watchlisted_handle_in_another_spelling_is_queued_critical(factory):
    with factory.begin() as s:
        ad = make_ad(s, 1, contacts={"telegram": ["t.me/Cambo_HR"]})
        score(s, ad, 0.05)  # the model sees nothing: not flagged, not queued
        assert s.scalar(select(ReviewItem).where(ReviewItem.ad_id == ad)) is None
        result = add_entries(s, [_listed("telegram", "@cambo_hr")], "ann", T0)
        assert result.rescan.marked == [ad] and result.rescan.queued == 1
        latest = _latest(s, ad)
        assert (latest.band, latest.flagged, latest.score) == ("critical", True, 0.05)
        assert latest.reasons[0]["signal"] == "watchlist"
        assert latest.reasons[0]["label"] == "contact on the watchlist: @cambo_hr (listed by police-kr)"
        item = s.scalar(select(ReviewItem).where(ReviewItem.ad_id == ad))
        assert item.status == "pending"
        event = s.scalar(select(ReviewEvent).where(ReviewEvent.item_id == item.id))
        assert "contact on the watchlist: @cambo_hr" in event.note
        assert rescan(s, T0).marked == []  # idempotent


def test_a_phone_in_another_format_and_a_verdict_put_ads_on_the_watchlist(factory):
    with factory.begin() as s:
        listed = make_ad(s, 1, contacts={"whatsapp": ["010-1234-5678"]})
        score(s, listed, 0.1)
        add_entries(s, [_listed("phone", "+82 10 1234 5678", "embassy")], "ann", T0)
        assert _latest(s, listed).band == "critical"
        # A verdict confirms a contact: the next ad carrying it is critical too.
        scam = make_ad(s, 2, contacts={"telegram": ["@boss_kk"]})
        score(s, scam, 0.9)
        item = s.scalar(select(ReviewItem.id).where(ReviewItem.ad_id == scam))
        claim(s, "ann", 5, T0)
        decide(s, item, "scam", "ann", T0 + timedelta(minutes=1))
        repost = make_ad(s, 3, contacts={"telegram": ["@Boss_KK"]}, description="Quite another text entirely")
        score(s, repost, 0.2)
        found = rescan(s, T0)
        assert found.marked == [repost]
        assert _latest(s, repost).reasons[0]["label"] == "contact on the watchlist: @boss_kk (confirmed in 1 scam ad)"
        assert campaign_of(s, repost) == campaign_of(s, scam) is not None
        rows = {(r.kind, r.value): r for r in watchlist(s)}
        assert rows[("phone", "+821012345678")].hits == 1
        assert rows[("telegram", "@boss_kk")].source == "analysts" and rows[("telegram", "@boss_kk")].hits == 2


def test_decided_items_are_left_alone_and_removal_is_audited(factory):
    with factory.begin() as s:
        ad = make_ad(s, 1, contacts={"url": ["https://lure.example/apply"]})
        score(s, ad, 0.8)
        item = s.scalar(select(ReviewItem.id).where(ReviewItem.ad_id == ad))
        claim(s, "ann", 1, T0)
        decide(s, item, "legit", "ann", T0)
        result = add_entries(s, [_listed("domain", "lure.example")], "bob", T0)
        assert result.rescan.marked == [] and _latest(s, ad).band != "critical"
        entry_id = result.added[0]
        remove_entry(s, entry_id, "bob", T0)
        assert s.get(WatchlistEntry, entry_id) is None
        actions = [(e.action, e.actor, e.value) for e in s.scalars(select(WatchlistEvent).order_by(WatchlistEvent.id))]
        assert actions == [("added", "bob", "lure.example"), ("removed", "bob", "lure.example")]
        with pytest.raises(NotFoundError):
            remove_entry(s, entry_id, "bob", T0)


def test_migration_0008_upgrades_a_database_with_data_and_back(db_url):
    from sqlalchemy import text
    from sqlalchemy.orm import sessionmaker

    from store.db import create_db_engine, downgrade, upgrade

    engine = create_db_engine(db_url)
    try:
        upgrade(engine, "0007")
        with engine.begin() as conn:  # an ad and its contact row, stored before the watchlist existed
            conn.execute(
                text(
                    "INSERT INTO ads (source, external_id, url, title, company, location, country, salary, "
                    "description, contacts, language, content_hash, extra, first_seen_at, last_seen_at, "
                    "content_changes) VALUES ('s', 'e1', '', 't', '', '', '', '', 'd', :c, '', '', '{}', :t, :t, 0)"
                ),
                {"c": '{"telegram": ["@kept_ad"]}', "t": T0.replace(tzinfo=None)},
            )
            conn.execute(
                text("INSERT INTO ad_contacts (ad_id, kind, value) SELECT id, 'telegram', '@kept_ad' FROM ads")
            )
        upgrade(engine)
        with sessionmaker(engine).begin() as s:
            result = add_entries(s, [_listed("telegram", "@kept_ad")], "ann", T0)
            assert len(result.added) == 1 and [r.hits for r in watchlist(s)] == [1]
        downgrade(engine, "0007")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM ads")).scalar() == 1
        upgrade(engine)
    finally:
        engine.dispose()


def test_a_marked_ad_ranks_with_the_critical_items_in_the_queue_order(factory):
    """The queue's one order reads review_items.band_rank (issue 24): a watchlist hit must
    rank critical there too, not only in its score row."""
    from core.bands import band_rank

    with factory.begin() as s:
        ad_id = make_ad(s, 1, contacts={"telegram": ["@cambo_hr"]})
        score(s, ad_id, 0.05)
    with factory.begin() as s:
        add_entries(s, [_listed("telegram", "@cambo_hr")], "lead", T0)
    with factory() as s:
        assert s.scalar(select(ReviewItem.band_rank).where(ReviewItem.ad_id == ad_id)) == band_rank("critical")
