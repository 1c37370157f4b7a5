"""The contact index: kept in step with each ad, backfilled by the migration, searched."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from store.ads import upsert_ad
from store.db import create_db_engine, downgrade, open_database, upgrade
from store.schema import AdContact
from store.search import guess_kind, search
from tests.store.queue_fixtures import T0, later, make_ad


def _rows(session, ad_id):
    return set(session.execute(select(AdContact.kind, AdContact.value).where(AdContact.ad_id == ad_id)).all())


def test_upsert_keeps_the_index_in_step_with_the_ad(db_url):
    engine, factory = open_database(db_url)
    try:
        with factory.begin() as s:
            ad = make_ad(s, 1, contacts={"phone": ["010-1234-5678"]})
            assert _rows(s, ad) == {("phone", "+821012345678")}
            make_ad(s, 1, now=later(5), contacts={"telegram": ["@new_one"]})
            assert _rows(s, ad) == {("telegram", "@new_one")}
            make_ad(s, 1, now=later(9), contacts={"telegram": ["@new_one"]})  # unchanged: same rows
            assert _rows(s, ad) == {("telegram", "@new_one")}
    finally:
        engine.dispose()


def test_migration_backfills_the_index_of_ads_stored_before_it(db_url):
    engine = create_db_engine(db_url)
    try:
        upgrade(engine, "0004")
        with engine.begin() as conn:
            for n, contacts in enumerate([{"phone": ["012 345 678"]}, {"email": ["a@b.example"]}, {}, None]):
                conn.execute(
                    text(
                        "INSERT INTO ads (source, external_id, url, title, company, location, country, salary, "
                        "description, contacts, language, content_hash, extra, first_seen_at, last_seen_at, "
                        "content_changes) VALUES ('s', :e, '', '', '', '', '', '', '', :c, '', '', '{}', :t, :t, 0)"
                    ),
                    {"e": str(n), "c": json.dumps(contacts), "t": T0.replace(tzinfo=None)},
                )
        # To 0009: 0010 re-extracts contacts from the ads' text, and these ads have none.
        upgrade(engine, "0009")
        with engine.connect() as conn:
            rows = set(conn.execute(text("SELECT kind, value FROM ad_contacts")).all())
        assert rows == {("phone", "+85512345678"), ("email", "a@b.example"), ("domain", "b.example")}
        downgrade(engine, "0004")
        upgrade(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "typed, kind",
    [
        ("+855 12 345 678", "phone"),
        ("010-1234-5678", "phone"),
        ("@boss", "telegram"),
        ("https://t.me/boss", "telegram"),
        ("open.kakao.com/o/abc", "kakao"),
        ("hr@x.example", "email"),
        ("golden-jobs.com", "domain"),
        ("high pay no experience", "text"),
        ("2026", "text"),
    ],
)
def test_search_guesses_what_was_typed(typed, kind):
    assert guess_kind(typed) == kind


def test_search_finds_a_phone_number_however_it_is_written(db_url):
    engine, factory = open_database(db_url)
    try:
        with factory.begin() as s:
            a = make_ad(s, 1, contacts={"phone": ["+855 12 345 678"]})
            b = make_ad(s, 2, contacts={"whatsapp": ["+85512345678"]})
            make_ad(s, 3, contacts={"phone": ["+855 12 345 679"]})
            upsert_ad(
                s,
                {
                    "source": "x",
                    "external_id": "q",
                    "company": "Golden Tiger 100% Co.",
                    "description": "월 1000만원 보장",
                },
                T0,
            )
        with factory() as s:
            for typed in ("012 345 678", "+855 12 345 678", "00855 12-345-678", "855 12 345 678"):
                result = search(s, "auto", typed)
                assert result.kind == "phone" and {h.ad_id for h in result.hits} == {a, b}, typed
            assert search(s, "company", "tiger 100%").total == 1
            assert search(s, "company", "100%_").total == 0  # LIKE wildcards are literal
            assert search(s, "text", "1000만원").total == 1
            assert search(s, "auto", "x").total == 0  # too short to look for
    finally:
        engine.dispose()
