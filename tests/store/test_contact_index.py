"""The normalised contact index: E.164 phones, handles, links, domains; kept in step; backfilled."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from core.contacts import index_rows, normalise_domain, normalise_handle, normalise_phone, phone_candidates
from store.ads import upsert_ad
from store.db import create_db_engine, downgrade, open_database, upgrade
from store.schema import AdContact
from store.search import guess_kind, search
from tests.store.queue_fixtures import T0, later, make_ad


@pytest.mark.parametrize(
    "raw, e164",
    [
        ("+855 12 345 678", "+85512345678"),
        ("00855-12-345-678", "+85512345678"),
        ("012 345 678", "+85512345678"),
        ("010-1234-5678", "+821012345678"),
        ("+82 (0)10 1234 5678", "+821012345678"),
        ("+66 81 234 5678", "+66812345678"),
        ("081 234 5678", "+66812345678"),
        ("+95 9 123 456 789", "+959123456789"),
    ],
)
def test_phone_numbers_become_e164(raw, e164):
    assert normalise_phone(raw) == e164


def test_an_unreadable_number_keeps_its_digits():
    assert normalise_phone("12-34") == "1234"


def test_a_typed_number_without_plus_may_carry_its_country_code():
    assert "+85512345678" in phone_candidates("855 12 345 678")
    assert phone_candidates("+855 12 345 678") == ["+85512345678"]


def test_handles_links_and_domains():
    assert normalise_handle("https://t.me/Recruit_Boss") == "@recruit_boss"
    assert normalise_handle("@Recruit_Boss") == normalise_handle("recruit_boss") == "@recruit_boss"
    assert normalise_handle("t.me/+AbCdEf123") == "t.me/+AbCdEf123"  # invite codes keep their case
    assert normalise_domain("HR@Jobs.Example.com") == "jobs.example.com"
    assert normalise_domain("https://www.jobs.example.com/apply?x=1") == "jobs.example.com"


def test_index_rows_of_an_ads_contacts():
    rows = index_rows(
        {
            "phone": ["010-1234-5678"],
            "whatsapp": ["+855 12 345 678"],
            "telegram": ["@Boss_HR", "t.me/+Inv1teCode"],
            "kakao": ["open.kakao.com/o/gAbC12"],
            "email": ["HR@Golden-Jobs.com"],
            "url": ["https://www.golden-jobs.com/apply"],
            "unknown": ["x"],
            "line": [],
        }
    )
    assert rows == {
        ("phone", "+821012345678"),
        ("whatsapp", "+85512345678"),
        ("telegram", "@boss_hr"),
        ("telegram", "t.me/+Inv1teCode"),
        ("kakao", "open.kakao.com/o/gAbC12"),
        ("email", "hr@golden-jobs.com"),
        ("domain", "golden-jobs.com"),
        ("url", "golden-jobs.com/apply"),
    }


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
        upgrade(engine)
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
