"""Ad-shape helpers: coerce a frame to the ad columns, assemble the text, read contacts."""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from core.ad import AD_FIELDS, model_text

MESSENGERS = frozenset({"telegram", "kakao", "whatsapp", "line", "wechat", "zalo", "qq"})

# Contact mentions in (normalised) text. Kept apart from the indicator file because these
# are facts about the ad (how to reach the poster), not judgements.
_TEXT_CONTACTS: list[tuple[str, re.Pattern[str]]] = [
    (
        "telegram",
        re.compile(
            r"t\.me/|telegram|텔레그램|텔레\s*(?:id|아이디|@|:)|텔그|电报|飞机号|纸飞机|加飞机|飞机\s*@|เทเลแกรม"
            r"|tele(?<![a-z]tele)\s*[@:]"
        ),
    ),
    ("kakao", re.compile(r"open\.kakao\.com|카카오톡|카톡|오픈채팅|오픈톡|kakaotalk|kakao")),
    ("whatsapp", re.compile(r"wa\.me/|whatsapp|왓츠앱|왓챕")),
    (
        "line",
        re.compile(
            r"line\.me/|line\s*id|라인\s*(?:id|아이디)|ไลน์|แอดไลน์|line(?<![a-z]line)(?=\s*[@:：]|の|で|に|から)"
        ),
    ),
    # No branch opens with a lookbehind: the scan runs over a whole batch of ads, and a pattern
    # that may start with an assertion is tried at every position of it.
    ("wechat", re.compile(r"wechat|微信|v(?<![a-z]v)x(?![a-z])|위챗")),
    ("zalo", re.compile(r"zalo")),
    ("qq", re.compile(r"q(?<![a-z]q)q(?:群|号|\s*\d)")),
    ("email", re.compile(r"@[\w-]+(?:\.[\w-]+)+")),  # from the @: cheap to scan for
    ("url", re.compile(r"https?://(?!t\.me|wa\.me|open\.kakao|line\.me)[^\s]+|www\.[\w-]+\.[a-z]{2,}")),
    # Digit groups of a phone number (012 555 678, +855 12 555 308, 0905-555-123, 031-555-0193):
    # checked for 8 to 13 digits below. Not inside a URL (wa.me/6281...) or a longer number.
    ("phone", re.compile(r"[+(0-9](?<![\w+/=.,][+(0-9])\+?\(?\d{1,4}\)?(?:[\s-]?\d{2,4}){1,4}(?![\d,.]\d|\w)")),
]
_PHONE_DIGITS = (8, 13)
# A bare domain (careers.example.ph/jobs, mekongtour.com.kh): found from the dot of its
# top-level domain (a literal, so the scan skips at C speed), the name before it by a
# bounded look back. Messenger links are messengers, not a site of the employer's own.
_TLD_DOT = re.compile(
    r"\.(?:com|net|org|io|dev|co|jobs|asia|kr|kh|th|vn|ph|jp|cn|tw|id|my|sg|la|mm|in|pl|uk|au|nz|de)(?![\w-])"
)
_DOMAIN_HEAD = re.compile(r"(?<![\w.@-])(?:[a-z0-9-]{1,63}\.){0,6}[a-z0-9-]{1,63}\Z")
_MESSENGER_SITES = re.compile(r"(?:^|\.)(?:t\.me|wa\.me|line\.me|kakao\.com|telegram\.\w+|whatsapp\.com|zalo\.me)$")
# Other ways to reach an employer than a messenger: an office or shop to walk into, a street
# address, a company's own site. Phone words alone are not enough ("no calls", "không tư vấn
# qua điện thoại" refuse them); a number is found as a phone above.
_OFFICE = re.compile(
    r"방문\s*(?:접수|면접|지원|상담)|매장\s*방문|대표\s*(?:번호|전화)|채용\s*홈페이지|홈페이지|주소\s*[:：]|소재지"
    r"|walk[\s-]?in|in person|drop (?:your|off your) (?:cv|resume)|office address|address\s*:|official (?:site|website)"
    r"|careers? page|our website"
    r"|地址|官网|门店面接|住所|来社|店舗面接|本社面接|公式サイト|採用サイト"
    r"|ที่อยู่|สมัครด้วยตนเอง|ที่สำนักงาน|เว็บไซต์บริษัท"
    r"|địa chỉ|ghé trực tiếp|nộp trực tiếp|trực tiếp tại"
    r"|alamat|datang langsung|diantar langsung|jl\.\s"
    r"|pumunta sa|walk-in sa|personal na mag-apply"
    r"|អាសយដ្ឋាន|လိပ်စာ|ທີ່ຢູ່"
)


