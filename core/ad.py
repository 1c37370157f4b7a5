"""The ad: one shape for spiders, files of ads, the ads table and the classifier.

DESIGN.md "The ad". Every layer takes the field names from here, so a field is
added, renamed or re-purposed in one place. Missing fields are empty (strings)
or None (dates), never invented.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# Every field, in the order files and exports show them:
#   source        the config's source name
#   url           absolute URL of the ad (the permalink for Telegram)
#   external_id   the site's own id; else a hash of the canonical URL; for file rows
#                 without either, a hash of the content
#   country       ISO 3166 alpha-2 when resolvable, else ""
#   salary        as written
#   description   plain text (HTML is converted by the crawler's normalise pipeline)
#   contacts      {kind: [values]} for kinds in CONTACT_KINDS
#   language      ISO 639-1, "" when unknown
#   posted_at     when the site says it was posted (UTC), None when it does not say
#   fetched_at    when we fetched it (UTC)
#   content_hash  content_hash() of the CONTENT_FIELDS
AD_FIELDS = (
    "source", "url", "external_id", "title", "company", "location", "country", "salary",
    "description", "contacts", "language", "posted_at", "fetched_at", "content_hash",
)  # fmt: skip
DATE_FIELDS = ("posted_at", "fetched_at")
# Plain strings: "" when missing.
STRING_FIELDS = tuple(f for f in AD_FIELDS if f not in (*DATE_FIELDS, "contacts"))
# Kind-specific data a spider keeps beside the ad (views, channel, valid_through...),
# stored with it but never part of its content.
EXTRA = "extra"

# The text the classifier reads, in the order it joins the fields into one text
# (evidence offsets count in that text, so the order is part of every model).
TEXT_FIELDS = ("title", "company", "location", "salary", "description")
# What an ad's content is made of: a change to any of them is an edit.
CONTENT_FIELDS = ("title", "company", "location", "country", "salary", "description", "contacts")
# What a page (rather than the source, the URL or the pipelines) can say about an ad:
# the fields a board source's selectors may read.
PAGE_FIELDS = ("title", "description", "company", "location", "salary", "posted_at", "country", "contacts")

CONTACT_KINDS = ("telegram", "kakao", "whatsapp", "line", "phone", "email", "url")


def model_text(ad: Mapping[str, Any]) -> str:
    """The text the model reads: the ad's non-blank TEXT_FIELDS as written, one per line.

    Every evidence offset a score stores counts in this text, and the read side rebuilds
    it byte for byte from the stored ad (checked against the sha256 kept with the score).
    """
    parts = [str(ad.get(f, "") or "") for f in TEXT_FIELDS]
    return "\n".join(p for p in parts if p.strip())


def field_offsets(ad: Mapping[str, Any]) -> dict[str, int]:
    """Where each non-blank TEXT_FIELD starts in ``model_text(ad)``."""
    out, at = {}, 0
    for f in TEXT_FIELDS:
        part = str(ad.get(f, "") or "")
        if part.strip():
            out[f] = at
            at += len(part) + 1
    return out


def text_sha256(text: str) -> str:
    """sha256 of a model text (UTF-8): what a stored analysis was computed on."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(ad: Mapping[str, Any]) -> str:
    """sha256 of an ad's CONTENT_FIELDS, stable across runs and whitespace changes."""
    parts: dict[str, Any] = {}
    for name in CONTENT_FIELDS:
        value = ad.get(name)
        if name == "contacts":
            parts[name] = {k: sorted(v) if isinstance(v, list) else v for k, v in sorted((value or {}).items()) if v}
        else:
            parts[name] = " ".join(str(value or "").split())
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
