"""Confirmed scam contacts, for platforms and police: CSV and STIX 2.1.

A contact is confirmed when an ad carrying it was decided ``scam`` by an analyst
(the queue status only analysts set; a model score alone never counts). Domains
of shared providers (webmail, big platforms, link shorteners) are left out, and
so is any domain also found in an ad an analyst cleared as legit: blocking those
would hit innocent users. Each row says in how many scam ads (and cleared ads)
the contact appeared, so a receiver can judge it.

STIX has no observable for a phone number: numbers are written as indicators
on a custom ``x-phone-number`` object (value in E.164); WhatsApp numbers, Telegram
handles, KakaoTalk and LINE IDs as ``user-account`` (``account_type`` whatsapp,
telegram, kakaotalk, line); links, open-chat and invite links as ``url``. Ids are
derived from the contact, so a re-export updates the same indicator.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import stix2
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.spreadsheet import neutralise
from store.schema import Ad, AdContact, CampaignMember, ReviewItem

CSV_COLUMNS = (
    "kind",
    "value",
    "scam_ads",
    "cleared_ads",
    "campaigns",
    "first_seen",
    "last_seen",
    "first_confirmed",
    "last_confirmed",
)
SHARED_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "google.com",
        "docs.google.com",
        "forms.gle",
        "naver.com",
        "daum.net",
        "hanmail.net",
        "kakao.com",
        "nate.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "qq.com",
        "163.com",
        "126.com",
        "proton.me",
        "protonmail.com",
        "facebook.com",
        "instagram.com",
        "youtube.com",
        "bit.ly",
        "tinyurl.com",
        "linktr.ee",
        "t.me",
        "telegram.me",
        "open.kakao.com",
        "line.me",
        "wa.me",
        "whatsapp.com",
    }
)
NAMESPACE = uuid.UUID("6b0f6f0e-3c55-5a8e-9a53-6c1f0f5d2b6e")  # lurewatch's, for stable STIX ids
IDENTITY_ID = f"identity--{uuid.uuid5(NAMESPACE, 'lurewatch')}"
_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)  # our identity's fixed creation time


@dataclass(frozen=True)
class ConfirmedContact:
    """One contact found in ads analysts decided scam."""

    kind: str
    value: str
    scam_ads: int
    cleared_ads: int
    campaigns: tuple[int, ...]
    first_seen: datetime
    last_seen: datetime
    first_confirmed: datetime
    last_confirmed: datetime


def confirmed_contacts(session: Session) -> list[ConfirmedContact]:
    """Every contact of an ad decided scam, by kind and value."""
    rows = session.execute(
        select(
            AdContact.kind,
            AdContact.value,
            AdContact.ad_id,
            Ad.first_seen_at,
            Ad.last_seen_at,
            ReviewItem.decided_at,
            CampaignMember.campaign_id,
        )
        .join(ReviewItem, ReviewItem.ad_id == AdContact.ad_id)
        .join(Ad, Ad.id == AdContact.ad_id)
        .outerjoin(CampaignMember, CampaignMember.ad_id == AdContact.ad_id)
        .where(ReviewItem.status == "scam")
    ).all()
    cleared: dict[tuple[str, str], int] = {}
    for kind, value in session.execute(
        select(AdContact.kind, AdContact.value)
        .join(ReviewItem, ReviewItem.ad_id == AdContact.ad_id)
        .where(ReviewItem.status == "legit")
    ):
        cleared[(kind, value)] = cleared.get((kind, value), 0) + 1
    grouped: dict[tuple[str, str], list] = {}
    for kind, value, ad_id, first, last, decided, campaign in rows:
        grouped.setdefault((kind, value), []).append((ad_id, first, last, decided or first, campaign))
    out = []
    for (kind, value), ads in sorted(grouped.items()):
        if kind == "domain" and (value in SHARED_DOMAINS or (kind, value) in cleared):
            continue
        out.append(
            ConfirmedContact(
                kind,
                value,
                len({a[0] for a in ads}),
                cleared.get((kind, value), 0),
                tuple(sorted({a[4] for a in ads if a[4] is not None})),
                min(a[1] for a in ads),
                max(a[2] for a in ads),
                min(a[3] for a in ads),
                max(a[3] for a in ads),
            )
        )
    return out


# E.164 numbers and Telegram handles start with + and @ but can hold no function call or
# DDE link; receivers match them exactly, so they are written as they are. Every other
# value goes through the usual formula neutralising.
_INERT = re.compile(r"\+\d{4,15}|@[a-z0-9_]{1,64}")


def _cell(value: str) -> str:
    return value if _INERT.fullmatch(value) else neutralise(value)


def contacts_csv(contacts: list[ConfirmedContact]) -> str:
    """The contacts as CSV text (formula-safe cells; the caller adds the BOM if it writes a file)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for c in contacts:
        writer.writerow(
            [
                c.kind,
                _cell(c.value),
                c.scam_ads,
                c.cleared_ads,
                " ".join(str(i) for i in c.campaigns),
                c.first_seen.isoformat(),
                c.last_seen.isoformat(),
                c.first_confirmed.isoformat(),
                c.last_confirmed.isoformat(),
            ]
        )
    return buffer.getvalue()


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def stix_pattern(kind: str, value: str) -> str:
    """The STIX 2.1 pattern matching one contact."""
    if kind == "phone":
        return f"[x-phone-number:value = {_quoted(value)}]"
    if kind == "email":
        return f"[email-addr:value = {_quoted(value)}]"
    if kind == "domain":
        return f"[domain-name:value = {_quoted(value)}]"
    if "/" in value or kind == "url":  # links, open-chat links, invite links
        link = value if value.lower().startswith(("http://", "https://")) else "https://" + value
        return f"[url:value = {_quoted(link)}]"
    account_type = {"telegram": "telegram", "kakao": "kakaotalk", "line": "line", "whatsapp": "whatsapp"}.get(
        kind, kind
    )
    login = value.lstrip("@") if kind == "telegram" else value
    return f"[user-account:account_type = {_quoted(account_type)} AND user-account:account_login = {_quoted(login)}]"


