"""Phone numbers in ad text that an analyst would stake their name on (issue 24, Build 1).

A run of digits is a phone only when all of these hold:

- it is not inside a URL, an e-mail or an id (the caller masks those spans), nor part of a
  longer run of digits and letters, nor an IP address or a date;
- no id label stands closer before it than a phone label ("MST", "order no.", "계좌",
  "passport": a Vietnamese tax code is a valid VN number to libphonenumber);
- ``phonenumbers.is_valid_number`` accepts it: written with a country code (``+``,
  ``00``), as that; else in the ad's home regions (its language's country, then its
  country, then the country of its script), never in "any region where it happens to be
  valid", which turned Vietnamese mobiles into Thai ones and Japanese into Chinese;
- it has phone context (a phone or messenger label just before or after it) or phone
  formatting (a country code, or separators in the number's national grouping).

News URLs (``/article/469/0000659800``) gave "phones" that linked unrelated ads into
campaigns and went to partners as recruiter contacts; this is the rule that stops them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from core.phones import LANGUAGE_REGIONS, WATCHED_REGIONS

_E164 = phonenumbers.PhoneNumberFormat.E164
_NATIONAL = phonenumbers.PhoneNumberFormat.NATIONAL

# Separators people put inside a number: spaces, dots, dashes of every width, parentheses.
SEPARATORS = " \u00a0\u3000.\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d()"
_SP = "[ \u00a0\u3000]"
_DASH = "[\\-\u2010-\u2015\u2212\u30fc\uff0d)]"
# Between two digits: 1-3 spaces, a dash or ")" with a space either side, a "(0)", or one dot
# (a dot with a space after it ends a sentence: "Call 012 345 678. 2 posts" is one number).
# "(" opens a run ("(02) 8851 7240") but never continues one: "010-5583-2917 (24시간" is a
# number and a remark.
_SEP = rf"(?:{_SP}{{1,3}}|{_SP}?{_DASH}{_SP}?|{_SP}?\(0\){_SP}?|\.)"
# A run of digits and separators. Each alternative of _SEP ends before a digit in one way
# only, and digits and separators are disjoint, so the pattern reads any text one way and
# runs in linear time; a run starts only where no digit, Latin letter, "+" or "#" stands before
# it (a Chinese or Korean word may: "电话13827419065").
RUN = re.compile(rf"(?<![A-Za-z0-9_+#\u2116])(?:\({_SP}?)?(?:\+{_SP}?)?\d+(?:{_SEP}\d+)*(?:{_SP}?\))?")
MAX_DIGITS = 15  # E.164; a longer run is an id, an account or a URL's digits, not a phone
# Runs parsed per text at most: parsing costs ~0.1 ms a region, and a text with more
# phone-shaped runs than this is a list or junk, not an ad whose recruiter wants a call.
MAX_PARSED = 300

# Words that say "a phone number follows (or precedes)". Matched case-insensitively in a
# short window on the number's own line.
PHONE_LABELS = re.compile(
    r"(?:(?:contact|phone|tel|mobile|cell|hp|handphone|wa|whatsapp|viber|zalo)\.?\s*(?:no\.?|number|#)|\btel\b|\btelp\b|\bphone|\bcall\b|\bmobile|\bmob\b|\bcell\b|\bhp\b|h\.p\b|\bsms\b|\bhotline|\bcontact"
    r"|\bwhats\s*app|\bwa\b|\bviber|\bzalo|\bline\b|\bkakao|\bsđt\b|\bđt\b|điện thoại|\bliên hệ|\bgọi"
    r"|\bhubungi|\bno\.?\s*hp|\bnomor|\btelepon|\btawag|\btext\b|\btxt\b"
    r"|전화|연락|문의|핸드폰|휴대폰|휴대전화|폰|☎|📞|📱|☏|✆|카톡|왓츠앱|問い?合わ?せ"
    r"|โทร|ติดต่อ|เบอร์|電話|电话|手机|手機|联系|聯繫|連絡|携帯|微信同号|ទូរស័ព្ទ|លេខ|ဖုန်း|ဆက်သွယ်)",
    re.I,
)
# Words that say "an id, an account or a code follows": a number right after one is not a
# phone, even when its digits are a valid number.
ID_LABELS = re.compile(
    r"(?:\bid\b|\bno\.|#|\border|\binvoice|\bref\b|\breference|\bcode\b|\btracking|\baccount|\bacct|\ba/c\b"
    r"|\bpassport|\btax\b|\btin\b|\bmst\b|mã số|số tài khoản|\bstk\b|\bcmnd|\bcccd|\bnpwp|\bnik\b|\brekening"
    r"|\bsss\b|\bphilhealth|\bpag-?ibig|\bbank|\bbranch|\bzip\b|\bpostal|\bversion|\bserial|\blicen[cs]e|\breg\b"
    r"|계좌|주문|사업자|등록번호|송장|운송장|여권|주민|우편|통관|접수번호|공고번호|구인번호"
    r"|订单|账号|賬號|护照|身份证|税号|注册号|快递|单号|口座|注文|求人番号|番号"
    r"|บัญชี|เลขประจำตัว|เลขที่|พัสดุ|ใบอนุญาต)",
    re.I,
)
_CONTEXT_BEFORE = 32  # characters before a number in which a label counts
_CONTEXT_AFTER = 16
_IPV4 = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
_DATE = re.compile(r"^\d{4}[./\-]\d{1,2}[./\-]\d{1,2}$|^\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}$")
_SCRIPTS = (("KR", "\uac00", "\ud7a3"), ("TH", "\u0e00", "\u0e7f"), ("KH", "\u1780", "\u17ff"),
            ("MM", "\u1000", "\u109f"), ("JP", "\u3040", "\u30ff"), ("LA", "\u0e80", "\u0eff"))  # fmt: skip

# One regex scan per script, not a Python comparison per character (2,000 x 6 an ad).
_SCRIPT_PATTERNS = tuple((region, re.compile(f"[{low}-{high}]")) for region, low, high in _SCRIPTS)
# Any of them: most ads are in none (Latin, Han, Vietnamese...), and one scan says so instead of six.
_ANY_SCRIPT = re.compile("[" + "".join(f"{low}-{high}" for _, low, high in _SCRIPTS) + "]")


@dataclass(frozen=True)
class Phone:
    """A number found in text: its E.164 form and where it was written."""

    e164: str
    start: int
    end: int


def home_regions(country: str = "", language: str = "", text: str = "") -> list[str]:
    """Regions a number written without a country code is read in, most likely first.

    The language's country (a Korean ad about Cambodia gives Korean numbers), the ad's
    country, then the script's country; with none of them known, the regions lurewatch
    watches, in their order.
    """
    found = [LANGUAGE_REGIONS.get(str(language or "").strip().lower()[:3], ""), str(country or "").strip().upper()]
    sample = text[:2000]
    if _ANY_SCRIPT.search(sample):
        found += next(([region] for region, script in _SCRIPT_PATTERNS if script.search(sample)), [])
    regions = list(dict.fromkeys(r for r in found if len(r) == 2 and r.isalpha()))
    return regions or list(WATCHED_REGIONS)


def _groups(raw: str) -> list[int]:
    return [len(g) for g in re.split(rf"[{SEPARATORS}]+", raw) if g]


def parse_number(raw: str, regions: list[str]) -> tuple[phonenumbers.PhoneNumber | None, bool]:
    """(valid number, written with its country code?) for a run of digits; (None, ...) if invalid."""
    text = raw.replace("(0)", "").strip()
    compact = re.sub(rf"[{SEPARATORS}]", "", text)
    international = compact.startswith("+") or compact.startswith("00")
    try:
        if international:
            number = phonenumbers.parse("+" + compact.lstrip("+")[2 if compact.startswith("00") else 0 :], None)
            return (number if phonenumbers.is_valid_number(number) else None), True
        digits = re.sub(r"\D", "", compact)
        for region in regions:
            number = phonenumbers.parse(compact, region)
            # The digits as written, less a trunk 0: a parse that dropped more (a carrier
            # code, a prefix it took for one) read another number than the one written.
            nsn = phonenumbers.national_significant_number(number)
            if nsn in (digits, digits[1:] if digits.startswith("0") else digits) and phonenumbers.is_valid_number(
                number
            ):
                return number, False
    except phonenumbers.NumberParseException:
        pass
    return None, international


def national_grouping(raw: str, number: phonenumbers.PhoneNumber) -> bool:
    """Whether the digits are grouped as the country writes the number (010-2847-5931)."""
    written = _groups(raw.replace("(0)", ""))
    if len(written) < 2:
        return False
    national = _groups(phonenumbers.format_number(number, _NATIONAL))
    if written == national:
        return True
    # A national format with its trunk 0 in parentheses or without it ("(02) 8851 7240").
    return len(national) > 1 and written[1:] == national[1:] and abs(written[0] - national[0]) <= 1


def _label_before(text: str, start: int) -> str:
    """ "phone", "id" or "": the kind of the closest label before ``start`` on its line."""
    line_start = text.rfind("\n", 0, start) + 1
    window = text[max(line_start, start - _CONTEXT_BEFORE) : start]
    best, start_of_best, kind = -1, 0, ""
    for pattern, name in ((PHONE_LABELS, "phone"), (ID_LABELS, "id")):
        for m in pattern.finditer(window):
            # The closest wins; of two ending together the longer ("contact no." over "no.").
            if (m.end(), -m.start()) > (best, -start_of_best):
                best, start_of_best, kind = m.end(), m.start(), name
    return kind


def _label_after(text: str, end: int) -> bool:
    line_end = text.find("\n", end)
    window = text[end : min(end + _CONTEXT_AFTER, line_end if line_end >= 0 else len(text))]
    return PHONE_LABELS.search(window) is not None


def read_phone(raw: str, regions: list[str], *, context: bool = False, label: str = "") -> tuple[str, str]:
    """(E.164, "") for a run that passes the rules, else ("", why not).

    ``context`` says a phone or messenger label stands by it; ``label`` "id" says an id
    label stands closer before it.
    """
    stripped = raw.strip(f"{SEPARATORS}")
    digits = re.sub(r"\D", "", raw)
    if not 7 <= len(digits) <= MAX_DIGITS:
        return "", "length"
    if _IPV4.match(stripped) or _DATE.match(stripped):
        return "", "date or address"
    if label == "id":
        return "", "id label"
    number, international = parse_number(raw, regions)
    if number is None:
        return "", "not valid in its region"
    if not (context or international or national_grouping(stripped, number)):
        return "", "no phone context or formatting"
    return phonenumbers.format_number(number, _E164), ""


def find_phones(text: str, regions: list[str], masked: bytearray | None = None) -> list[Phone]:
    """Phones in ``text``, in order; runs touching a masked character (URL, e-mail, claimed
    contact) are skipped. ``masked`` has one byte per character of ``text``."""
    found: list[Phone] = []
    parsed = 0
    for m in RUN.finditer(text):
        start, end = m.span()
        if masked is not None and any(masked[start:end]):
            continue
        if end < len(text) and ((text[end].isascii() and text[end].isalnum()) or text[end] in "@/"):
            continue  # "12345678abc", "0123@", "5/": part of something else ("…5678로": a particle)
        raw = m.group(0)
        digits = sum(map(str.isdigit, raw))
        if not 7 <= digits <= MAX_DIGITS:
            continue
        label = _label_before(text, start)
        context = label == "phone" or (label == "" and _label_after(text, end))
        if label == "id" or not (context or "+" in raw or any(not ch.isdigit() for ch in raw.strip("()"))):
            continue  # no label and no separator: nothing could make it a phone, skip the parse
        parsed += 1
        if parsed > MAX_PARSED:
            break
        e164, _ = read_phone(raw, regions, context=context, label=label)
        if e164:
            found.append(Phone(e164, start, end))
    return found
