"""Normalise: control characters out, HTML to text, whitespace, Unicode NFC, absolute URLs, dates to UTC."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any, Callable

from scrapy.exceptions import DropItem

from core.ad import STRING_FIELDS
from crawler.items import JobAd
from crawler.pipelines import CountingPipeline
from crawler.pipelines.validate import MAX_DESCRIPTION, MAX_TITLE
from crawler.text import (
    clean_text,
    country_code,
    html_to_text,
    looks_like_html,
    parse_date,
    scrub,
    title_from_text,
)
from crawler.urls import absolute
from store.ads import MAX_EXTERNAL_ID

# One line each; the description keeps its lines, and url and country are read below.
SINGLE_LINE = tuple(f for f in STRING_FIELDS if f not in ("description", "url", "country"))


class NormalisePipeline(CountingPipeline):
    """Clean text fields; parse dates; fill fetched_at from the clock when the server sent none."""

    def __init__(self, stats: Any = None, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(stats)
        # Pipelines, unlike parse callbacks, may read the clock; tests pass their own.
        self.now = clock or (lambda: datetime.now(timezone.utc))

    def process_item(self, item: JobAd, spider: Any = None) -> JobAd:
        # First, on every field and nested value: one NUL would make PostgreSQL refuse the
        # store batch the ad is in, and hidden controls split the words the model reads.
        dirty = False
        # The item's own dict (what scrapy.Item's items() reads one key at a time through the
        # Mapping ABC, as crawler.items._get says): the same pairs in the same order.
        for name, value in list(item._values.items()):
            clean = scrub(value)
            if clean != value:
                item[name], dirty = clean, True
        if dirty:
            self.count("normalise/control_chars")
        for name in SINGLE_LINE:
            value = item.get(name) or ""
            if looks_like_html(value):
                value = html_to_text(value)
                self.count("normalise/html_to_text")
            item[name] = clean_text(value)
        description = item.get("description") or ""
        if looks_like_html(description):
            description = html_to_text(description)
            self.count("normalise/html_to_text")
        item["description"] = clean_text(description, multiline=True)
        if len(item["description"]) > MAX_DESCRIPTION or len(item.get("title") or "") > MAX_TITLE:
            # Dropped now, before contacts and language read it: ValidatePipeline would drop it
            # anyway, after the costliest steps had read the whole of it.
            self.count("dropped/absurd_length")
            self.count("dropped")
            raise DropItem(f"absurd_length: {(item.get('url') or '')[:200]}")
        if not item.get("title") and item["description"]:
            # A Telegram post (or a feed entry) has no title of its own: its first line is one,
            # so the desk, exports and `review list` show words instead of "(no title)".
            item["title"] = title_from_text(item["description"])
            self.count("normalise/title_from_text")
        item["url"] = clean_text(item.get("url"))
        base = item["url"]
        contacts = item.get("contacts") or {}
        if contacts.get("url"):
            contacts["url"] = [url for u in contacts["url"] if clean_text(u) and (url := absolute(base, clean_text(u)))]
        item["contacts"] = contacts
        if len(item.get("external_id") or "") > MAX_EXTERNAL_ID:
            # A site id longer than the column (a feed guid of a few KB): its hash, stable across crawls.
            item["external_id"] = "h:" + hashlib.sha256(item["external_id"].encode("utf-8")).hexdigest()
            self.count("normalise/long_external_id")
        raw_country = item.get("country") or ""
        item["country"] = country_code(raw_country) if raw_country else ""
        if raw_country and not item["country"]:
            self.count("normalise/country_unresolved")
        raw_date = item.get("posted_at")
        item["posted_at"] = parse_date(raw_date)
        if raw_date and item["posted_at"] is None:
            self.count("normalise/date_unparsed")
            item["extra"] = {**(item.get("extra") or {}), "posted_at_raw": clean_text(raw_date)}
        if item.get("fetched_at") is None:
            item["fetched_at"] = self.now()
        else:
            item["fetched_at"] = parse_date(item["fetched_at"])
        extra = item.get("extra") or {}
        if extra.get("valid_through"):
            parsed = parse_date(extra["valid_through"])
            extra["valid_through"] = parsed.isoformat() if parsed else clean_text(extra["valid_through"])
        item["extra"] = extra
        return item
