"""Small pure helpers for ad fields: HTML to text, whitespace, dates, countries."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from dateutil import parser as dateparser
from parsel import Selector
from w3lib.html import replace_entities

from core.cleantext import strip_controls

# Every tag pattern here reads a tag body as ``[^<>]*``: an attempt that starts at one "<"
# stops at the next "<" or ">", so the attempts of a whole text scan it once (linear time).
# ``[^>]*`` let each of N unclosed "<a" scan to the end of the text: N² steps, hours for a
# 5 MB page (issue 23, probe 3). A quoted ">" inside an attribute ends the tag early; the
# rest of the attribute is left as text, which costs nothing in an ad's text.
# Block-level tags end a line; everything else is inline.
_BLOCK_END = re.compile(r"(?i)<\s*(br\s*/?|/p|/div|/li|/tr|/h[1-6]|/ul|/ol|/table|p|li|tr)\b[^<>]*>")
_TAG = re.compile(r"<[a-zA-Z/!][^<>]*>")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u200b\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# 2026.11.20 / 2026년 11월 20일 / 2026/11/20 (14:30): dateutil reads the ISO form.
_KO_DATE = re.compile(r"(\d{4})\s*[.년/-]\s*(\d{1,2})\s*[.월/-]\s*(\d{1,2})\s*일?\.?(?:\s*(\d{1,2}):(\d{2}))?")


# Elements whose content is code or styling, never text of the ad.
NOT_TEXT = ("script", "style", "noscript", "template")
# Tags of real HTML elements: decoded entities that form one are markup, not text like "<c>".
HTML_TAGS = (
    *NOT_TEXT,
    *("iframe", "object", "svg", "p", "br", "div", "span", "a", "b", "i", "u", "em", "strong", "font", "ul", "ol"),
    *("li", "table", "tbody", "thead", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "img", "section"),
    *("article", "header", "footer", "blockquote", "pre", "code"),
)
_HTML_ELEMENT = re.compile(rf"(?i)<\s*(?:/\s*)?(?:{'|'.join(HTML_TAGS)})\b[^<>]*>")
_ESCAPED_ELEMENT = re.compile(rf"(?i)&lt;\s*/?\s*(?:{'|'.join(HTML_TAGS)})\b")
# The opening tag of an element whose content is no text, and each one's closing tag.
_NOT_TEXT_OPEN = re.compile(rf"(?i)<({'|'.join(NOT_TEXT)})(?=[\s/>])[^<>]*>")
_NOT_TEXT_CLOSE = {tag: re.compile(rf"(?i)</{tag}(?=[\s/>])[^<>]*>") for tag in NOT_TEXT}
_NOT_TEXT_XPATH = " | ".join(f".//{tag}" for tag in NOT_TEXT)


def has_tags(value: str) -> bool:
    """True when the string holds markup of its own (a tag, not an escaped one)."""
    return bool(_TAG.search(value))


def looks_like_html(value: str) -> bool:
    """True when the string is HTML: tags of its own, or escaped HTML elements (``&lt;p&gt;``, as
    feeds and JSON-LD descriptions carry them). Entities alone do not make text HTML: text that
    an HTML parser already decoded (``Tom &amp; Jerry`` from ``Tom &amp;amp; Jerry``) is decoded
    once, never twice."""
    return has_tags(value) or ("&lt;" in value and bool(_ESCAPED_ELEMENT.search(value)))


def html_to_text(value: str) -> str:
    """Plain text from an HTML fragment: block tags become line breaks, entities decoded once.

    Escaped HTML (no tag of its own, ``&lt;p&gt;Tom &amp;amp; Jerry&lt;/p&gt;``) is unescaped
    first, then read as the HTML it is ("Tom & Jerry"): each layer is decoded once.
    Script and style content is dropped, also when it was entity-encoded inside HTML
    (``&lt;script&gt;``): decoding reveals tags, which are removed, but what is left is
    not decoded a second time (``&amp;quot;`` stays ``&quot;``). Linear in the length of
    ``value`` (tests/crawler/test_linear.py).
    """
    escaped = not has_tags(value)
    if escaped:
        value = replace_entities(value)
    else:
        value = replace_entities(_TAG.sub("", _BLOCK_END.sub("\n", _drop_not_text(value))))
    if _HTML_ELEMENT.search(value):  # markup that decoding revealed: only real HTML tags go, "<c>" is text
        value = _HTML_ELEMENT.sub("", _BLOCK_END.sub("\n", _drop_not_text(value)))
        if escaped:  # the HTML layer's own entities
            value = replace_entities(value)
    return value


def _drop_not_text(value: str) -> str:
    """``value`` without script, style, noscript and template elements and their content.

    An element left unclosed keeps its content (its tags go later, as text): like w3lib's
    remove_tags_with_content, whose lazy ``.*?</script>`` scanned to the end of the text
    from every unclosed opening tag (8,000 of them: 31 s). Here the closing tag of a name is
    looked for once past each opening; when there is none, later openings of that name
    cannot have one either, and are not looked at again.
    """
    if "<" not in value:
        return value
    parts: list[str] = []
    kept_from = 0
    pos = 0
    unclosed: set[str] = set()
    while True:
        opening = _NOT_TEXT_OPEN.search(value, pos)
        if opening is None:
            break
        tag = opening.group(1).lower()
        if tag in unclosed:
            pos = opening.end()
            continue
        closing = _NOT_TEXT_CLOSE[tag].search(value, opening.end())
        if closing is None:
            unclosed.add(tag)
            pos = opening.end()
            continue
        parts.append(value[kept_from : opening.start()])
        kept_from = pos = closing.end()
    parts.append(value[kept_from:])
    return "".join(parts)


def drop_not_text(node: Selector) -> None:
    """Remove script, style, noscript and template elements under ``node`` (in place), so text
    selectors read only what a reader sees."""
    for element in node.xpath(_NOT_TEXT_XPATH):
        element.drop()


def scrub(value: Any) -> Any:
    """``value`` (strings, lists, dicts, numbers) with control characters stripped from every string
    and non-finite numbers (JSON's NaN, which PostgreSQL's JSON refuses) made None."""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {scrub(k) if isinstance(k, str) else k: scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


def clean_text(value: Any, multiline: bool = False) -> str:
    """NFC-normalised text with collapsed spaces; single-line unless ``multiline``."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        return _SPACES.sub(" ", text.replace("\n", " ")).strip()
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def parse_date(value: Any) -> datetime | None:
    """A timezone-aware UTC datetime from the common forms; naive times are taken as UTC.

    Returns None when the value cannot be read (relative dates like "3시간 전").
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        text = clean_text(value)
        m = _KO_DATE.search(text)
        if m and not re.match(r"^\d{4}-\d{2}-\d{2}T", text):
            y, mo, d, hh, mm = m.groups()
            text = f"{y}-{int(mo):02d}-{int(d):02d}" + (f" {int(hh):02d}:{mm}" if hh else "")
        try:
            dt = _iso_date(text) or dateparser.parse(text)
        except (ValueError, OverflowError, TypeError):
            try:  # RFC 822 with odd zones, as some RSS feeds write them
                dt = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
        if dt is None:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


# The forms schema.org's datePosted and the Korean rewrite above give: a day, a day and a
# minute, or an ISO date-time with seconds and an offset. dateparser reads them alike
# (tests/crawler/test_text.py compares the two) at ten times the cost: 0.1 ms an ad.
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?)?")


def _iso_date(text: str) -> datetime | None:
    """``text`` read as an ISO date or date-time when it is one of the plain forms, else None
    (and None when the numbers are out of range: dateparser then says what it says)."""
    if not _ISO.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def http_date(value: bytes | str | None) -> datetime | None:
    """The UTC datetime of an HTTP Date header, None when absent or unreadable."""
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(value.decode("latin-1") if isinstance(value, bytes) else value)
    except (TypeError, ValueError, IndexError):
        return None
    return dt.astimezone(timezone.utc) if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


# The countries these ads name most (destinations, origins, transit), in English,
# Korean and the local forms; ISO alpha-3 codes map too. Not a gazetteer: unknown
# names stay unresolved ("") rather than guessed.
_COUNTRIES = {
    "KH": ("cambodia", "kampuchea", "캄보디아", "캄보디야", "khm", "柬埔寨", "กัมพูชา"),
    "MM": ("myanmar", "burma", "미얀마", "버마", "mmr", "缅甸", "เมียนมา"),
    "LA": ("laos", "lao pdr", "lao", "라오스", "lao", "老挝", "ลาว"),
    "TH": ("thailand", "태국", "tha", "泰国", "ประเทศไทย", "ไทย"),
    "VN": ("vietnam", "viet nam", "베트남", "vnm", "越南"),
    "PH": ("philippines", "필리핀", "phl", "菲律宾"),
    "MY": ("malaysia", "말레이시아", "mys", "马来西亚"),
    "ID": ("indonesia", "인도네시아", "idn", "印度尼西亚"),
    "CN": ("china", "중국", "chn", "中国"),
    "KR": ("south korea", "korea", "republic of korea", "대한민국", "한국", "kor", "韩国"),
    "JP": ("japan", "일본", "jpn", "日本"),
    "US": ("united states", "usa", "미국", "美国"),
    "CA": ("canada", "캐나다", "can"),
    "AU": ("australia", "호주", "aus"),
    "SG": ("singapore", "싱가포르", "sgp"),
    "AE": ("united arab emirates", "uae", "아랍에미리트", "두바이", "are"),
    "DE": ("germany", "독일", "deu"),
    "GB": ("united kingdom", "uk", "영국", "gbr"),
}
_COUNTRY_INDEX = {name: code for code, names in _COUNTRIES.items() for name in names}


def country_code(value: Any) -> str:
    """The ISO 3166 alpha-2 code for a country name or code, "" when unknown."""
    text = clean_text(value).strip(" .,").lower()
    if not text:
        return ""
    if len(text) == 2 and text.isalpha() and text.isascii():
        return text.upper()
    return _COUNTRY_INDEX.get(text, "")


def find_country(*texts: Any) -> str:
    """The first known country named inside free text (e.g. a location line), else ""."""
    for value in texts:
        text = clean_text(value).lower()
        if not text:
            continue
        for part in re.split(r"[,/|·()\-]+|\s{2,}", text):
            code = country_code(part)
            if code and len(part.strip()) > 2:
                return code
        for name, code in _COUNTRY_INDEX.items():
            if len(name) > 3 and name in text:
                return code
    return ""


TITLE_LENGTH = 90  # characters: what a queue row or a spreadsheet cell shows at a glance
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$)|[。！？]")


def title_from_text(text: str, limit: int = TITLE_LENGTH) -> str:
    """A readable title for an ad that has none (a Telegram post): its first non-empty line,
    cut at its first sentence end, or at a word boundary, when longer than ``limit``."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if len(line) <= limit:
        return line
    end = _SENTENCE_END.search(line, 0, limit)
    if end is not None and end.end() >= limit // 3:
        return line[: end.end()].strip()
    cut = line.rfind(" ", limit // 2, limit)
    return line[: cut if cut > 0 else limit].rstrip(" ,;:-") + "…"
