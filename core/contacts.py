"""Contacts in one normal form, so that the same contact written two ways is one value.

Phone numbers become E.164 with ``phonenumbers`` (Google's libphonenumber), so
"+855 12 345 678", "00855-12-345-678" and a Cambodian "012 345 678" are one
number. A number written without its country code is read as a number of the
first region in ``PHONE_REGIONS`` where it is valid: Korean first (most of the
ads we watch are Korean), then the destination countries. Handles, IDs and
emails are lower-cased; invite and open-chat codes keep their case (they are
case-sensitive). Emails and links also give a ``domain`` row, so a search by
domain finds both.

The crawler normalises with these functions when it extracts contacts, the store
indexes the normal forms (``ad_contacts``), and the desk's search normalises what
an analyst types with them too: one rule.
"""

from __future__ import annotations

import re
from typing import Any, Mapping
from urllib.parse import urlsplit

import phonenumbers

PHONE_REGIONS = ("KR", "KH", "TH", "VN", "PH", "MM", "LA", "CN", "MY", "ID", "JP", "SG")
# Kinds stored in ads.contacts, and the kinds of index rows they give.
PHONE_KINDS = ("phone", "whatsapp")
MAX_VALUE = 300

_E164 = phonenumbers.PhoneNumberFormat.E164
_TG_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/(?:s/)?", re.I)
_KAKAO_LINK = re.compile(r"^(?:https?://)?(open\.kakao\.com/[om]e?/[A-Za-z0-9]+)", re.I)


def normalise_phone(raw: str) -> str:
    """E.164 ("+85512345678") when the number can be read, else its digits.

    Written internationally (+ or 00), any possible number is kept in E.164;
    written locally, the first region of PHONE_REGIONS where it is valid wins.
    """
    text = str(raw or "").strip().replace("(0)", "")
    digits = re.sub(r"\D", "", text)
    if text.startswith("00"):
        text, digits = "+" + digits[2:], digits[2:]
    try:
        if text.startswith("+"):
            number = phonenumbers.parse(text, None)
            if phonenumbers.is_possible_number(number):
                return phonenumbers.format_number(number, _E164)
            return "+" + digits
        for region in PHONE_REGIONS:
            number = phonenumbers.parse(text, region)
            if phonenumbers.is_valid_number(number):
                return phonenumbers.format_number(number, _E164)
    except phonenumbers.NumberParseException:
        pass
    return digits


def phone_candidates(query: str) -> list[str]:
    """The stored forms a typed phone number may have: as normalised, and as an
    international number when its digits start with a country code ("855 12 ...")."""
    found = [normalise_phone(query)]
    digits = re.sub(r"\D", "", query)
    if not query.strip().startswith(("+", "00")) and len(digits) >= 9:
        try:
            number = phonenumbers.parse("+" + digits, None)
            if phonenumbers.is_valid_number(number):
                found.append(phonenumbers.format_number(number, _E164))
        except phonenumbers.NumberParseException:
            pass
    return [v for i, v in enumerate(found) if v and v not in found[:i]]


def normalise_handle(raw: str) -> str:
    """A Telegram handle or link as stored: ``@name`` (lower case) or ``t.me/+InviteCode``."""
    value = _TG_PREFIX.sub("", str(raw or "").strip()).strip("/ ")
    if value.startswith(("+", "joinchat/")):
        return "t.me/" + value
    return "@" + value.lstrip("@").lower() if value.lstrip("@") else ""


def normalise_kakao(raw: str) -> str:
    """An open-chat link without scheme (its code keeps its case), or a KakaoTalk ID in lower case."""
    value = str(raw or "").strip()
    link = _KAKAO_LINK.match(value)
    if link:
        host, _, path = link.group(1).partition("/")
        return f"{host.lower()}/{path}"
    return value.lstrip("@").lower()


def normalise_domain(raw: str) -> str:
    """``Jobs.Example.com``, ``https://www.jobs.example.com/x`` or ``hr@jobs.example.com`` -> host."""
    value = str(raw or "").strip().lower()
    if "@" in value and "/" not in value:
        value = value.rpartition("@")[2]
    if "//" not in value:
        value = "//" + value
    try:
        host = urlsplit(value).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.").strip(".")


def normalise_url(raw: str) -> str:
    """A link without scheme, host in lower case: ``jobs.example.com/apply?id=3``."""
    value = str(raw or "").strip()
    value = re.sub(r"^(?:https?:)?//", "", value, flags=re.I)
    host, sep, rest = value.partition("/")
    return (host.lower().removeprefix("www.") + sep + rest).rstrip("/")


_NORMALISERS = {
    "phone": normalise_phone,
    "whatsapp": normalise_phone,
    "telegram": normalise_handle,
    "kakao": normalise_kakao,
    "line": lambda v: str(v or "").strip().lstrip("@").lower(),
    "email": lambda v: str(v or "").strip().lower(),
    "url": normalise_url,
}


def index_rows(contacts: Mapping[str, Any] | None) -> set[tuple[str, str]]:
    """(kind, value) lookup rows of an ad's contacts, plus a ``domain`` row per email and link."""
    rows: set[tuple[str, str]] = set()
    for kind, values in (contacts or {}).items():
        normalise = _NORMALISERS.get(kind)
        if normalise is None:
            continue
        for raw in values if isinstance(values, list) else [values]:
            value = normalise(str(raw or ""))
            if len(value) >= 3:
                rows.add((kind, value[:MAX_VALUE]))
            if kind in ("email", "url"):
                domain = normalise_domain(str(raw or ""))
                if "." in domain:
                    rows.add(("domain", domain[:MAX_VALUE]))
    return rows
