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
    ("telegram", re.compile(r"t\.me/|telegram|텔레그램|텔레\s*(?:id|아이디|@|:)|텔그|电报|飞机号|纸飞机|เทเลแกรม")),
    ("kakao", re.compile(r"open\.kakao\.com|카카오톡|카톡|오픈채팅|오픈톡|kakaotalk|kakao")),
    ("whatsapp", re.compile(r"wa\.me/|whatsapp|왓츠앱|왓챕")),
    ("line", re.compile(r"line\.me/|line\s*id|라인\s*(?:id|아이디)|ไลน์|แอดไลน์")),
    ("wechat", re.compile(r"wechat|微信|(?<![a-z])vx(?![a-z])|위챗")),
    ("zalo", re.compile(r"zalo")),
    ("qq", re.compile(r"(?<![a-z])qq(?:群|号|\s*\d)")),
    ("email", re.compile(r"@[\w-]+(?:\.[\w-]+)+")),  # from the @: cheap to scan for
    ("url", re.compile(r"https?://(?!t\.me|wa\.me|open\.kakao|line\.me)[^\s]+|www\.[\w-]+\.[a-z]{2,}")),
    ("phone", re.compile(r"[+0-9](?<![0-9][+0-9])(?:\d{1,3}[\s-]?)?\d{2,3}[\s-]?\d{3,4}[\s-]?\d{4}(?!\d)")),
]


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


def contact_types(contacts: dict[str, list[str]], norm_text: str) -> dict[str, list[str]]:
    """Contact kinds from the contacts field and from the ad text, with example values."""
    found = {k: list(v) for k, v in contacts.items()}
    for kind, rx in _TEXT_CONTACTS:
        m = rx.search(norm_text)
        if m:
            found.setdefault(kind, []).append(m.group())
    return found


def messenger_only(found: dict[str, list[str]]) -> bool:
    """True when a messenger is the only way to reach the poster (no email or web address)."""
    return bool(MESSENGERS & found.keys()) and not ({"email", "url"} & found.keys())
