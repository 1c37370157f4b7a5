"""The one JobAd shape every spider yields and the store keeps (see DESIGN.md)."""

from __future__ import annotations

from typing import Any

import scrapy

CONTACT_KINDS = ("telegram", "kakao", "whatsapp", "line", "phone", "email", "url")
TEXT_FIELDS = (
    "source",
    "url",
    "external_id",
    "title",
    "company",
    "location",
    "country",
    "salary",
    "description",
    "language",
    "content_hash",
)


class JobAd(scrapy.Item):
    """One job ad. Missing fields are empty strings (or None for dates), never invented."""

    source = scrapy.Field()  # the config's source name
    url = scrapy.Field()  # absolute URL of the ad (permalink for Telegram)
    external_id = scrapy.Field()  # the site's own id, else a hash of the canonical URL
    title = scrapy.Field()
    company = scrapy.Field()
    location = scrapy.Field()
    country = scrapy.Field()  # ISO 3166 alpha-2 when resolvable, else ""
    salary = scrapy.Field()  # as written
    description = scrapy.Field()  # plain text after the normalise pipeline
    contacts = scrapy.Field()  # {kind: [values]} for kinds in CONTACT_KINDS
    language = scrapy.Field()  # ISO 639-1, "" when unknown
    posted_at = scrapy.Field()  # str as found; a UTC datetime after normalising
    fetched_at = scrapy.Field()  # UTC datetime (response Date header, else pipeline clock)
    content_hash = scrapy.Field()
    extra = scrapy.Field()  # kind-specific data: views, channel, valid_through...


def new_ad(**values: Any) -> JobAd:
    """A JobAd with every field present: given values, empty defaults for the rest."""
    ad = JobAd()
    for name in TEXT_FIELDS:
        ad[name] = values.pop(name, "") or ""
    ad["contacts"] = dict(values.pop("contacts", None) or {})
    ad["extra"] = dict(values.pop("extra", None) or {})
    ad["posted_at"] = values.pop("posted_at", None) or None
    ad["fetched_at"] = values.pop("fetched_at", None) or None
    if values:
        raise KeyError(f"unknown JobAd field(s): {', '.join(sorted(values))}")
    return ad
