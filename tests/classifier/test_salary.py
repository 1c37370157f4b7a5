"""Pay parsing table: currencies, units, periods, ranges, evasion spellings."""

from __future__ import annotations

import pytest

from classifier.normalize import normalize
from classifier.salary import PER_MONTH, USD_PER_UNIT, best_pay, parse_pay

KRW, CNY = USD_PER_UNIT["KRW"], USD_PER_UNIT["CNY"]

# (text, currency, period, expected monthly USD high end)
CASES = [
    ("월 400만원", "KRW", "month", 4_000_000 * KRW),
    ("월400만", "KRW", "month", 4_000_000 * KRW),
    ("월 1,000만 원", "KRW", "month", 10_000_000 * KRW),
    ("월급 600만 원", "KRW", "month", 6_000_000 * KRW),
    ("월 천만원", "KRW", "month", 10_000_000 * KRW),
    ("한 달에 1,000만 원", "KRW", "month", 10_000_000 * KRW),
    ("월 400 숙식 보장", "KRW", "month", 4_000_000 * KRW),
    ("월 4 0 0 만 원", "KRW", "month", 4_000_000 * KRW),
    ("500~1000만원", "KRW", "month", 10_000_000 * KRW),
    ("연봉 3,000만원", "KRW", "year", 30_000_000 * KRW / 12),
    ("연봉 5500만~6500만원", "KRW", "year", 65_000_000 * KRW / 12),
    ("연봉 2억", "KRW", "year", 200_000_000 * KRW / 12),
    ("1억 2천만원", "KRW", "year", 120_000_000 * KRW / 12),
    ("주급 100만원", "KRW", "week", 1_000_000 * KRW * PER_MONTH["week"]),
    ("일당 15만원", "KRW", "day", 150_000 * KRW * 22),
    ("시급 10,000원", "KRW", "hour", 10_000 * KRW * 176),
    ("월 3000달러 보장", "USD", "month", 3000),
    ("$3,000/month", "USD", "month", 3000),
    ("$3000 per month", "USD", "month", 3000),
    ("USD 2,500 monthly", "USD", "month", 2500),
    ("3000 USD/month", "USD", "month", 3000),
    ("$1800", "USD", "month", 1800),
    ("$50 per day", "USD", "day", 1100),
    ("$15/hour", "USD", "hour", 15 * 176),
    ("$700 - $1500", "USD", "month", 1500),
    ("earn $5k a month", "USD", "month", 5000),
    ("ＵＳＤ３０００", "USD", "month", 3000),
    ("thu nhập nghìn đô", "USD", "month", 1000),
    ("月薪3万", "CNY", "month", 30_000 * CNY),
    ("月入过万", "CNY", "month", 10_000 * CNY),
    ("月薪1-2万", "CNY", "month", 20_000 * CNY),
    ("日薪1000元", "CNY", "day", 1000 * CNY * 22),
    ("年薪30万", "CNY", "year", 300_000 * CNY / 12),
    ("8000元/月", "CNY", "month", 8000 * CNY),
    ("฿30,000", "THB", "month", 30_000 / 35),
    ("เงินเดือน 50,000 บาท", "THB", "month", 50_000 / 35),
    ("20 triệu/tháng", "VND", "month", 20e6 / 25_000),
    ("15.000.000 VND", "VND", "month", 15e6 / 25_000),
    ("Rp 15 juta", "IDR", "month", 15e6 / 16_000),
    ("Rp15-30 juta", "IDR", "month", 30e6 / 16_000),
    ("Rp 7.000.000", "IDR", "month", 7e6 / 16_000),
    ("RM 3,000", "MYR", "month", 3000 / 4.5),
    ("AED 2,500 monthly", "AED", "month", 2500 / 3.67),
    ("Rs 1 lakh per month", "INR", "month", 100_000 / 84),
    # ISO currency code written before the amount
    ("KRW 8,000,000 per month", "KRW", "month", 8_000_000 * KRW),
    ("salary: krw 3,000,000~4,000,000", "KRW", "month", 4_000_000 * KRW),
    ("USD 3,000/month", "USD", "month", 3000),
    ("PHP 20,000", "PHP", "month", 20_000 / 57),
    ("CNY 20,000 per month", "CNY", "month", 20_000 * CNY),
    ("EUR 2,500/month", "EUR", "month", 2500 * 1.08),
    ("VND 30,000,000", "VND", "month", 30e6 / 25_000),
    ("IDR 15.000.000 per bulan", "IDR", "month", 15e6 / 16_000),
    ("JPY 300,000", "JPY", "month", 300_000 / 150),
    # bare Korean rates: the rate word says the unit (만원, or won for an hourly rate)
    ("일당 20 지급", "KRW", "day", 200_000 * KRW * 22),
    ("주급 80", "KRW", "week", 800_000 * KRW * PER_MONTH["week"]),
    ("연봉 6000 협의", "KRW", "year", 60_000_000 * KRW / 12),
    ("시급 12000", "KRW", "hour", 12_000 * KRW * 176),
]


