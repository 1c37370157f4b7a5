"""Contact extraction: Telegram, KakaoTalk, WhatsApp, Line, phones, emails, other links.

Recruiters for scam compounds move people off the job board quickly ("텔레 @name",
"카톡 ID", a wa.me link) and obfuscate contacts against filters: full-width
characters (＠ｎａｍｅ), spaces or dots inside numbers, "(at)" for "@", Korean
abbreviations such as ㅌㄹ (텔레) and ㅋㅌ (카톡). We normalise those first (NFKC,
de-obfuscation) and then match labelled IDs, links and bare handles.

Phone and WhatsApp numbers are stored in E.164 (core.contacts.normalise_phone, with
libphonenumber), so one number written three ways is one contact.

A bare ``@handle`` with no label is taken as Telegram: in these ads that is what
it is (docs/signals.md §5); a handle right after a KakaoTalk or Line label goes there.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from core.ad import CONTACT_KINDS
from core.contacts import normalise_phone

Contacts = dict[str, list[str]]

# Countries the brief names (Cambodia, Myanmar, Laos, Thailand, Vietnam,
# Philippines, Korea) plus other common ones; used to accept numbers written
# without a leading "+" after a WhatsApp label.
CALLING_CODES = ("855", "95", "856", "66", "84", "63", "82", "86", "60", "62", "65", "81", "1")

# Linear time on any text (issue 23): no pattern below has two quantifiers that can share
# the same characters, and a leading ``\s*`` only starts where a run of spaces starts
# (``(?<!\s)``; the leftmost match began there anyway), so no attempt rescans a run that an
# earlier one scanned. tests/crawler/test_linear.py times each against its worst input.
_OBFUSCATIONS = [
    (re.compile(r"(?<!\s)\s*[\(\[\{<]\s*(?:at|골뱅이|앳)\s*[\)\]\}>]\s*", re.I), "@"),
    (re.compile(r"(?<!\s)\s*[\(\[\{<]\s*(?:dot|점|닷)\s*[\)\]\}>]\s*", re.I), "."),
    (re.compile(r"\b(t)\s*\.\s*(me)\s*/\s*", re.I), r"\1.\2/"),
    (re.compile(r"\b(wa)\s*\.\s*(me)\s*/\s*", re.I), r"\1.\2/"),
    (re.compile(r"@\s+(?=[A-Za-z])"), "@"),
]

_TG_LABEL = r"(?:텔\s*레\s*(?:그\s*램)?|텔그|ㅌㄹ|ㅌㄺ|telegram|telegrame|tg|tele)"
_KAKAO_LABEL = r"(?:카\s*카\s*오\s*톡|카\s*톡|카카오|ㅋㅌ|ㅋㅋㅇㅌ|kakao\s*talk|kakaotalk|katalk|kakao|ktalk)"
_LINE_LABEL = r"(?:(?<![가-힣])라인|line)"
_WA_LABEL = r"(?:왓\s*츠\s*앱|왓츠업|왓챕|왓섭|whats\s*app|whatsapp|wa)"
# Between a label and the ID: separators and the word for "ID", nothing else. One token
# at a time, each a single separator or a whole word: the same text has one way to be
# read, so a failed match gives back one token at a time. It was
# ``(?:\s*(?:[:：=\-→>]|id\b|아이디|ID)\s*)*\s*``, whose nested ``\s*`` split a run of
# spaces every possible way: "Contact telegram" + " - " × 28 + "!" took 128 s (probe 2).
# Same language: under re.I, "ID" already matched "id" with or without a word boundary.
_GAP = r"(?:[\s:：=\-→>]|id|아이디)*"
_ID = r"@?([A-Za-z][A-Za-z0-9_.]{2,31})"

_TG_LINK = re.compile(
    r"(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/"
    r"(?:s/)?(\+[\w-]{6,}|joinchat/[\w-]{6,}|[A-Za-z][A-Za-z0-9_]{3,31})",
    re.I,
)
_KAKAO_LINK = re.compile(r"(?:https?://)?(open\.kakao\.com/[om]e?/[A-Za-z0-9]{4,})", re.I)
_LINE_LINK = re.compile(r"(?:https?://)?line\.me/(?:R/)?ti/p/(?:%40|@|~)?([A-Za-z0-9_.\-]{3,32})", re.I)
_WA_LINK = re.compile(r"(?:https?://)?(?:wa\.me/|(?:api|chat)\.whatsapp\.com/send/?\?phone=)\+?(\d{7,15})", re.I)
# One start per run of local-part characters: "%" is one of them, so it is in the look-behind
# too, or 64 starts in a run of "%" each scanned the domain after it.
_EMAIL = re.compile(r"(?<![\w.+%-])([A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24})")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]+", re.I)
_LABELLED = {
    "telegram": re.compile(rf"(?<![A-Za-z]){_TG_LABEL}(?:id)?(?![A-Za-z]){_GAP}{_ID}", re.I),
    "kakao": re.compile(rf"(?<![A-Za-z]){_KAKAO_LABEL}(?:id)?(?![A-Za-z]){_GAP}{_ID}", re.I),
    "line": re.compile(
        rf"\b{_LINE_LABEL}(?![A-Za-z])\s*(?:[:：=]|id\b|아이디)(?:[\s:：=]|id\b|아이디)*@?([A-Za-z][A-Za-z0-9_.\-]{{2,31}})",
        re.I,
    ),
}
_WA_NUMBER = re.compile(rf"(?<![A-Za-z]){_WA_LABEL}(?![A-Za-z]){_GAP}(\+?[\d][\d\s.\-()]{{6,20}}\d)", re.I)
_HANDLE = re.compile(r"(?<![\w.@/+-])@([A-Za-z][A-Za-z0-9_]{4,31})(?![\w@.]*\.[A-Za-z]{2,}\b)")
_PHONE = re.compile(
    r"(?<![\w+])((?:\+|00)\s?\d{1,3}[\s.\-]?(?:\(0\)\s?)?\d[\d\s.\-]{5,16}\d|0\d[\d\s.\-()]{6,14}\d)(?![\w])"
)
_DATE_LIKE = re.compile(r"^\d{4}[.\-/]\d{1,2}[.\-/]\d{1,2}|^\d{2,4}[.\-]\d{2}[.\-]\d{2,4}$")
# Words that follow "@" in ordinary prose and are not handles.
_NOT_HANDLES = {"gmail", "naver", "daum", "hanmail", "yahoo", "hotmail", "outlook", "media", "import", "example"}


def _FOLD(ch: str) -> bool:
    """Full-width forms and mathematical letters, which filters miss and NFKC folds."""
    code = ord(ch)
    return 0xFF00 <= code <= 0xFFEF or 0x1D400 <= code <= 0x1D7FF or 0x2460 <= code <= 0x24FF


def deobfuscate(text: str) -> str:
    """NFKC (full-width to ASCII) and undo the common tricks against contact filters."""
    # NFKC only where it helps: it would also turn Korean compatibility jamo
    # (ㅌㄹ) into conjoining jamo and break the abbreviations we look for.
    text = "".join(unicodedata.normalize("NFKC", ch) if _FOLD(ch) else ch for ch in text)
    for pattern, replacement in _OBFUSCATIONS:
        text = pattern.sub(replacement, text)
    return text


def _plausible_phone(raw: str) -> bool:
    if _DATE_LIKE.match(raw.strip()):
        return False
    digits = re.sub(r"\D", "", raw)
    if not 8 <= len(digits) <= 15:
        return False
    if raw.strip().startswith(("+", "00")):
        return True
    # Local numbers: Korean 0x(x)-xxx(x)-xxxx, SE Asian 0xx xxx xxx(x).
    return digits.startswith("0") and len(digits) <= 11


class _Found(dict[str, list[str]]):
    """Contacts by kind, with a set beside each list: an ad that repeats 10,000 handles costs
    10,000 look-ups, not 10,000 scans of a growing list."""

    def __init__(self) -> None:
        super().__init__({kind: [] for kind in CONTACT_KINDS})
        self.seen: dict[str, set[str]] = {kind: set() for kind in CONTACT_KINDS}

    def add(self, kind: str, value: str) -> None:
        if value not in self.seen[kind]:
            self.seen[kind].add(value)
            self[kind].append(value)


class _Claimed:
    """The characters of the text that a contact already took, as a bytearray: whether a span
    starts or ends inside one is two look-ups, however many contacts were claimed."""

    def __init__(self, length: int) -> None:
        self.marks = bytearray(length + 1)

    def claim(self, span: tuple[int, int]) -> None:
        self.marks[span[0] : span[1]] = b"\x01" * (span[1] - span[0])

    def __contains__(self, span: tuple[int, int]) -> bool:
        start, end = span
        return bool(self.marks[start] or (end > start and self.marks[end - 1]))


def _add(found: _Found, kind: str, value: str) -> None:
    value = value.strip().rstrip(".,;:)")
    if not value:
        return
    # IDs and handles are case-insensitive; invite and open-chat link codes are not.
    if kind in ("telegram", "kakao", "line", "email") and "/" not in value and not value.startswith("+"):
        value = value.lower()
    if kind == "telegram":
        value = "t.me/" + value if value.startswith(("+", "joinchat/")) else "@" + value.lstrip("@")
    found.add(kind, value)


def extract_contacts(texts: Iterable[str], links: Iterable[str] = ()) -> Contacts:
    """Every contact in ``texts`` and ``links``, by kind, deduplicated in order of appearance."""
    found = _Found()
    text = "\n".join(deobfuscate(t) for t in texts if t)
    link_text = "\n".join(deobfuscate(u) for u in links if u)
    both = text + "\n" + link_text
    claimed = _Claimed(len(text))

    for m in _TG_LINK.finditer(both):
        _add(found, "telegram", m.group(1))
    for m in _KAKAO_LINK.finditer(both):
        _add(found, "kakao", m.group(1))
    for m in _LINE_LINK.finditer(both):
        _add(found, "line", m.group(1))
    for m in _WA_LINK.finditer(both):
        _add(found, "whatsapp", "+" + m.group(1))
    for m in _EMAIL.finditer(text):
        _add(found, "email", m.group(1))
        claimed.claim(m.span())
    for kind, pattern in _LABELLED.items():
        for m in pattern.finditer(text):
            if kind == "telegram" and len(m.group(1)) < 5:
                continue
            if m.group(1).lower() in _NOT_HANDLES or m.span(1) in claimed:
                continue
            _add(found, kind, m.group(1))
            claimed.claim(m.span(1))
    for m in _WA_NUMBER.finditer(text):
        raw = m.group(1)
        digits = re.sub(r"\D", "", raw)
        if raw.startswith("+") or raw.startswith("00") or digits.startswith(CALLING_CODES):
            number = raw if raw.startswith(("+", "00")) else "+" + digits
        elif _plausible_phone(raw):
            number = raw
        else:
            continue
        _add(found, "whatsapp", normalise_phone(number))
        claimed.claim(m.span(1))
    for m in _HANDLE.finditer(text):
        if m.span(1) in claimed or m.group(1).lower() in _NOT_HANDLES:
            continue
        _add(found, "telegram", m.group(1))
    for m in _PHONE.finditer(text):
        if m.span(1) in claimed or not _plausible_phone(m.group(1)):
            continue
        phone = normalise_phone(m.group(1))
        if phone not in found.seen["whatsapp"]:
            _add(found, "phone", phone)
    for m in _URL.finditer(both):
        url = m.group(0).rstrip(".,;:!?")
        if not re.search(r"(?:t\.me|telegram\.(?:me|dog)|open\.kakao\.com|line\.me|wa\.me|whatsapp\.com)/", url, re.I):
            _add(found, "url", url if url.lower().startswith("http") else "http://" + url)
    return {kind: list(values) for kind, values in found.items()}


def merge_contacts(*parts: Contacts | None) -> Contacts:
    """Several contact dicts as one, values deduplicated in order."""
    merged = _Found()
    for part in parts:
        for kind, values in (part or {}).items():
            if kind not in merged:
                continue
            for value in values or []:
                merged.add(kind, value)
    return {kind: list(values) for kind, values in merged.items()}
