"""The failures a new analyst found in the shipped model (issue 11), as behaviour tests.

Written before the lexicon, reasons and bands were changed to meet them: each ad below is
our own wording of the case the issue describes, not a row of any training or test table.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from classifier.normalize import normalize
from classifier.salary import best_pay, parse_pay
from classifier.scoring import score_frame

CLERK = (
    "Data Entry Clerk - Makati City. Encode and verify sales invoices in our ERP system, file records and prepare "
    "weekly summaries. Monday to Friday, 8:00 AM to 5:00 PM, office-based. Salary PHP 18,000 - 22,000 per month "
    "plus 13th month pay; SSS, PhilHealth and Pag-IBIG contributions, HMO after regularisation. At least 1 year "
    "of clerical experience, typing 40 wpm. Send your CV to careers@"
    "northbay-logistics.ph. Northbay Logistics Inc., 5F Ayala Tower, Makati."
)
NURSE = (
    "Registered Nurse - Medical/Surgical ward, Westmead, Sydney NSW. Full-time permanent, AUD 38-45 per hour plus "
    "penalty rates. AHPRA registration (or eligibility) and 2 years of acute-care experience required. Visa "
    "sponsorship available for suitable overseas applicants (subclass 482). Relocation support and orientation "
    "programme. Apply through the Western Sydney Local Health District careers site."
)
RETENTION = [
    "캄보디아 프놈펜 사무직 모집. 입국하시면 회사에서 여권을 보관해 드립니다. 숙소 제공, 월 500만원.",
    "Office staff wanted in Cambodia. On arrival the company will keep your passport for safekeeping. "
    "Free housing, USD 2,500 per month.",
]
CHINESE_ONE_LINER = "日薪800，做30天"


def _score(shipped, texts: list[str]) -> pd.DataFrame:
    pipeline, card = shipped
    return score_frame(pipeline, pd.DataFrame({"description": texts}), float(card["threshold"]))


@pytest.mark.parametrize("text", [CLERK, NURSE], ids=["manila-clerk", "sydney-nurse"])
def test_ordinary_jobs_with_benefits_or_a_sponsored_visa_are_not_flagged(shipped, text) -> None:
    row = _score(shipped, [text]).iloc[0]
    assert not row["flagged"], (row["score"], row["reasons"])


def test_a_sponsored_work_visa_is_not_read_as_visa_trouble_or_paid_travel(shipped) -> None:
    signals = {r["signal"] for r in _score(shipped, [NURSE]).iloc[0]["reasons"]}
    assert not signals & {"visa_irregular", "travel_paid", "travel_advanced"}, signals


@pytest.mark.parametrize("text", RETENTION, ids=["ko", "en"])
def test_the_employer_keeping_passports_is_flagged_with_its_reason(shipped, text) -> None:
    row = _score(shipped, [text]).iloc[0]
    assert row["flagged"], (row["score"], row["reasons"])
    assert "passport_retention" in {r["signal"] for r in row["reasons"]}, row["reasons"]


@pytest.mark.parametrize(
    ("text", "usd"),
    [("KRW 8,000,000 per month", 5_000), ("Salary: USD 3,500 / month", 3_500), ("PHP 20,000 monthly", 300)],
)
def test_a_currency_code_before_the_amount_is_parsed(text, usd) -> None:
    pay = best_pay(parse_pay(normalize(text).text))  # parse_pay reads normalised text, as the analyser does
    assert pay is not None, text
    assert usd * 0.7 <= pay.monthly_usd_low <= usd * 1.4, pay


def test_pay_given_as_krw_then_amount_counts_as_pay_above_market(shipped) -> None:
    text = "Customer chat staff, no experience needed, KRW 8,000,000 per month."
    signals = {r["signal"] for r in _score(shipped, [text]).iloc[0]["reasons"]}
    assert signals & {"pay_above_market", "high_pay_claim"}, signals


FRAGMENT_PROBES = [
    "서울 강남 사무직 채용, 경력 무관, 월 250만원, 주 5일 근무, 4대 보험. 이메일 지원.",
    "캄보디아 사무직 고수익 알바, 숙식 제공, 텔레그램 @desk_kh 문의, 텔레 상담 가능, 텔레그램 연락 주세요",
    "Chat support agents in Sihanoukville, $3,000 per month, months of training free, contact Telegram @cs_team",
]


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"\w+", text)}


@pytest.mark.parametrize("text", FRAGMENT_PROBES)
def test_reasons_are_whole_words_or_named_signals_one_line_each(shipped, text) -> None:
    reasons = _score(shipped, [text]).iloc[0]["reasons"]
    signals = [r["signal"] for r in reasons if r["signal"] != "text"]
    assert len(signals) == len(set(signals)), reasons
    words = _words(text)
    for r in reasons:
        if r["signal"] != "text":
            continue
        token = r["evidence"].lower()
        assert not token.isdigit(), r
        # A text feature is shown only as a word the ad really contains.
        assert all(part in words for part in re.findall(r"\w+", token)), (r, sorted(words))
    assert "무직" not in {r["evidence"] for r in reasons}, reasons


def test_a_chinese_one_line_post_is_scored(shipped) -> None:
    row = _score(shipped, [CHINESE_ONE_LINER]).iloc[0]
    assert 0.0 <= row["score"] <= 1.0 and row["band"] in {"low", "medium", "high", "critical"}


def test_a_denial_of_passport_confiscation_is_not_read_as_retention(shipped) -> None:
    text = "캄보디아 프놈펜 사무직. 텔레그램으로 연락주세요. 여권 압수 없습니다. 월 600만 원."
    signals = {r["signal"] for r in _score(shipped, [text]).iloc[0]["reasons"]}
    assert "passport_retention" not in signals and "safety_denial" in signals, signals
