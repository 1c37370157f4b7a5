"""Confirmed scam contacts, for platforms and police: CSV and STIX 2.1.

A contact is confirmed when an ad carrying it was decided ``scam`` by an analyst
(the queue status only analysts set; a model score alone never counts). Domains
of shared providers (webmail, big platforms, link shorteners) are left out, and
so is any domain also found in an ad an analyst cleared as legit: blocking those
would hit innocent users. Each row says in how many scam ads (and cleared ads)
the contact appeared, so a receiver can judge it.

Every value is decoded and validated by its kind's rules (store.indicator_values)
before it leaves: a value that fails is left out, and the caller is told which and why.
Links keep the scheme the ad wrote (``http://`` stays http); IP addresses found as
domains are typed ``ipv4``/``ipv6``. In the CSV, phone numbers are ``tel:`` URIs so that
Excel keeps them as text.

STIX has no observable for a phone number: numbers are written as indicators whose
pattern names ``x-phone-number`` (value in E.164; a pattern only, no custom object);
WhatsApp numbers, Telegram handles, KakaoTalk and LINE IDs as ``user-account``
(``account_type`` whatsapp, telegram, kakaotalk, line); links, open-chat and invite
links as ``url``; IPs as ``ipv4-addr``/``ipv6-addr``. Each indicator has a sighting
carrying its evidence: the count of scam ads and when it was first and last seen. The
bundle has no custom content (``stix2.parse(..., allow_custom=False)`` accepts it). Ids
are derived from the contact, so a re-export updates the same indicator.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import stix2
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contacts import normalise_url
from core.spreadsheet import neutralise
from store.indicator_values import check, decoded
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
    """One contact found in ads analysts decided scam, as a partner loads it.

    ``value`` is the exported form (decoded, validated; a link with the scheme the ad
    wrote); ``kind`` is ``ipv4``/``ipv6`` for a domain that is an IP address."""

    kind: str
    value: str
    scam_ads: int
    cleared_ads: int
    campaigns: tuple[int, ...]
    first_seen: datetime
    last_seen: datetime
    first_confirmed: datetime
    last_confirmed: datetime


@dataclass(frozen=True)
class LeftOut:
    """A stored contact value not exported, and why."""

    kind: str
    value: str
    problem: str


def _written_links(contacts: Any) -> list[str]:
    """The links an ad's contacts field holds, as written."""
    values = (contacts or {}).get("url") if isinstance(contacts, dict) else None
    values = values if isinstance(values, list) else [values] if values else []
    return [decoded(str(v)) for v in values if v]