def contacts_stix(contacts: list[ConfirmedContact]) -> str:
    """A STIX 2.1 bundle: our identity, TLP:AMBER, one indicator per contact."""
    identity = stix2.Identity(
        id=IDENTITY_ID,
        name="lurewatch",
        identity_class="organization",
        created=_EPOCH,
        modified=_EPOCH,
        description="Analysts' review desk for job ads luring people into scam compounds",
    )
    objects: list = [identity, stix2.TLP_AMBER]
    for c in contacts:
        campaigns = ", ".join(str(i) for i in c.campaigns) or "none"
        objects.append(
            stix2.Indicator(
                id=f"indicator--{uuid.uuid5(NAMESPACE, f'{c.kind}:{c.value}')}",
                created_by_ref=IDENTITY_ID,
                created=c.first_confirmed,
                modified=max(c.last_confirmed, c.first_confirmed),
                name=f"{c.kind} {c.value}",
                pattern=stix_pattern(c.kind, c.value),
                pattern_type="stix",
                valid_from=c.first_seen,
                indicator_types=["malicious-activity"],
                labels=["human-trafficking", "scam-compound-recruitment"],
                description=(
                    f"Recruitment contact in {c.scam_ads} job ad(s) that analysts confirmed as "
                    f"luring people into scam compounds ({c.cleared_ads} ad(s) with it cleared); "
                    f"campaigns: {campaigns}; seen {c.first_seen:%Y-%m-%d} to {c.last_seen:%Y-%m-%d}."
                ),
                object_marking_refs=[stix2.TLP_AMBER],
            )
        )
    return stix2.Bundle(objects=objects, allow_custom=True).serialize(pretty=True)
