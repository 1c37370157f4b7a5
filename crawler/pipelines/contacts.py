"""Contacts: Telegram, KakaoTalk, WhatsApp, Line, phones, emails and links of each ad."""

from __future__ import annotations

from typing import Any

from crawler.contacts import extract_contacts, merge_contacts
from crawler.items import JobAd
from crawler.pipelines import CountingPipeline


class ContactsPipeline(CountingPipeline):
    """Extract contacts from the ad's text and links; count each kind found.

    Runs after the language pipeline: phones written without a country code are read in
    the region of the ad's language, then of its country (core.phonescan.home_regions).
    """

    def process_item(self, item: JobAd, spider: Any = None) -> JobAd:
        given = item.get("contacts") or {}
        links = list(given.get("url") or [])
        found = extract_contacts(
            [item.get("title") or "", item.get("description") or "", item.get("company") or ""],
            links,
            country=item.get("country") or "",
            language=item.get("language") or "",
        )
        # Links the spider saw are re-classified: a t.me link is Telegram, not "url".
        kept = {k: v for k, v in given.items() if k != "url"}
        # With nothing kept, the merge would rebuild ``found`` as it is (every kind, in order,
        # each value once already): skipped, as for nearly every ad.
        item["contacts"] = merge_contacts(kept, found) if any(kept.values()) else found
        for kind, values in item["contacts"].items():
            if values:
                self.count(f"contacts/{kind}", len(values))
        if not any(item["contacts"].values()):
            self.count("contacts/none")
        return item
