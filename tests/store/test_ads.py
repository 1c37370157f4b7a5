"""Ad upsert on SQLite and PostgreSQL: idempotent, edits tracked, first_seen kept."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from core.ad import content_hash
from store.ads import get_ad, upsert_ad, upsert_ads
from store.db import open_database
from store.errors import StoreError
from store.schema import Ad, AdContact

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)

AD = {
    "source": "demo-board",
    "external_id": "42",
    "url": "https://board.example/ads/42",
    "title": "캄보디아 고수익 채팅 상담원",
    "company": "",
    "location": "프놈펜",
    "country": "KH",
    "salary": "월 800만원",
    "description": "경험 없어도 됩니다. 항공권 숙소 제공. 텔레그램 @recruit_kh",
    "contacts": {"telegram": ["recruit_kh"]},
    "language": "ko",
    "posted_at": datetime(2026, 11, 19, tzinfo=timezone.utc),
}


@pytest.fixture
def factory(db_url):
    engine, factory = open_database(db_url)
    yield factory
    engine.dispose()


def _count(factory) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(Ad))


def test_same_ad_twice_is_one_row_with_last_seen_updated(factory):
    with factory.begin() as s:
        assert upsert_ad(s, AD, T0)[0] == "new"
    later = T0 + timedelta(days=1)
    with factory.begin() as s:
        result, ad_id = upsert_ad(s, AD, later)
    assert result == "unchanged"
    assert _count(factory) == 1
    with factory() as s:
        ad = s.get(Ad, ad_id)
        assert ad.first_seen_at == T0 and ad.last_seen_at == later
        assert ad.content_changes == 0
        assert ad.title == AD["title"] and ad.contacts == {"telegram": ["recruit_kh"]}
        assert ad.posted_at == AD["posted_at"] and ad.posted_at.tzinfo is not None


def test_edited_ad_changes_hash_and_keeps_first_seen(factory):
    with factory.begin() as s:
        upsert_ad(s, AD, T0)
    with factory() as s:
        old_hash = get_ad(s, "demo-board", "42").content_hash
    edited = {**AD, "salary": "월 1000만원"}
    later = T0 + timedelta(hours=5)
    with factory.begin() as s:
        assert upsert_ad(s, edited, later)[0] == "updated"
    with factory() as s:
        ad = get_ad(s, "demo-board", "42")
        assert ad.content_hash != old_hash
        assert ad.salary == "월 1000만원"
        assert ad.first_seen_at == T0 and ad.last_seen_at == later
        assert ad.content_changes == 1
    assert _count(factory) == 1


def test_reseen_ad_is_no_longer_removed(factory):
    with factory.begin() as s:
        _, ad_id = upsert_ad(s, AD, T0)
        s.get(Ad, ad_id).removed_at = T0
    with factory.begin() as s:
        upsert_ad(s, AD, T0 + timedelta(days=2))
    with factory() as s:
        assert s.get(Ad, ad_id).removed_at is None


def test_same_external_id_in_another_source_is_another_ad(factory):
    with factory.begin() as s:
        upsert_ad(s, AD, T0)
        upsert_ad(s, {**AD, "source": "other"}, T0)
    assert _count(factory) == 2


def test_failed_transaction_writes_nothing(factory):
    with pytest.raises(StoreError):
        with factory.begin() as s:
            upsert_ad(s, AD, T0)
            upsert_ad(s, {**AD, "external_id": ""}, T0)
    assert _count(factory) == 0


def test_unknown_field_and_naive_datetime_are_refused(factory):
    with factory() as s:
        with pytest.raises(StoreError, match="unknown field"):
            upsert_ad(s, {**AD, "salry": "x"}, T0)
    with pytest.raises(Exception, match="naive datetime"):
        with factory.begin() as s:
            upsert_ad(s, AD, datetime(2026, 1, 1))


def test_content_hash_ignores_whitespace_and_contact_order():
    a = content_hash({**AD, "contacts": {"telegram": ["a", "b"], "phone": []}})
    b = content_hash(
        {**AD, "description": "  " + AD["description"].replace(" ", "  "), "contacts": {"telegram": ["b", "a"]}}
    )
    assert a == b
    assert a != content_hash({**AD, "title": AD["title"] + "!"})


def _state(session):
    ads = session.execute(
        select(Ad.source, Ad.external_id, Ad.title, Ad.content_hash, Ad.content_changes, Ad.last_seen_at).order_by(
            Ad.source, Ad.external_id
        )
    ).all()
    contacts = session.execute(
        select(Ad.external_id, AdContact.kind, AdContact.value)
        .join(AdContact, AdContact.ad_id == Ad.id)
        .order_by(Ad.external_id, AdContact.kind, AdContact.value)
    ).all()
    return ads, contacts


def test_batch_upsert_does_what_one_by_one_does(db_url, tmp_path):
    """New, unchanged, edited and repeated ads: same outcomes, rows and contact index."""
    first = [{**AD, "external_id": str(i), "contacts": {"telegram": [f"kh_{i}"]}} for i in range(30)]
    second = (
        [{**AD, "external_id": str(i), "contacts": {"telegram": [f"kh_{i}"]}} for i in range(10)]  # unchanged
        + [
            {**AD, "external_id": str(i), "title": "edited", "contacts": {"phone": ["+85512345678"]}}
            for i in range(10, 20)
        ]
        + [{**AD, "external_id": str(i)} for i in range(30, 60)]  # new
    )
    outcomes, states = [], []
    for url, batched in ((db_url, True), (f"sqlite:///{tmp_path / 'one.db'}", False)):
        engine, factory = open_database(url)
        run = []
        for n, batch in enumerate((first, second, second[:3] + second[:3])):  # the last repeats keys
            with factory.begin() as s:
                now = T0 + timedelta(hours=n)
                results = upsert_ads(s, batch, now) if batched else [upsert_ad(s, ad, now) for ad in batch]
                run.append([outcome for outcome, _ in results])
        with factory() as s:
            states.append(_state(s))
        outcomes.append(run)
        engine.dispose()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1] == ["unchanged"] * 10 + ["updated"] * 10 + ["new"] * 30
    assert states[0] == states[1] and len(states[0][0]) == 60 and len(states[0][1]) > 30
