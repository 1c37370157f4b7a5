"""Contact normal forms: E.164 phone numbers, handles, open-chat links, domains, index rows."""

from __future__ import annotations

import pytest

from core.contacts import index_rows, normalise_domain, normalise_handle, normalise_phone, phone_candidates


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