@pytest.mark.parametrize("text,currency,period,usd", CASES, ids=[c[0] for c in CASES])
def test_pay_table(text: str, currency: str, period: str, usd: float) -> None:
    pay = best_pay(parse_pay(normalize(text).text))
    assert pay is not None
    assert (pay.currency, pay.period) == (currency, period)
    assert pay.monthly_usd_high == pytest.approx(usd, rel=0.01)


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(
    "text",
    [
        "2024년 3월 공고",
        "5 years of experience",
        "경력 3년 이상",
        "연락처 010-1234-5678",
        "TOPIK 4급",
        "최대 30명",
        "3천",
        "artkrw 500",  # a code inside a longer word is not a currency
        "월 2회 휴무",
        "일당 3",  # too small to be 만원 a day
        "연봉 협의",
    ],
)
def test_numbers_that_are_not_pay(text: str) -> None:
    assert parse_pay(normalize(text).text) == []


@pytest.mark.parametrize(
    "text,usd",
    [
        ("salary $1.234.5 per month", 1234.5),
        ("1.234.5 usd", 1234.5),
    ],
)
def test_dotted_numbers_with_a_decimal_parse(text: str, usd: float) -> None:
    # These once raised ValueError inside the batch scan, failing every ad of the batch.
    pay = best_pay(parse_pay(normalize(text).text))
    assert pay is not None and pay.monthly_usd_high == pytest.approx(usd)


def test_range_low_end_kept() -> None:
    pay = best_pay(parse_pay(normalize("$2,500 - $4,000 per month").text))
    assert (pay.monthly_usd_low, pay.monthly_usd_high) == (2500, 4000)


def test_best_pay_is_the_highest_promise() -> None:
    pays = parse_pay(normalize("기본 월 300만원, 최고 월 1500만원").text)
    assert best_pay(pays).monthly_usd_high == pytest.approx(15_000_000 * KRW)


@pytest.mark.parametrize(
    "text", ["월급 $2.300.000.5", "$1,234.567.8", "salary: $" + "9" * 400, "월급 " + "9" * 400 + "원"]
)
def test_pay_beyond_any_plausible_value_is_unparsed(text: str) -> None:
    # A salary of 400 digits once gave the reason "US$inf/month, infx benchmark".
    assert parse_pay(normalize(text).text) == []


def test_an_amount_alone_in_the_salary_field_is_pay() -> None:
    pay = best_pay(parse_pay(normalize("2억").text, in_salary_field=True))
    assert pay is not None and (pay.currency, pay.period) == ("KRW", "year")
    assert parse_pay(normalize("2억").text) == []  # in free text, 2억 alone may be any figure


@pytest.mark.parametrize(
    "text,currency,period,local",
    [
        ("신입 기준 3000만원의 연봉을 드립니다", "KRW", "year", 30_000_000),
        ("Annual salary of USD 48,000, paid monthly", "USD", "year", 48_000),
        ("CTC: INR 9,60,000 p.a.", "INR", "year", 960_000),
        ("INR 42–54 lakh p.a.", "INR", "year", 5_400_000),
        ("Wynagrodzenie roczne: 96 000 zł brutto", "PLN", "year", 96_000),
        ("Salary: £31,200 per annum", "GBP", "year", 31_200),
        ("待遇：月薪NT$45,000~55,000", "TWD", "month", 55_000),
        ("月薪1200-1500美元", "USD", "month", 1_500),
        ("想定年収：400万円〜600万円", "JPY", "year", 6_000_000),
        ("時給1,200円", "JPY", "hour", 1_200),
        ("Upah Rp 150.000/hari", "IDR", "day", 150_000),
        ("Sahod: ₱750 kada araw", "PHP", "day", 750),
        ("ប្រាក់ឈ្នួល $15 ក្នុងមួយថ្ងៃ", "USD", "day", 15),
        ("VND 25–32 million per month", "VND", "month", 32_000_000),
    ],
)
def test_period_and_currency_wherever_written(text: str, currency: str, period: str, local: float) -> None:
    pay = best_pay(parse_pay(normalize(text).text))
    assert pay is not None and (pay.currency, pay.period) == (currency, period)
    assert pay.monthly_usd_high / USD_PER_UNIT[currency] / PER_MONTH[period] == pytest.approx(local)


@pytest.mark.parametrize(
    "text",
    [
        "현재 월 거래액 56억 원, 가맹점 3,200곳",
        "올해 시리즈B 라운드에서 130억원 투자 유치",
        "월 평균 출고 약 38만 건",
        "보증금 1,000만원 / 월세 50~70만원대 원룸",
        "Marrowgate Capital manages USD 1.2 billion for pension clients",
        "disburses around USD 3 million a month in loans",
        "explain fees (Korea single entry KRW 40,000; Schengen EUR 90; UK Standard Visitor GBP 127)",
        "注册资本500万元",
        "日商100万円を超える繁盛店",
        "ยอดขายปีละ 200 ล้านบาท",
        "omzet ± Rp 3 miliar per bulan",
        "Firma (KRS 0000555123, Gdynia)",
    ],
)
def test_company_figures_prices_and_counts_are_never_pay(text: str) -> None:
    assert parse_pay(normalize(text).text) == []


def test_a_pay_word_wins_over_a_price_on_another_line() -> None:
    text = "យើងលក់ទូរស័ព្ទចាប់ពី $89 ដល់ $1,299។\nប្រាក់ខែ $250 - $320"
    pay = best_pay(parse_pay(normalize(text).text))
    assert pay is not None and pay.monthly_usd_high == pytest.approx(320)
