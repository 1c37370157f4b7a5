"""Pay as written -> monthly amount in US dollars, from the many ways ads state it.

Handles 만원/천만원/억/원, $/USD/달러, 元/万, ฿/บาท, VND/triệu/đô, Rp/juta, RM, S$, AED, ₱,
円, Rs/lakh; per hour, day, week, month or year. Runs on normalised text (lower case, NFKC,
no spaces between Hangul letters), so 월 4 0 0 만 원 and full-width digits parse too.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

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
}
# Multipliers to a month: 22 working days, 8-hour days, 52/12 weeks.
PER_MONTH: dict[str, float] = {"hour": 176.0, "day": 22.0, "week": 52 / 12, "month": 1.0, "year": 1 / 12}

# Every pattern starts with a literal or a single character class (here [0-9]), so the regex
# engine can skip non-candidate positions at C speed: scanning a 2,000-ad batch with
# patterns that began with a repeat or a group alternative took ~0.4 s.
NUM = r"[0-9](?:\d{0,2}(?:[,.]\d{3})+(?:\.\d+)?|\d*(?:\.\d+)?)"
_RANGE = r"\s*(?:~|-|–|—|to|~|에서|至|到|hingga|sampai|đến)\s*"

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
            rf"(?P<a>{NUM})\s*(?P<ka>k)?(?:{_RANGE}(?P<b>{NUM})\s*(?P<kb>k)?)?\s*(?:usd|us dollars?|dollars?|달러|불|美元|美金|đô(?: la)?)(?![a-z])"
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
        ),
    ),
    ("CNY", re.compile(rf"(?:rmb|¥)\s*(?P<a>{NUM})")),
    ("THB", re.compile(rf"(?P<a>{NUM})\s*(?P<ka>k)?(?:{_RANGE}(?P<b>{NUM})\s*(?P<kb>k)?)?\s*(?:บาท|baht|thb|฿)")),
    ("THB", re.compile(rf"(?:฿|thb)\s*(?P<a>{NUM})(?:{_RANGE}(?P<b>{NUM}))?")),
    ("VND", re.compile(rf"(?P<a>{NUM})(?:{_RANGE}(?P<b>{NUM}))?\s*(?P<ua>triệu|tr)(?![a-zà-ỹ])")),
    ("VND", re.compile(rf"(?P<a>{NUM})\s*(?:vnd|vnđ|đồng|đ)(?![a-zà-ỹ])")),
    ("IDR", re.compile(rf"rp\.?\s*(?P<a>{NUM})(?:{_RANGE}(?:rp\.?\s*)?(?P<b>{NUM}))?\s*(?P<ua>juta|jt)?")),
    ("IDR", re.compile(rf"(?P<a>{NUM})(?:{_RANGE}(?P<b>{NUM}))?\s*(?P<ua>juta)")),
    ("MYR", re.compile(rf"(?:rm|myr)\s*(?P<a>{NUM})(?:{_RANGE}(?:rm\s*)?(?P<b>{NUM}))?")),
    ("SGD", re.compile(rf"(?:s\$|sgd)\s*(?P<a>{NUM})(?:{_RANGE}(?:s\$)?(?P<b>{NUM}))?")),
    ("AED", re.compile(rf"(?:aed|dhs?)\s*(?P<a>{NUM})(?:{_RANGE}(?P<b>{NUM}))?")),
    ("AED", re.compile(rf"(?P<a>{NUM})\s*(?:aed|dirhams?)")),
    ("PHP", re.compile(rf"(?:₱|php)\s*(?P<a>{NUM})")),
    ("JPY", re.compile(rf"(?P<a>{NUM})\s*(?P<ua>万|만)?\s*(?:円|엔|yen|jpy)")),
    ("INR", re.compile(rf"(?:rs\.?|₹|inr)\s*(?P<a>{NUM})\s*(?P<ua>lakhs?|lacs?)?")),
    # ISO code written BEFORE the amount ("KRW 8,000,000 per month", "EUR 2,500/month"), as
    # international ads and forms write it. The lookbehind after the code keeps it a whole
    # word (not "...krw") while the pattern still opens with a literal (see above).
    *(
        (
            code.upper(),
            re.compile(rf"{code}(?<![a-z]{code})\s*(?P<a>{NUM})(?:{_RANGE}(?:{code}\s*)?(?P<b>{NUM}))?(?![0-9])"),
        )
        for code in ("krw", "cny", "vnd", "idr", "eur", "jpy", "khr")
    ),
]
# Patterns that start with the amount are tried only where a number starts (one scan for
# all of them); the others start with a currency word or sign and scan on their own.
_NUM_FIRST = [(c, rx) for c, rx in _PATTERNS if rx.pattern.startswith("(?P<a>[0-9]")]
_WORD_FIRST = [(c, rx) for c, rx in _PATTERNS if not rx.pattern.startswith("(?P<a>[0-9]")]
# Opens with the digit and looks two characters back: a pattern opening with a lookbehind
# is tried at every position of the batch, one opening with a class skips at C speed.
_NUM_START = re.compile(r"[0-9](?<![0-9.,][0-9])")
# Any amount-first pattern at all? Most numbers in ads (dates, counts, ages, phone numbers)
# are not pay: one attempt of the alternation rules them out instead of one call per pattern.
# (Group names repeat across the patterns, so the alternation drops them.)
_ANY_NUM_FIRST = re.compile("|".join("(?:" + re.sub(r"\(\?P<\w+>", "(?:", rx.pattern) + ")" for _, rx in _NUM_FIRST))
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

_PERIOD_BEFORE = [
    ("hour", re.compile(r"(?:시급|时薪|per hour|hourly|/hr)\s*[:：]?\s*$")),
    (
        "day",
        re.compile(
            r"(?:일당|일급|하루|daily|day rate|日薪|日结|每天|một ngày|ngày|per hari|sehari|วันละ)\s*[:：]?\s*(?:약|최소|최대|평균)?\s*$"
        ),
    ),
    ("week", re.compile(r"(?:주급|weekly|周薪|每周|mỗi tuần|seminggu)\s*[:：]?\s*$")),
    (
        "year",
        re.compile(
            r"(?:연봉|연수입|연소득|연|annual(?:ly)?|yearly|per year|年薪|年入|mỗi năm|per tahun)\s*[:：]?\s*(?:약|최소|최대|평균)?\s*$"
        ),
    ),
    (
        "month",
        re.compile(
            r"(?:월급|월수입|월|한달|매달|매월|monthly|salary|月薪|月入|底薪|月|lương|gaji|เงินเดือน|เดือนละ)\s*[:：]?\s*(?:약|최소|최대|평균|최소\s*보장|보장|up to|tối thiểu|可达|过|超)?\s*$"
        ),
    ),
]
_PERIOD_AFTER = [
    ("hour", re.compile(r"^\s*(?:/\s*(?:h|hr|hour|시간)|per hour|an hour|a hour|/小时|每小时|một giờ|/jam)")),
    (
        "day",
        re.compile(r"^\s*(?:/\s*(?:day|일|日|天|ngày|hari|วัน)|per day|a day|daily|每天|一天|một ngày|sehari|ต่อวัน)"),
    ),
    ("week", re.compile(r"^\s*(?:/\s*(?:week|wk|주|周)|per week|a week|weekly|每周|một tuần|per minggu)")),
    (
        "year",
        re.compile(
            r"^\s*(?:/\s*(?:year|yr|년|年|năm|tahun)|per year|a year|per annum|p\.a\.|annually|yearly|每年|một năm|per tahun)"
        ),
    ),
    (
        "month",
        re.compile(
            r"^\s*(?:/\s*(?:month|mo|월|月|tháng|bulan|เดือน)|per month|a month|monthly|每月|một tháng|mỗi tháng|per bulan|sebulan|ต่อเดือน)"
        ),
    ),
]
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


def _num(s: str) -> float:
    s = s.strip()
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", s):
        return float(s.replace(",", ""))
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", s):  # 15.000.000 (VND, IDR)
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
    lo = _num(a) * _scale(
        ua if ua else ub if g.get("b") else None, g.get("ka") or (g.get("kb") if g.get("b") else None)
    )
    hi = _num(g["b"]) * _scale(ub, g.get("kb")) if g.get("b") else lo
    return lo, max(lo, hi)


def _period(text: str, start: int, end: int, cur: str, amount: float) -> str:
    """Pay period from the words just after the amount, else just before it."""
    after = text[end : end + 16].split("\x00")[0]  # never read into the next ad of a batch
    for name, rx in _PERIOD_AFTER:
        if rx.search(after):
            return name
    before = text[max(0, start - 14) : start].split("\x00")[-1]
    for name, rx in _PERIOD_BEFORE:
        if rx.search(before):
            return name
    if cur == "KRW" and amount >= 50_000_000:  # 5천만원 with no period is an annual salary
        return "year"
    return "month"


def parse_pay(text: str) -> list[Pay]:
    """Every pay statement found in normalised text (see classifier.normalize)."""
    found: list[Pay] = []
    taken: list[tuple[int, int]] = []
    taken_starts: list[int] = []
    candidates: list[tuple[str, re.Match[str]]] = []
    for cur, rx in _WORD_FIRST:
        candidates.extend((cur, m) for m in rx.finditer(text) if m.group().strip())
    for n in _NUM_START.finditer(text):
        if not _ANY_NUM_FIRST.match(text, n.start()):
            continue
        for cur, rx in _NUM_FIRST:
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
        if cur == "KRW_BARE":
            lo = hi = _num(m.group("a")) * bare_scale[id(m)]
            cur = "KRW"
        else:
            v = _values(cur, m)
            if v is None:
                continue
            lo, hi = v
        if hi <= 0:
            continue
        first = [m.start(k) for k in ("a", "a2", "ua") if k in m.re.groupindex and m.start(k) >= 0]
        period = _period(text, min(first) if first else s, e, cur, hi)
        if cur == "KRW" and hi < 5_000:  # "3천" alone: not pay
            continue
        rate = USD_PER_UNIT[cur] * PER_MONTH[period]
        taken.insert(i, (s, e))
        taken_starts.insert(i, s)
        found.append(Pay(lo * rate, hi * rate, cur, period, s, e))
    found.sort(key=lambda p: p.start)
    return found


def best_pay(pays: list[Pay]) -> Pay | None:
    """The highest pay promised (ads lure with the top of the range)."""
    return max(pays, key=lambda p: p.monthly_usd_high) if pays else None
