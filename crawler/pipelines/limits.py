"""Limits: drop an ad with an oversized field before any pipeline reads it, counted.

Every later step is linear in the size of a field, so the size caps here bound the work one
ad can cost (issue 23: a 5 MB company, a 4.9 MB feed link and a 1 MB URL each held the
crawl's thread for seconds and half a gigabyte). The caps are on the raw values, before
HTML is stripped, so they are generous: ValidatePipeline applies the tighter caps of an
ad's text after normalisation.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem

from core.ad import DATE_FIELDS, EXTRA, STRING_FIELDS
from crawler.items import JobAd
from crawler.pipelines import CountingPipeline

MAX_URL_CHARS = 8_192  # browsers and servers refuse longer; crawler.urls stops canonicalising here
MAX_RAW_DESCRIPTION = 500_000  # characters of the description as scraped, markup included
MAX_RAW_FIELD = 10_000  # any other string field as scraped (title, company, salary...)
MAX_CONTACT_VALUES = 500  # values in the contacts a spider found (links on the page)
MAX_NESTED_CHARS = 50_000  # characters in all strings of contacts or extra together
MAX_NESTED_ITEMS = 5_000  # values in contacts or extra, however nested


def _field_cap(name: str) -> int:
    if name == "description":
        return MAX_RAW_DESCRIPTION
    if name == "url":
        return MAX_URL_CHARS
    return MAX_RAW_FIELD


def _nested_size(value: Any) -> tuple[int, int]:
    """(characters in every string, number of values) of a nested value, without recursion and
    stopping as soon as either is over its cap."""
    chars = items = 0
    stack = [value]
    while stack:
        node = stack.pop()
        items += 1
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, (list, tuple, set)):
            stack.extend(node)
        else:
            chars += len(node) if isinstance(node, (str, bytes)) else len(str(node)) if node is not None else 0
        if chars > MAX_NESTED_CHARS or items > MAX_NESTED_ITEMS:
            break
    return chars, items


# Every field read as a string, with its cap, in the order they are checked.
_CAPPED = tuple((name, _field_cap(name)) for name in (*STRING_FIELDS, *DATE_FIELDS))


def oversized_field(item: JobAd) -> str | None:
    """The name of the first field of ``item`` over its cap, or None."""
    for name, cap in _CAPPED:
        value = item.get(name)
        if isinstance(value, str) and len(value) > cap:
            return name
    contacts = item.get("contacts") or {}
    if sum(len(v) for v in contacts.values() if isinstance(v, (list, tuple))) > MAX_CONTACT_VALUES:
        return "contacts"
    for name in ("contacts", EXTRA):
        chars, items = _nested_size(item.get(name) or {})
        if chars > MAX_NESTED_CHARS or items > MAX_NESTED_ITEMS:
            return name
    return None


class LimitsPipeline(CountingPipeline):
    """Drop ads with a field over its cap (``lurewatch/dropped/absurd_length`` and
    ``lurewatch/dropped/absurd_length/<field>``); pass the rest untouched."""

    def process_item(self, item: JobAd, spider: Any = None) -> JobAd:
        name = oversized_field(item)
        if name is None:
            return item
        self.count("dropped/absurd_length")
        self.count(f"dropped/absurd_length/{name}")
        self.count("dropped")
        url = item.get("url") or ""
        raise DropItem(f"absurd_length ({name}): {url[:200]}")
