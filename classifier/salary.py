"""Pay as written -> monthly amount in US dollars, from the many ways ads state it.

Handles 만원/천만원/억/원, $/USD/달러, 元/万, ฿/บาท, VND/triệu/đô, Rp/juta, RM, S$, AED, ₱,
円, Rs/lakh; per hour, day, week, month or year. Runs on normalised text (lower case, NFKC,
no spaces between Hangul letters), so 월 4 0 0 만 원 and full-width digits parse too.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from classifier.indicators import literal_needs, may_match

# Fixed, documented conversion rates (USD per unit, late-2025 averages, rounded). Exactness
# does not matter: the feature separates "an ordinary wage" from "several times any
# plausible wage". Changing a rate changes features, so retrain after editing.
USD_PER_UNIT: dict[str, float] = {
    "USD": 1.0,
    "KRW": 1 / 1400,
    "CNY": 1 / 7.2,
    "THB": 1 / 35,
    "VND": 1 / 25_000,
    "IDR": 1 / 16_000,
    "PHP": 1 / 57,
    "MYR": 1 / 4.5,
    "SGD": 1 / 1.35,
    "AED": 1 / 3.67,
    "JPY": 1 / 150,
    "INR": 1 / 84,
    "KHR": 1 / 4_000,
    "EUR": 1.08,
    "GBP": 1.27,
    "PLN": 1 / 4.0,
    "TWD": 1 / 32,
    "MMK": 1 / 2_100,
}
# Pay beyond this (US$ a month) is no pay an ad can offer: a company figure, a typo or a
# hostile input (a salary of 400 digits once read as US$inf). Left unparsed, not capped.
MAX_MONTHLY_USD = 250_000.0
# Multipliers to a month: 22 working days, 8-hour days, 52/12 weeks.
PER_MONTH: dict[str, float] = {"hour": 176.0, "day": 22.0, "week": 52 / 12, "month": 1.0, "year": 1 / 12}

# Every pattern starts with a literal or a single character class (here [0-9]), so the regex
# engine can skip non-candidate positions at C speed: scanning a 2,000-ad batch with
# patterns that began with a repeat or a group alternative took ~0.4 s.
# Digits with Indian grouping (9,60,000), with comma or dot thousands, with space thousands
# (96 000 zł), or plain. Every repeat is separated by a literal, so matching stays linear.
NUM = (
    r"[0-9](?:\d?(?:,\d\d)+,\d{3}(?![\d,])|\d{0,2}(?:[,.]\d{3})+(?:\.\d+)?|\d{0,2}(?: \d{3})+(?![\d,.])|\d*(?:\.\d+)?)"
)
_RANGE = r"\s*(?:~|-|–|—|to|~|〜|에서|至|到|hingga|sampai|đến|ដល់)\s*"

# Each pattern: (currency, regex). Groups: a = amount, b = optional range end; unit words
# are read from the match text by _value().
_KO_UNIT = r"(?:억|천만|백만|만|천)"
_KO_AMOUNT = rf"{NUM}\s*{_KO_UNIT}\s*(?:(?:{NUM})\s*{_KO_UNIT}\s*)*(?:(?:{NUM})\s*)?"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "USD",
        re.compile(
            rf"(?:us\$|\$|usd)\s*(?P<a>{NUM})\s*(?P<ka>k)?(?:{_RANGE}(?:us\$|\$|usd)?\s*(?P<b>{NUM})\s*(?P<kb>k)?)?"
        ),
    ),
    (
        "USD",
        re.compile(
            rf"(?P<a>{NUM})\s*(?P<ka>k)?(?:{_RANGE}(?P<b>{NUM})\s*(?P<kb>k)?)?\s*(?:usd|us dollars?|dollars?|달러|불|美元|美金|ドル|ดอลลาร์|đô(?: la)?)(?![a-z])"
        ),
    ),
    ("USD", re.compile(r"(?P<a>nghìn|ngàn)\s*đô")),
    ("KRW", re.compile(rf"(?P<a>{_KO_AMOUNT})(?:{_RANGE}(?P<b>{_KO_AMOUNT}))?\s*(?:원|won|krw)?")),
    ("KRW", re.compile(rf"(?P<a>천만|백만)(?:{_RANGE}(?P<b>{_KO_AMOUNT}))?\s*(?:원|won|krw)?")),
    ("KRW", re.compile(rf"(?P<a>{NUM}){_RANGE}(?P<b>{_KO_AMOUNT})\s*(?:원|won|krw)?")),
    ("KRW", re.compile(rf"(?P<a>{NUM})\s*(?:{_RANGE}(?P<b>{NUM})\s*)?(?:원|won|krw)(?![a-z])")),
    ("KRW", re.compile(rf"₩\s*(?P<a>{NUM})")),
    (
        "CNY",
        re.compile(
            rf"(?P<a>{NUM})\s*(?P<ua>万|千|w)?(?:{_RANGE}(?P<b>{NUM})\s*(?P<ub>万|千|w)?)?\s*(?:元|块|rmb|人民币|/月|每月)"
        ),
    ),
    (
        "CNY",
        re.compile(
            rf"(?:月薪|月入|底薪|日薪|年薪|工资|薪资|收入)(?:可达|过|超|在)?\s*(?P<a>{NUM}|过)?\s*(?P<ua>万|千)?(?:{_RANGE}(?P<b>{NUM})\s*(?P<ub>万|千)?)?"
            # Not when the amount goes on in another currency (月薪800美元 is dollars).
            rf"(?![\d,.~\-–—至到]|\s*(?:美元|美金|usd|\$|dollars?|泰铢|泰币|บาท|ドル|円|日元|韩元|원|比索|令吉|越南盾|印尼盾|新币|瑞尔|缅币|港币|台币|欧元|英镑|nt\$))"
        ),
    ),
    ("CNY", re.compile(rf"(?:rmb|¥)\s*(?P<a>{NUM})")),
    (
        "THB",
        re.compile(rf"(?P<a>{NUM})\s*(?P<ka>k)?(?:{_RANGE}(?P<b>{NUM})\s*(?P<kb>k)?)?\s*(?:บาท|baht|thb|฿|泰铢|泰币)"),
    ),
    ("THB", re.compile(rf"(?:฿|thb)\s*(?P<a>{NUM})(?:{_RANGE}(?P<b>{NUM}))?")),
    ("VND", re.compile(rf"(?P<a>{NUM})(?:{_RANGE}(?P<b>{NUM}))?\s*(?P<ua>triệu|tr)(?![a-zà-ỹ])")),
    ("VND", re.compile(rf"(?P<a>{NUM})\s*(?:vnd|vnđ|đồng|đ)(?![a-zà-ỹ])")),
    # Currency words that are also word endings (KRS 0000555123, confirm 2025, corp 2019) count
    # only as words of their own: the lookbehind after the first letter keeps the opening literal.
    ("IDR", re.compile(rf"r(?<![a-z]r)p\.?\s*(?P<a>{NUM})(?:{_RANGE}(?:rp\.?\s*)?(?P<b>{NUM}))?\s*(?P<ua>juta|jt)?")),
    ("IDR", re.compile(rf"(?P<a>{NUM})(?:{_RANGE}(?P<b>{NUM}))?\s*(?P<ua>juta)")),
    ("MYR", re.compile(rf"(?:r(?<![a-z]r)m|m(?<![a-z]m)yr)\s*(?P<a>{NUM})(?:{_RANGE}(?:rm\s*)?(?P<b>{NUM}))?")),
    ("SGD", re.compile(rf"(?:s\$|sgd)\s*(?P<a>{NUM})(?:{_RANGE}(?:s\$)?(?P<b>{NUM}))?")),
    ("AED", re.compile(rf"(?:a(?<![a-z]a)ed|d(?<![a-z]d)hs?)\s*(?P<a>{NUM})(?:{_RANGE}(?P<b>{NUM}))?")),
    ("AED", re.compile(rf"(?P<a>{NUM})\s*(?:aed|dirhams?)")),
    ("PHP", re.compile(rf"(?:₱|php)\s*(?P<a>{NUM})")),
    (
        "JPY",
        re.compile(
            rf"(?P<a>{NUM})\s*(?P<ua>万|만)?\s*(?:円|엔|yen|jpy)?(?:{_RANGE}(?P<b>{NUM})\s*(?P<ub>万|만)?)?\s*(?:円|엔|yen|jpy)"
        ),
    ),
    (
        "INR",
        re.compile(
            rf"(?:r(?<![a-z]r)s\.?|₹|i(?<![a-z]i)nr)\s*(?P<a>{NUM})(?:{_RANGE}(?:(?:rs\.?|₹|inr)\s*)?(?P<b>{NUM}))?\s*(?P<ub>lakhs?|lacs?|crores?)?"
        ),
    ),
    ("GBP", re.compile(rf"£\s*(?P<a>{NUM})\s*(?P<ka>k)?(?:{_RANGE}£?\s*(?P<b>{NUM})\s*(?P<kb>k)?)?")),
    ("GBP", re.compile(rf"(?P<a>{NUM})\s*(?P<ka>k)?(?:{_RANGE}(?P<b>{NUM})\s*(?P<kb>k)?)?\s*(?:gbp|pounds?)(?![a-z])")),
    ("PLN", re.compile(rf"(?P<a>{NUM})(?:{_RANGE}(?P<b>{NUM}))?\s*(?:zł|zl|pln)(?![a-z])")),
    ("TWD", re.compile(rf"(?:nt\$|ntd|新台幣|新台币)\s*(?P<a>{NUM})(?:{_RANGE}(?:nt\$)?\s*(?P<b>{NUM}))?")),
    ("MMK", re.compile(rf"(?P<a>{NUM})(?:{_RANGE}(?P<b>{NUM}))?\s*(?:kyats?|mmk|ကျပ်)(?![a-z])")),
    ("KHR", re.compile(rf"(?P<a>{NUM})(?:{_RANGE}(?P<b>{NUM}))?\s*(?:riels?|៛|រៀល)(?![a-z])")),
    # ISO code written BEFORE the amount ("KRW 8,000,000 per month", "EUR 2,500/month"), as
    # international ads and forms write it. The lookbehind after the code keeps it a whole
    # word (not "...krw") while the pattern still opens with a literal (see above).
    *(
        (
            code.upper(),
            re.compile(rf"{code}(?<![a-z]{code})\s*(?P<a>{NUM})(?:{_RANGE}(?:{code}\s*)?(?P<b>{NUM}))?(?![0-9])"),
        )
        for code in ("krw", "cny", "vnd", "idr", "eur", "jpy", "khr", "gbp", "pln", "twd", "mmk", "php")
    ),
]
# Patterns that start with the amount are tried only where a number starts (one scan for
# all of them); the others start with a currency word or sign and scan on their own.
_NUM_FIRST = [(c, rx) for c, rx in _PATTERNS if rx.pattern.startswith("(?P<a>[0-9]")]
_WORD_FIRST = [(c, rx) for c, rx in _PATTERNS if not rx.pattern.startswith("(?P<a>[0-9]")]
# Opens with the digit and looks two characters back: a pattern opening with a lookbehind
# is tried at every position of the batch, one opening with a class skips at C speed.
_NUM_START = re.compile(r"[0-9](?<![0-9.,][0-9])")
# Literals each pattern's every match holds (currency words mostly): a batch that has none
# of them skips the pattern (see parse_pay).
_NUM_FIRST_NEEDS = [literal_needs(rx.pattern) for _, rx in _NUM_FIRST]
_WORD_FIRST_NEEDS = [literal_needs(rx.pattern) for _, rx in _WORD_FIRST]


def _any_of(sources: list[str]) -> re.Pattern[str]:
    """One pattern that matches where any of ``sources`` does (group names dropped: they repeat).

    The amount that opens most of them is read once, then what follows it: as plain
    alternatives, each re-read the number (~6 us per number of a batch). Whether some
    pattern matches is unchanged: re backtracks through every way to read the amount.
    """
    plain = [re.sub(r"\(\?P<\w+>", "(?:", s) for s in sources]
    lead = re.sub(r"\(\?P<\w+>", "(?:", _AMOUNT)
    rests = [p[len(lead) :] for p in plain if p.startswith(lead)]
    others = [p for p in plain if not p.startswith(lead)]
    alts = [f"{lead}(?:" + "|".join(f"(?:{r})" for r in rests) + ")"] if rests else []
    return re.compile("|".join(alts + [f"(?:{p})" for p in others]))


_AMOUNT = f"(?P<a>{NUM})"
# Any amount-first pattern at all? Most numbers in ads (dates, counts, ages, phone numbers)
# are not pay: one attempt of the alternation rules them out instead of one call per pattern.
_ANY_NUM_FIRST = _any_of([rx.pattern for _, rx in _NUM_FIRST])
# A bare number right after a Korean pay word: "월 400 숙식" = 400만원 a month, "일당 20" =
# 20만원 a day, "연봉 6000" = 6000만원 a year, "시급 12000" = 12,000원 an hour. Each rate word
# takes the digit counts that are plausible in that unit, so "월 2" or "시급 3" stay unread.
_KO_BARE_END = r"(?![\d,.]|\s*(?:만|원|억|천|달러|\$|%|년|명|일|시|개|세|살|층|호|번|차|회|분))"
_KO_BARE: list[tuple[re.Pattern[str], float]] = [
    (re.compile(rf"(?:월급|월수입|월|한달|매달)\s*(?P<a>\d{{3,4}}){_KO_BARE_END}"), 10_000.0),
    (re.compile(rf"(?:일당|일급)\s*(?P<a>\d{{2,3}}){_KO_BARE_END}"), 10_000.0),
    (re.compile(rf"주급\s*(?P<a>\d{{2,3}}){_KO_BARE_END}"), 10_000.0),
    (re.compile(rf"(?:연봉|연수입)\s*(?P<a>\d{{4,5}}){_KO_BARE_END}"), 10_000.0),
    (re.compile(rf"시급\s*(?P<a>\d{{4,5}}){_KO_BARE_END}"), 1.0),
]

# A currency written before the amount may stand between a period word and the number
# ("annual salary of USD 48,000", "gaji per tahun Rp 120 juta").
_CUR_BEFORE = r"(?:us\$|\$|usd|rp\.?|rm|₱|php|inr|₹|rs\.?|s\$|sgd|thb|฿|£|gbp|€|eur|pln|mmk|nt\$|krw|₩|vnd|idr|cny|rmb|¥|jpy|khr|aed)?"
_PERIOD_BEFORE = [
    ("hour", re.compile(rf"(?:시급|时薪|時給|per hour|hourly|/hr|ชั่วโมงละ)\s*[:：]?\s*{_CUR_BEFORE}\s*$")),
    (
        "day",
        re.compile(
            r"(?:일당|일급|하루|daily|day rate|日薪|日结|日給|日当|每天|một ngày|ngày|per hari|sehari|วันละ)\s*[:：]?\s*"
            rf"(?:약|최소|최대|평균)?\s*{_CUR_BEFORE}\s*$"
        ),
    ),
    ("week", re.compile(rf"(?:주급|weekly|周薪|週給|每周|mỗi tuần|seminggu)\s*[:：]?\s*{_CUR_BEFORE}\s*$")),
    (
        "year",
        re.compile(
            r"(?:연봉|연수입|연소득|연|annual(?:ly)?(?: (?:base )?(?:salary|pay|ctc|compensation))?(?: of)?|yearly|per year"
            r"|年薪|年入|年収|年俸|mỗi năm|per tahun|ปีละ|roczne|rocznie)\s*[:：]?\s*(?:약|최소|최대|평균)?\s*"
            rf"{_CUR_BEFORE}\s*$"
        ),
    ),
    (
        "month",
        re.compile(
            r"(?:월급|월수입|월|한달|매달|매월|monthly|salary|月薪|月入|底薪|月|月給|月収|lương|gaji|เงินเดือน|เดือนละ|miesięcznie)"
            r"\s*[:：]?\s*(?:약|최소|최대|평균|최소\s*보장|보장|up to|tối thiểu|可达|过|超)?\s*"
            rf"{_CUR_BEFORE}\s*$"
        ),
    ),
]
_GROSS = r"^\s*(?:gross|net|brutto|netto|\(?세전\)?)?\s*"
_PERIOD_AFTER = [
    (
        "hour",
        re.compile(
            _GROSS
            + r"(?:/\s*(?:h|hr|hour|시간|時間?|小时|jam|ชม\.?)(?![a-z])|per hour|an hour|a hour|/小时|每小时|một giờ"
            r"|kada oras|ต่อชั่วโมง|ក្នុងមួយម៉ោង|za godzinę)"
        ),
    ),
    (
        "day",
        re.compile(
            _GROSS + r"(?:/\s*(?:day|일|日|天|ngày|hari|วัน)(?![a-z])|per day|a day|daily|每天|一天|một ngày|sehari|ต่อวัน"
            r"|kada araw|bawat araw|ក្នុងមួយថ្ងៃ|ក្នុង១ថ្ងៃ|មួយថ្ងៃ)"
        ),
    ),
    (
        "week",
        re.compile(
            _GROSS + r"(?:/\s*(?:week|wk|주|周|週)(?![a-z])|per week|a week|weekly|每周|một tuần|per minggu"
            r"|kada linggo|lingguhan|ក្នុងមួយសប្តាហ៍)"
        ),
    ),
    (
        "year",
        re.compile(
            _GROSS
            + r"(?:/\s*(?:year|yr|년|年|năm|tahun|ปี|rok)(?![a-z])|per year|a year|per annum|p\.\s?a\.|annually|yearly"
            r"|每年|một năm|per tahun|ต่อปี|kada taon|ក្នុងមួយឆ្នាំ|rocznie|(?:의\s*)?연봉)"
        ),
    ),
    (
        "month",
        re.compile(
            _GROSS
            + r"(?:/\s*(?:month|mo|월|月|tháng|bulan|เดือน|mies)(?![a-z])|per month|a month|monthly|每月|một tháng"
            r"|mỗi tháng|per bulan|sebulan|ต่อเดือน|kada buwan|bawat buwan|ក្នុងមួយខែ|miesięcznie)"
        ),
    ),
]
# Scale words after an amount: "USD 3 million", "₹85 crore", "500 tỷ", "Rp 3 miliar".
_SCALE_AFTER = re.compile(r"\s*(million|mil|mn|billion|bn|crores?|tỷ|miliar|triliun|ล้าน)(?![a-z])")
_SCALE_WORDS = {"million": 1e6, "mil": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "crore": 1e7, "crores": 1e7}
_SCALE_WORDS.update({"tỷ": 1e9, "miliar": 1e9, "triliun": 1e12, "ล้าน": 1e6})

# Pay is read only in a pay context. Looking back from an amount along its line (at most
# _CONTEXT characters): a pay word makes it pay; a company figure (revenue, transactions,
# capital, investment, rent...) nearer than any pay word makes it not pay; a price, fee or
# cost nearer than any pay word makes it not pay unless a pay period follows the amount.
_CONTEXT = 48
# Each kind of context word: (words of scripts without case, Latin-script words). A Latin word
# must start a word: checked on the match (a lookbehind opening the pattern would make the
# engine try it at every position).
_PAY = (
    r"급여|월급|연봉|시급|일당|일급|주급|보수|처우|페이|수입|소득|한\s*달|매달|매월|월\s*(?:$|(?=[0-9]))|"
    r"薪|工资|待遇|收入|月入|給与|給料|月給|年収|時給|日給|月収|報酬|เงินเดือน|ค่าจ้าง|ค่าแรง|รายได้|ប្រាក់ខែ|ប្រាក់ឈ្នួល|လစာ|ເງິນເດືອນ",
    r"salary|salaries|pay|paid|wages?|compensation|comp|ctc|earn|earnings|income|stipend|remuneration|"
    r"gaji|upah|penghasilan|lương|thu nhập|sahod|sweldo|suweldo|wynagrodzenie|pensja|płaca",
)
_FIGURE = (
    r"거래액|거래|매출|투자|유치|자본금|자산|시리즈|가맹점|객단가|보증금|월세|전세|매매|방문객|"
    r"营业额|注册资本|资本|融资|投资|销售额|交易额|营收|产值|资产|房租|月活|売上|資本金|資本額|日商|月商|年商|ยอดขาย|ทุนจดทะเบียน",
    r"revenues?|turnover|transactions?|disburs\w*|loans?|manages|managing|assets|aum|funding|raised|series|invest\w*|"
    r"capital|valuation|sales|gmv|process(?:es|ed)?|omzet|modal|aset|doanh thu|vốn",
)
_PRICE = (
    r"가격|비용|수수료|요금|판매가|价格|售价|费用|押金|価格|費用|料金|ราคา|ค่าธรรมเนียม|តម្លៃ|លក់|ចាប់ពី",
    r"prices?|priced|fees?|costs?|deposit|rent|tickets?|fares?|harga|biaya|presyo|mula|giá|phí",
)


def _words(*kinds: tuple[str, str], named: bool = False) -> re.Pattern[str]:
    parts = []
    for name, (dense, latin) in zip(("pay", "figure", "price"), kinds):
        body = f"{dense}|(?:{latin})(?![a-z])"
        parts.append(f"(?P<{name}>{body})" if named else body)
    return re.compile("|".join(parts))


_PAY_WORDS = _words(_PAY)
_CONTEXT_WORDS = _words(_PAY, _FIGURE, _PRICE, named=True)
# Counted things after a bare number: 38만 건, 1만 2천 명 are counts, not won.
_COUNT_AFTER = re.compile(r"\s*(?:건|명|개|곳|대|평|세|살|층|호|권|회|단위|㎡|km|人|个|家|单|件|名|席|店)")
_KRW_MARK = re.compile(r"원|won|krw|₩")
_FIGURE_AFTER = re.compile(r"\s*(?:의\s*)?(?:투자|매출|거래|in (?:sales|revenue|turnover|transactions|loans|funding))")
_KO_UNITS = {"억": 100_000_000, "천만": 10_000_000, "백만": 1_000_000, "만": 10_000, "천": 1_000}


@dataclass(frozen=True)
class Pay:
    """One pay statement: monthly USD (low and high of a range), currency, period, span."""

    monthly_usd_low: float
    monthly_usd_high: float
    currency: str
    period: str
    start: int
    end: int
    # 2: a pay word or the salary field says it is pay; 1: an amount with nothing against it.
    context: int = 1


# Compiled once: re's cache lookup per call cost more than the match (3,000 amounts a batch).
_INDIAN_GROUPS = re.compile(r"\d{1,2}(?:,\d\d)+,\d{3}")
_COMMA_GROUPS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DOT_GROUPS = re.compile(r"\d{1,3}(?:\.\d{3})+")


def _num(s: str) -> float:
    s = s.strip().replace(" ", "")
    if _INDIAN_GROUPS.fullmatch(s):  # Indian grouping: 9,60,000
        return float(s.replace(",", ""))
    if _COMMA_GROUPS.fullmatch(s):
        return float(s.replace(",", ""))
    if _DOT_GROUPS.fullmatch(s):  # 15.000.000 (VND, IDR)
        return float(s.replace(".", ""))
    plain = s.replace(",", "")
    if plain.count(".") > 1:
        # NUM also matches "1.234.5" (dot thousands, then a decimal): only the last dot is
        # decimal. float() of it raised and one such ad failed a whole scoring batch.
        head, _, tail = plain.rpartition(".")
        plain = f"{head.replace('.', '')}.{tail}"
    return float(plain)


def _korean(s: str) -> float:
    """'1억 2천만', '400만', '천만', '3,000만' -> won."""
    s = re.sub(r"\s+", "", s)
    if s in ("천만", "백만"):
        return float(_KO_UNITS[s])
    total = 0.0
    for m in re.finditer(rf"({NUM})?({_KO_UNIT})?", s):
        if not m.group(0):
            continue
        n = _num(m.group(1)) if m.group(1) else 1.0
        total += n * _KO_UNITS.get(m.group(2) or "", 1)
    return total


def _scale(unit: str | None, k: str | None) -> float:
    scale = {"万": 10_000, "w": 10_000, "千": 1_000, "만": 10_000, "triệu": 1e6, "tr": 1e6, "juta": 1e6, "jt": 1e6}.get(
        unit or "", 1.0
    )
    if unit and unit.startswith(("lakh", "lac")):
        scale = 100_000
    if unit and unit.startswith("crore"):
        scale = 10_000_000
    return scale * (1000 if k else 1)


def _values(cur: str, m: re.Match[str]) -> tuple[float, float] | None:
    g = m.groupdict()
    a = g.get("a") or g.get("a2")
    if cur == "KRW" and a and (re.search(_KO_UNIT, a) or re.search(_KO_UNIT, g.get("b") or "")):
        hi = _korean(g["b"]) if g.get("b") else _korean(a)
        if re.search(_KO_UNIT, a):
            lo = _korean(a)
        else:  # "500~1000만원": the first number borrows the unit of the second
            lo = _korean(a + re.search(_KO_UNIT + r"+\s*$", g["b"]).group())
        return lo, max(lo, hi)
    if a in ("nghìn", "ngàn"):
        return 1000.0, 1000.0
    if a == "过" or (a is None and g.get("ua")):  # 月入过万 = "over ten thousand"
        a = "1"
    if a is None:
        return None
    ua, ub = g.get("ua"), g.get("ub") or g.get("ua")
    # The first amount borrows the unit written after the range ("42–54 lakh"), or after it
    # alone ("1 lakh").
    lo = _num(a) * _scale(ua if ua else ub, g.get("ka") or (g.get("kb") if g.get("b") else None))
    hi = _num(g["b"]) * _scale(ub, g.get("kb")) if g.get("b") else lo
    return lo, max(lo, hi)


def _period(text: str, start: int, end: int, cur: str, amount: float) -> str:
    """Pay period from the words just after the amount, else just before it."""
    after = text[end : end + 20].split("\x00")[0].split("\n")[0]  # never read into the next ad or line
    for name, rx in _PERIOD_AFTER:
        if rx.search(after):
            return name
    before = text[max(0, start - 32) : start].split("\x00")[-1].split("\n")[-1]
    for name, rx in _PERIOD_BEFORE:
        if rx.search(before):
            return name
    if cur == "KRW" and amount >= 50_000_000:  # 5천만원 with no period is an annual salary
        return "year"
    return "month"


def _has_period_after(text: str, end: int) -> bool:
    after = text[end : end + 20].split("\x00")[0].split("\n")[0]
    return any(rx.search(after) for _, rx in _PERIOD_AFTER)


def _context(text: str, start: int, end: int, explicit: bool) -> int:
    """2 pay, 1 neutral, 0 not pay: what the words before the amount on its line say."""
    lo = max(0, start - _CONTEXT)
    line = max(text.rfind("\n", lo, start), text.rfind("\x00", lo, start)) + 1
    lo = max(lo, line)
    last = {"pay": -1, "figure": -1, "price": -1}
    for m in _CONTEXT_WORDS.finditer(text, lo, start):
        at = m.start()
        if at and "a" <= text[at] <= "z" and "a" <= text[at - 1] <= "z":
            continue  # a piece of a longer Latin word ("repay", "unpaid" still end in pay)
        last[m.lastgroup or "pay"] = m.end()
    pay, figure, price = last["pay"], last["figure"], last["price"]
    if _FIGURE_AFTER.match(text, end):  # "130억원 투자 유치", "USD 3 million in loans"
        return 0
    if figure > pay:
        return 0
    if price > pay and not _has_period_after(text, end):
        return 0
    if pay >= 0:
        return 2
    return 1 if explicit else 0


def parse_pay(text: str, in_salary_field: bool = False) -> list[Pay]:
    """Every pay statement found in normalised text (see classifier.normalize).

    An amount counts only in a pay context (see _context): company figures, prices, fees and
    counts are never pay. ``in_salary_field``: the text is the ad's salary field, where every
    amount is pay. Amounts past MAX_MONTHLY_USD are left unparsed.
    """
    found: list[Pay] = []
    taken: list[tuple[int, int]] = []
    taken_starts: list[int] = []
    candidates: list[tuple[str, re.Match[str]]] = []
    # Only the patterns whose literals the text holds (the others cannot match); the order
    # of the candidates is that of the patterns either way.
    word_first = [cr for cr, needs in zip(_WORD_FIRST, _WORD_FIRST_NEEDS) if may_match(text, needs)]
    num_first = [cr for cr, needs in zip(_NUM_FIRST, _NUM_FIRST_NEEDS) if may_match(text, needs)]
    for cur, rx in word_first:
        candidates.extend((cur, m) for m in rx.finditer(text) if m.group().strip())
    for n in _NUM_START.finditer(text):
        if not _ANY_NUM_FIRST.match(text, n.start()):
            continue
        for cur, rx in num_first:
            m = rx.match(text, n.start())
            if m:
                candidates.append((cur, m))
    bare_scale: dict[int, float] = {}  # id of a bare-rate match -> won per unit written
    for rx, scale in _KO_BARE:
        for m in rx.finditer(text):
            bare_scale[id(m)] = scale
            candidates.append(("KRW_BARE", m))
    # Longest statements first, so "$2,000-3,000/month" wins over the bare "3,000".
    candidates.sort(key=lambda cm: (-(cm[1].end() - cm[1].start()), cm[1].start()))
    for cur, m in candidates:
        s, e = m.span("a") if cur == "KRW_BARE" else m.span()
        if cur == "KRW_BARE":
            s = m.start()
        i = bisect.bisect_left(taken_starts, e)  # taken spans are disjoint: check the one before e
        if i and taken[i - 1][1] > s:
            continue
        explicit = True
        if cur == "KRW_BARE":
            lo = hi = _num(m.group("a")) * bare_scale[id(m)]
            cur = "KRW"
        else:
            v = _values(cur, m)
            if v is None:
                continue
            lo, hi = v
            if cur == "KRW" and not _KRW_MARK.search(m.group()):
                explicit = False  # 38만 alone may be won, or 38만 건 (parcels)
                if _COUNT_AFTER.match(text, e):
                    continue
        scale = _SCALE_AFTER.match(text, e)
        if scale:
            factor = _SCALE_WORDS[scale.group(1)]
            lo, hi, e = lo * factor, hi * factor, scale.end()
        if hi <= 0:
            continue
        first = [m.start(k) for k in ("a", "a2", "ua") if k in m.re.groupindex and m.start(k) >= 0]
        period = _period(text, min(first) if first else s, e, cur, hi)
        if cur == "KRW" and hi < 5_000:  # "3천" alone: not pay
            continue
        context = 2 if in_salary_field else _context(text, s, e, explicit)
        rate = USD_PER_UNIT[cur] * PER_MONTH[period]
        # A figure that is not pay keeps its span, so no piece of it is read as pay either.
        taken.insert(i, (s, e))
        taken_starts.insert(i, s)
        if context == 0 or not lo * rate <= hi * rate <= MAX_MONTHLY_USD:  # also rejects inf and nan
            continue
        found.append(Pay(lo * rate, hi * rate, cur, period, s, e, context))
    found.sort(key=lambda p: p.start)
    return found if in_salary_field else _drop_listed(text, found, sorted(taken))


def _drop_listed(text: str, pays: list[Pay], spans: list[tuple[int, int]]) -> list[Pay]:
    """Drop a neutral amount that continues a list of figures on its line ("fees (KRW 40,000;
    EUR 90; GBP 127)"): the amount before it on the line was not pay, and no pay word stands
    between them."""
    accepted = {(p.start, p.end): p for p in pays}
    out, prev_end, prev_pay = [], -1, True
    for s, e in spans:
        gap = text[prev_end:s] if prev_end >= 0 else "\n"
        pay = accepted.get((s, e))
        listed = "\n" not in gap and "\x00" not in gap and not prev_pay and not _PAY_WORDS.search(gap)
        if pay is not None and not (pay.context == 1 and listed):
            out.append(pay)
            prev_pay = True
        else:
            prev_pay = False
        prev_end = e
    return out


def best_pay(pays: list[Pay]) -> Pay | None:
    """The highest pay promised (ads lure with the top of the range), said to be pay first."""
    return max(pays, key=lambda p: (p.context, p.monthly_usd_high)) if pays else None