def confirmed_contacts(session: Session, left_out: list[LeftOut] | None = None) -> list[ConfirmedContact]:
    """Every valid contact of an ad decided scam, by kind and value.

    Values that fail their kind's rules (store.indicator_values) are left out, and listed
    in ``left_out`` when given. A link keeps the scheme the ad wrote it with."""
    rows = session.execute(
        select(
            AdContact.kind,
            AdContact.value,
            AdContact.ad_id,
            Ad.first_seen_at,
            Ad.last_seen_at,
            ReviewItem.decided_at,
            CampaignMember.campaign_id,
            Ad.contacts,
        )
        .join(ReviewItem, ReviewItem.ad_id == AdContact.ad_id)
        .join(Ad, Ad.id == AdContact.ad_id)
        .outerjoin(CampaignMember, CampaignMember.ad_id == AdContact.ad_id)
        .where(ReviewItem.status == "scam")
        .order_by(Ad.first_seen_at, Ad.id)
    ).all()
    cleared: dict[tuple[str, str], int] = {}
    for kind, value in session.execute(
        select(AdContact.kind, AdContact.value)
        .join(ReviewItem, ReviewItem.ad_id == AdContact.ad_id)
        .where(ReviewItem.status == "legit")
    ):
        cleared[(kind, value)] = cleared.get((kind, value), 0) + 1
    grouped: dict[tuple[str, str], list] = {}
    written: dict[tuple[str, str], str] = {}  # a link as the first ad that gave it wrote it
    for kind, value, ad_id, first, last, decided, campaign, contacts in rows:
        grouped.setdefault((kind, value), []).append((ad_id, first, last, decided or first, campaign))
        if kind == "url" and (kind, value) not in written:
            for link in _written_links(contacts):
                if normalise_url(link) == value:
                    written[(kind, value)] = link
                    break
    out = []
    for (kind, value), ads in sorted(grouped.items()):
        if kind == "domain" and (value in SHARED_DOMAINS or (kind, value) in cleared):
            continue
        checked = check(kind, written.get((kind, value), value))
        if not checked.ok:
            if left_out is not None:
                left_out.append(LeftOut(kind, checked.value, checked.problem))
            continue
        out.append(
            ConfirmedContact(
                checked.kind,
                checked.value,
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


# Telegram handles start with @ but can hold no function call or DDE link; receivers match
# them exactly, so they are written as they are. Every other value goes through the usual
# formula neutralising.
_INERT = re.compile(r"@[a-z0-9_]{1,64}")
PHONE_KINDS = ("phone", "whatsapp")


def csv_value(kind: str, value: str) -> str:
    """A value as the contacts CSV holds it.

    Phone numbers are written as RFC 3966 ``tel:`` URIs (``tel:+85512345678``): a bare
    ``+85512345678`` is read by Excel as the number 85512345678 (the + and any leading
    zero lost, long ones shown as 8.55E+10); ``tel:`` keeps it text in every spreadsheet,
    and a receiver strips the four letters to get E.164."""
    if kind in PHONE_KINDS:
        return f"tel:{value}"
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
                csv_value(c.kind, c.value),
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


PLATFORM_LINKS = ("open.kakao.com/", "t.me/")  # platforms that serve https only


def stix_pattern(kind: str, value: str) -> str | None:
    """The STIX 2.1 pattern matching one contact (None: a link written without a scheme,
    which STIX cannot hold as a URL; its domain is exported on its own row)."""
    if kind == "phone":
        return f"[x-phone-number:value = {_quoted(value)}]"
    if kind == "email":
        return f"[email-addr:value = {_quoted(value)}]"
    if kind == "domain":
        return f"[domain-name:value = {_quoted(value)}]"
    if kind in ("ipv4", "ipv6"):
        return f"[{kind}-addr:value = {_quoted(value)}]"
    if kind == "url":
        if not value.lower().startswith(("http://", "https://")):
            return None
        return f"[url:value = {_quoted(value)}]"
    if value.startswith(PLATFORM_LINKS):  # open-chat and invite links: https, as those platforms serve them
        return f"[url:value = {_quoted('https://' + value)}]"
    account_type = {"telegram": "telegram", "kakao": "kakaotalk", "line": "line", "whatsapp": "whatsapp"}.get(
        kind, kind
    )
    login = value.lstrip("@") if kind == "telegram" else value
    return f"[user-account:account_type = {_quoted(account_type)} AND user-account:account_login = {_quoted(login)}]"


def contacts_stix(contacts: list[ConfirmedContact], left_out: list[LeftOut] | None = None) -> str:
    """A STIX 2.1 bundle: our identity, TLP:AMBER, and per contact an indicator and a sighting
    (how many scam ads carried it, first and last seen). Strict: no custom objects or
    properties, so ``stix2.parse(..., allow_custom=False)`` reads it back."""
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
        pattern = stix_pattern(c.kind, c.value)
        if pattern is None:
            if left_out is not None:
                left_out.append(LeftOut(c.kind, c.value, "a link written without http(s):// (its domain is shared)"))
            continue
        campaigns = ", ".join(str(i) for i in c.campaigns) or "none"
        indicator = stix2.Indicator(
            id=f"indicator--{uuid.uuid5(NAMESPACE, f'{c.kind}:{c.value}')}",
            created_by_ref=IDENTITY_ID,
            created=c.first_confirmed,
            modified=max(c.last_confirmed, c.first_confirmed),
            name=f"{c.kind} {c.value}",
            pattern=pattern,
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
        sighting = stix2.Sighting(
            id=f"sighting--{uuid.uuid5(NAMESPACE, f'sighting:{c.kind}:{c.value}')}",
            created_by_ref=IDENTITY_ID,
            created=c.first_confirmed,
            modified=max(c.last_confirmed, c.first_confirmed),
            sighting_of_ref=indicator.id,
            where_sighted_refs=[IDENTITY_ID],
            count=min(c.scam_ads, 999_999_999),  # the evidence: scam ads that carried it
            first_seen=c.first_seen,
            last_seen=max(c.last_seen, c.first_seen),
            description=f"Seen in {c.scam_ads} job ad(s) decided scam by analysts.",
            object_marking_refs=[stix2.TLP_AMBER],
        )
        objects += [indicator, sighting]
    return stix2.Bundle(objects=objects).serialize(pretty=True)