def _site(norm_text: str) -> str | None:
    """The first bare domain of the text that is not an e-mail address or a messenger link."""
    for m in _TLD_DOT.finditer(norm_text):
        head = _DOMAIN_HEAD.search(norm_text, max(0, m.start() - 200), m.start())
        if head is None:
            continue
        domain = head.group() + m.group()
        if not _MESSENGER_SITES.search(domain):
            return domain
    return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


def coerce_ads(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every ad column present as text (missing -> ''), `text` read as description."""
    out = df.copy()
    if "text" in out.columns:
        if "description" not in out.columns:
            out["description"] = out["text"]
        else:
            blank = out["description"].map(_blank)
            out.loc[blank, "description"] = out.loc[blank, "text"]
    for col in AD_FIELDS:
        if col not in out.columns:
            out[col] = ""
        elif col != "contacts":
            out[col] = out[col].map(lambda v: "" if _blank(v) else str(v))
    return out


def ad_text(row: dict | pd.Series) -> str:
    """The text the model reads: the ad's TEXT_FIELDS, one per line (core.ad.model_text)."""
    return model_text(row)


def parse_contacts(value: Any) -> dict[str, list[str]]:
    """The `contacts` field (dict or JSON string) as {kind: [values]}; junk -> {}."""
    if _blank(value) if not isinstance(value, (dict, list)) else False:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if not isinstance(value, dict):
        return {}
    out: dict[str, list[str]] = {}
    for kind, items in value.items():
        if isinstance(items, str):
            items = [items]
        if isinstance(items, list):
            vals = [str(i) for i in items if not _blank(i)]
            if vals:
                out[str(kind).lower()] = vals
    return out


def contact_types(
    contacts: dict[str, list[str]], norm_text: str, in_text: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """Contact kinds from the contacts field and from the ad text, with example values.

    ``in_text``: the text's first mention of each kind, when text_contacts_batch found them.
    """
    found = {k: list(v) for k, v in contacts.items()}
    if in_text is None:
        in_text = {}
        for kind, rx in _TEXT_CONTACTS:
            if kind == "phone":
                m = next((p for p in rx.finditer(norm_text) if _is_phone(p.group())), None)
            else:
                m = rx.search(norm_text)
            if m:
                in_text[kind] = m.group()
        site = _site(norm_text)
        if site:
            in_text["site"] = site
    for kind, value in in_text.items():
        if kind != "site":
            found.setdefault(kind, []).append(value)
    if "url" not in found and "site" in in_text:
        found["url"] = [in_text["site"]]
    return found


def text_contacts_batch(text: str, locate_many, n: int) -> list[dict[str, str]]:
    """The first mention of each contact kind in each of the ``n`` texts of a normalised batch
    (``locate_many``: batch offsets -> item indexes); one scan of the batch per kind."""
    out: list[dict[str, str]] = [{} for _ in range(n)]
    for kind, rx in _TEXT_CONTACTS:
        ms = [m for m in rx.finditer(text) if kind != "phone" or _is_phone(m.group())]
        for k, m in zip(locate_many([m.start() for m in ms]), ms):
            out[k].setdefault(kind, m.group())
    sites = []
    for m in _TLD_DOT.finditer(text):
        head = _DOMAIN_HEAD.search(text, max(0, m.start() - 200), m.start())
        if head is not None and not _MESSENGER_SITES.search(head.group() + m.group()):
            sites.append((head.start(), head.group() + m.group()))
    for k, (_, domain) in zip(locate_many([s for s, _ in sites]), sites):
        out[k].setdefault("site", domain)
    return out


def _is_phone(candidate: str) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    return _PHONE_DIGITS[0] <= digits <= _PHONE_DIGITS[1]


def messenger_only(found: dict[str, list[str]], norm_text: str = "") -> bool:
    """True when a messenger is the only way to reach the poster: no phone number, e-mail
    address, web site, street address or office to walk into."""
    if not MESSENGERS & found.keys() or {"email", "url", "phone"} & found.keys():
        return False
    return not _OFFICE.search(norm_text)
