"""Contact extraction: Telegram, KakaoTalk, WhatsApp, Line, phones, emails, other links.

Recruiters for scam compounds move people off the job board quickly ("텔레 @name",
"카톡 ID", a wa.me link) and obfuscate contacts against filters: full-width
characters (＠ｎａｍｅ), spaces or dots inside numbers, "(at)" for "@", Korean
abbreviations such as ㅌㄹ (텔레) and ㅋㅌ (카톡). We normalise those first (NFKC,
de-obfuscation) and then match labelled IDs, links and bare handles.

Phone and WhatsApp numbers are stored in E.164 (libphonenumber), so one number written
three ways is one contact. A run of digits is a phone only by the rules of
core.phonescan (not inside a URL, an e-mail or an id; valid in the ad's home region; a
phone label or phone formatting). Handles, open-chat links, e-mails and links have their
own rules below (characters, length, reserved words, a real top-level domain).

A bare ``@handle`` with no label is taken as Telegram: in these ads that is what
it is (docs/signals.md §5); a handle right after a KakaoTalk or Line label goes there.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterable

import phonenumbers
import tldextract

from core.ad import CONTACT_KINDS
from core.phonescan import find_phones, home_regions, read_phone

Contacts = dict[str, list[str]]

# Countries the brief names (Cambodia, Myanmar, Laos, Thailand, Vietnam,
# Philippines, Korea) plus other common ones; used to accept numbers written
# without a leading "+" after a WhatsApp label.
CALLING_CODES = ("855", "95", "856", "66", "84", "63", "82", "86", "60", "62", "65", "81", "1")

# Linear time on any text (issue 23): no pattern below has two quantifiers that can share
# the same characters, and a leading ``\s*`` only starts where a run of spaces starts
# (``(?<!\s)``; the leftmost match began there anyway), so no attempt rescans a run that an
# earlier one scanned. tests/crawler/test_linear.py times each against its worst input.
# The third member: strings one of which every match contains (a bracket, a "/", a word);
# a text with none of them is not scanned (tests/crawler/test_contacts.py checks them).
_OBFUSCATIONS = [
    (re.compile(r"(?<!\s)\s*[\(\[\{<]\s*(?:at|골뱅이|앳)\s*[\)\]\}>]\s*", re.I), "@", "([{<"),
    (re.compile(r"(?<!\s)\s*[\(\[\{<]\s*(?:dot|점|닷)\s*[\)\]\}>]\s*", re.I), ".", "([{<"),
    (re.compile(r"\b(t)\s*\.\s*(me)\s*/\s*", re.I), r"\1.\2/", "/"),
    (re.compile(r"\b(wa)\s*\.\s*(me)\s*/\s*", re.I), r"\1.\2/", "/"),
    (re.compile(r"@\s+(?=[A-Za-z])"), "@", "@"),
    # "recruit 골뱅이 example 닷 com": the words without brackets, only between Latin letters
    # and digits (닷새, "five days", is Korean prose). One start per run of spaces, as above.
    (re.compile(r"(?<=[A-Za-z0-9])[ ]{0,3}(?:골뱅이|앳)[ ]{0,3}(?=[A-Za-z0-9])"), "@", ("골뱅이", "앳")),
    (re.compile(r"(?<=[A-Za-z0-9])[ ]{0,3}(?:닷|점)[ ]{0,3}(?=[A-Za-z])"), ".", "닷점"),
]
# Any of the strings above: a text with none of them is left as it is by every pass (a pass
# that does not run changes nothing the next one tests), found by one scan instead of seven.
_ANY_OBFUSCATION = re.compile(r"[(\[{</@닷점앳]|골뱅이")

_TG_LABEL = r"(?:텔\s*레\s*(?:그\s*램)?|텔그|ㅌㄹ|ㅌㄺ|telegram|telegrame|tg|tele)"
_KAKAO_LABEL = r"(?:카\s*카\s*오\s*톡|카\s*톡|카카오|ㅋㅌ|ㅋㅋㅇㅌ|kakao\s*talk|kakaotalk|katalk|kakao|ktalk)"
_LINE_LABEL = r"(?:(?<![가-힣])라인|line|ไลน์|ライン)"
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
_DIGIT = re.compile(r"\d")  # any script's digits, as _WA_NUMBER's and core.phonescan's \d read them
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]+", re.I)
_LABELLED = {
    "telegram": re.compile(rf"(?<![A-Za-z]){_TG_LABEL}(?:id)?(?![A-Za-z]){_GAP}{_ID}", re.I),
    "kakao": re.compile(rf"(?<![A-Za-z]){_KAKAO_LABEL}(?:id)?(?![A-Za-z]){_GAP}{_ID}", re.I),
    "line": re.compile(
        rf"(?<![A-Za-z]){_LINE_LABEL}(?![A-Za-z])\s*(?:[:：=]|id\b|아이디)(?:[\s:：=]|id\b|아이디)*@?([A-Za-z][A-Za-z0-9_.\-]{{2,31}})",
        re.I,
    ),
}
_WA_NUMBER = re.compile(rf"(?<![A-Za-z]){_WA_LABEL}(?![A-Za-z]){_GAP}(\+?[\d][\d\s.\-()]{{6,20}}\d)", re.I)
# Where a match of a _LABELLED pattern would start (the same look-behind, labels and flags, without
# what follows): a text with none has no labelled contact, and one scan costs less than three.
_LABEL_START = re.compile(rf"(?<![A-Za-z])(?:{_TG_LABEL}|{_KAKAO_LABEL}|{_LINE_LABEL})", re.I)
_HANDLE = re.compile(r"(?<![\w.@/+-])@([A-Za-z][A-Za-z0-9_]{4,31})(?![\w@.]*\.[A-Za-z]{2,}\b)")
# Host and path of a link written without a scheme ("news.example.com/article/469/0000659800"):
# masked so that its digits are never read as a phone. A host starts only where no host
# character stands before it; its last label is letters, and a "/", ":" or "?" follows.
_BARE_LINK = re.compile(r"(?<![\w.-])[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}[/:?][^\s<>\"'()\[\]{}]*")
# The end of every _BARE_LINK match's host and the character after it: found at a literal "."
# (a fast scan), where _BARE_LINK tries every word of the text (5 us an ad).
_BARE_LINK_END = re.compile(r"\.[A-Za-z]{2,24}[/:?]")
# Words that follow "@" in ordinary prose and are not handles.
_NOT_HANDLES = {"gmail", "naver", "daum", "hanmail", "yahoo", "hotmail", "outlook", "media", "import", "example"}
# Path words of t.me that are not usernames (https://t.me/joinchat/..., /addstickers/...).
_TG_RESERVED = {"joinchat", "addstickers", "addemoji", "addtheme", "share", "proxy", "socks", "setlanguage",
                "login", "iv", "telegram", "confirmphone", "invoice", "boost", "contact", "addlist"}  # fmt: skip
_TG_NAME = re.compile(r"^[a-z][a-z0-9_]{3,31}$")  # Telegram: letters, digits, "_"; 5-32 (4 for links)
# RFC 2606 names reserved for documentation and tests: never a real party's, so the demo,
# the fixtures and partners' examples use them; taken as real top-level domains.
_DOCUMENTATION_TLDS = {"example", "test"}
_MESSENGER_HOSTS = {"line.me", "t.me", "wa.me", "open.kakao.com", "telegram.me", "whatsapp.com"}
_LINE_ID = re.compile(r"^[a-z0-9._-]{3,20}$")
_KAKAO_ID = re.compile(r"^[a-z0-9._-]{3,20}$")
_EMAIL_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_HOST_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def _FOLD(ch: str) -> bool:
    """Full-width forms and mathematical letters, which filters miss and NFKC folds."""
    code = ord(ch)
    return 0xFF00 <= code <= 0xFFEF or 0x1D400 <= code <= 0x1D7FF or 0x2460 <= code <= 0x24FF


def _fold(ch: str) -> str:
    if _FOLD(ch):
        return unicodedata.normalize("NFKC", ch)
    if ch > "\x7f" and ch.isdigit():
        # Khmer, Burmese, Thai... digits: NFKC keeps them, phone numbers are written in them.
        digit = unicodedata.decimal(ch, None)
        return ch if digit is None else str(digit)
    return ch


# The characters _fold changes: the _FOLD ranges, and decimal digits other than 0-9 (``\d`` is
# Unicode category Nd, exactly the characters unicodedata.decimal reads). Found by one regex
# scan instead of a Python call per character of the text (0.1 ms an ad).
_FOLDABLE = re.compile(r"[\uff00-\uffef\U0001d400-\U0001d7ff\u2460-\u24ff]|(?![0-9])\d")


def fold_text(text: str) -> str:
    """``text`` with each character ``_fold`` changes folded (full-width and mathematical
    forms by NFKC, other scripts' digits to 0-9), the rest as it is."""
    return text if text.isascii() else _FOLDABLE.sub(lambda m: _fold(m.group()), text)


def deobfuscate(text: str) -> str:
    """NFKC (full-width to ASCII), ASCII digits, and undo the common tricks against contact filters."""
    # NFKC only where it helps: it would also turn Korean compatibility jamo
    # (ㅌㄹ) into conjoining jamo and break the abbreviations we look for.
    text = fold_text(text)
    if not _ANY_OBFUSCATION.search(text):
        return text
    for pattern, replacement, needs in _OBFUSCATIONS:
        if _has(text, needs):
            text = pattern.sub(replacement, text)
    return text


def _has(text: str, needs: Iterable[str]) -> bool:
    """Whether ``text`` contains one of ``needs``. A substring test is far cheaper than a regex
    pass that can only fail: patterns that start with optional parts are tried at every position.
    ``map`` over ``text.__contains__`` runs the tests without a generator frame per call (~25
    calls an ad)."""
    return any(map(text.__contains__, needs))


@lru_cache(maxsize=1)
def _suffixes() -> tldextract.TLDExtract:
    # The public suffix list as the installed tldextract ships it: never fetched, never cached
    # on disk (suffix_list_urls=(), cache_dir=None), so extraction stays offline and pure.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


# Pure (the suffix list is the one the package ships) and asked again for the same few hosts
# (every ad of a site gives its e-mail domain): tldextract's look-up is ~4 us a call.
@lru_cache(maxsize=4096)
def valid_host(host: str) -> bool:
    """A host name with a real top-level domain (a public suffix), or an IP address."""
    host = host.lower().rstrip(".")
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        return False
    if labels[-1] in _DOCUMENTATION_TLDS:
        return True
    return bool(_suffixes()(host).suffix) or all(label.isdigit() for label in labels)


def valid_email(value: str) -> bool:
    """RFC 5321 shape (local part of dot-atoms, at most 64 characters) and a host with a real TLD."""
    local, at, host = value.lower().rpartition("@")
    return bool(at) and 0 < len(local) <= 64 and bool(_EMAIL_LOCAL.match(local)) and valid_host(host)


def valid_handle(value: str) -> bool:
    """A Telegram username (``@name``) or invite link (``t.me/+Code``, ``t.me/joinchat/Code``)."""
    if value.startswith("t.me/"):
        code = value.removeprefix("t.me/").removeprefix("+").removeprefix("joinchat/")
        return 6 <= len(code) <= 64 and all(ch.isalnum() or ch in "_-" for ch in code)
    name = value.lstrip("@")
    return bool(_TG_NAME.match(name)) and not name.endswith("_") and "__" not in name and name not in _TG_RESERVED


def valid_contact(kind: str, value: str) -> bool:
    """Whether a stored contact value (in the form extract_contacts gives) passes its kind's rules."""
    if kind == "telegram":
        return valid_handle(value)
    if kind == "kakao":
        if value.lower().startswith("open.kakao.com/"):
            return bool(re.fullmatch(r"open\.kakao\.com/[om]e?/[A-Za-z0-9]{4,32}", value, re.I))
        return bool(_KAKAO_ID.match(value)) and value not in _NOT_HANDLES
    if kind == "line":
        return bool(_LINE_ID.match(value)) and value not in _MESSENGER_HOSTS
    if kind == "email":
        return valid_email(value)
    if kind in ("phone", "whatsapp"):
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            return False
        return value.startswith("+") and phonenumbers.is_valid_number(number)
    if kind == "url":
        host = re.sub(r"^(?:https?:)?//", "", value, flags=re.I).split("/")[0].split("?")[0]
        return valid_host(host.rpartition("@")[2].split(":")[0])
    return False


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


def canonical_contact(kind: str, value: str) -> str | None:
    """``value`` in the form the contact index stores, or None when it fails its kind's rules."""
    value = value.strip().rstrip(".,;:)")
    if not value:
        return None
    # IDs and handles are case-insensitive; invite and open-chat link codes are not.
    if kind in ("telegram", "kakao", "line", "email") and "/" not in value and not value.startswith("+"):
        value = value.lower()
    if kind == "telegram":
        value = "t.me/" + value if value.startswith(("+", "joinchat/")) else "@" + value.lstrip("@")
    return value if valid_contact(kind, value) else None


def _add(found: _Found, kind: str, value: str) -> None:
    value = canonical_contact(kind, value)
    if value is not None:
        found.add(kind, value)


_URL_PUNCTUATION = set("-._~:/?#[]@!$&'*+,;=%_")


def _trim_url(url: str) -> str:
    """A link up to its first character that no URL (or IRI) has: "www.x.com└" is www.x.com.
    A Markdown escape ("ab\\_channel") is read as the character it escapes. Then without
    trailing sentence punctuation."""
    kept: list[str] = []
    escaped = False
    for ch in url:
        if ch == "\\" and not escaped:
            escaped = True
            continue
        if not (ch.isalnum() or ch in _URL_PUNCTUATION):
            break
        kept.append(ch)
        escaped = False
    return "".join(kept).rstrip(".,;:!?")


def _whatsapp(raw: str, regions: list[str]) -> str:
    """E.164 of a number after a WhatsApp label; a country code may be written without "+"."""
    digits = re.sub(r"\D", "", raw)
    if not raw.startswith(("+", "00")) and digits.startswith(CALLING_CODES):
        e164, _ = read_phone("+" + digits, [], context=True)
        if e164:
            return e164
    e164, _ = read_phone(raw, regions, context=True)
    return e164


def extract_contacts(
    texts: Iterable[str], links: Iterable[str] = (), *, country: str = "", language: str = ""
) -> Contacts:
    """Every contact in ``texts`` and ``links``, by kind, deduplicated in order of appearance.

    ``country`` (ISO 3166) and ``language`` (ISO 639-1), when known, say in which region a
    phone number written without its country code is read (core.phonescan.home_regions);
    without them, the script of the text decides, else the regions lurewatch watches.
    """
    found = _Found()
    text = "\n".join(deobfuscate(t) for t in texts if t)
    link_text = "\n".join(deobfuscate(u) for u in links if u)
    both = text + "\n" + link_text
    claimed = _Claimed(len(text))
    regions = home_regions(country, language, text)

    def claim(span: tuple[int, int]) -> None:
        if span[0] < len(text):  # a match in the links part claims nothing of the text
            claimed.claim((span[0], min(span[1], len(text))))

    # A pass is skipped when the text lacks what every match of its pattern contains
    # (messenger links a "/", e-mails and handles an "@", numbers a digit): it could find
    # nothing and claim nothing, so the result is the same, for a substring test.
    slash, at, digit = _has(both, "/"), _has(text, "@"), _DIGIT.search(text) is not None
    for pattern, kind in ((_TG_LINK, "telegram"), (_KAKAO_LINK, "kakao"), (_LINE_LINK, "line")):
        for m in pattern.finditer(both) if slash else ():
            _add(found, kind, m.group(1))
            claim(m.span())
    for m in _WA_LINK.finditer(both) if slash else ():
        e164, _ = read_phone("+" + m.group(1), [], context=True)
        if e164:
            found.add("whatsapp", e164)
        claim(m.span())
    for m in _EMAIL.finditer(text) if at else ():
        _add(found, "email", m.group(1))
        claim(m.span())
    urls = []
    # Every _URL match holds "://" or "www." (in any case: no other character matches "w" under re.I).
    for m in _URL.finditer(both) if _has(both, ("://",)) or "www." in both.lower() else ():
        claim(m.span())
        urls.append(_trim_url(m.group(0)))
    for m in _BARE_LINK.finditer(text) if _BARE_LINK_END.search(text) else ():
        claim(m.span())
    for kind, pattern in _LABELLED.items() if _LABEL_START.search(text) else ():
        for m in pattern.finditer(text):
            if kind == "telegram" and len(m.group(1)) < 5:
                continue
            if m.group(1).lower() in _NOT_HANDLES or m.span(1) in claimed:
                continue
            _add(found, kind, m.group(1))
            claim(m.span(1))
    for m in _WA_NUMBER.finditer(text) if digit else ():
        if m.span(1) in claimed:
            continue
        e164 = _whatsapp(m.group(1), regions)
        if e164:
            found.add("whatsapp", e164)
            claim(m.span(1))
    for m in _HANDLE.finditer(text) if at else ():
        if m.span(1) in claimed or m.group(1).lower() in _NOT_HANDLES:
            continue
        _add(found, "telegram", m.group(1))
    for phone in find_phones(text, regions, claimed.marks) if digit else ():
        if phone.e164 not in found.seen["whatsapp"]:
            found.add("phone", phone.e164)
    for url in urls:
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
