"""Spider for public Telegram channel previews (``https://t.me/s/NAME``).

Each message is ``div.tgme_widget_message[data-post="NAME/ID"]`` with its text in
``.tgme_widget_message_text``, its time in ``time[datetime]`` and its view count
in ``.tgme_widget_message_views`` ("1.2K"). The preview shows the newest ~20
messages; ``?before=ID`` shows the ones before ID. We page backwards until we
reach the last message id stored for the channel (passed in by the stage), or,
on a first crawl, until ``max_messages`` were read.

A channel without a public preview redirects from /s/NAME to /NAME (a "join"
page without messages): that is recorded as unavailable, not as empty.
"""

from __future__ import annotations

import re
from typing import Any, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse

from crawler.items import JobAd, new_ad
from crawler.spiders.base import SourceSpider
from crawler.text import drop_not_text
from crawler.urls import absolute

_VIEWS = re.compile(r"^([\d.,]+)\s*([KkMm]?)$")
# Telegram message ids are positive 32-bit integers (and so is the column that keeps the last
# one read): anything else in data-post is not a message we can page from.
_MESSAGE_ID = re.compile(r"^[0-9]{1,10}$")
MAX_MESSAGE_ID = 2**31 - 1


def parse_views(text: str | None) -> int | None:
    """ "1.2K" -> 1200, "3M" -> 3000000, "845" -> 845; None when absent."""
    m = _VIEWS.match((text or "").strip())
    if not m:
        return None
    number = float(m.group(1).replace(",", ""))
    return int(number * {"k": 1_000, "m": 1_000_000}.get(m.group(2).lower(), 1))


def channel_url(base_url: str, channel: str, before: int | None = None) -> str:
    """The preview URL of ``channel`` (optionally the page before message ``before``)."""
    url = base_url.rstrip("/") + "/" + channel
    return f"{url}?before={before}" if before else url


class TelegramSpider(SourceSpider):
    """Public channel previews, paged backwards to the last message already stored."""

    kind = "telegram"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per channel: newest id seen this crawl, messages read, availability.
        self.progress: dict[str, dict[str, Any]] = {
            ch: {"available": None, "newest_id": None, "read": 0} for ch in self.source.channels
        }

    async def start(self) -> Any:
        # Older messages are not re-read, so a Telegram crawl never proves an ad gone.
        self.mark_incomplete("incremental")
        for channel in self.source.channels:
            yield self.page_request(channel)

    def page_request(self, channel: str, before: int | None = None) -> scrapy.Request:
        return scrapy.Request(
            channel_url(self.source.base_url, channel, before),
            callback=self.parse,
            errback=self.on_error,
            cb_kwargs={"channel": channel},
            meta={"listing": True, "channel": channel},
        )

    def last_seen(self, channel: str) -> int:
        return int((self.channel_states.get(channel) or {}).get("last_message_id") or 0)

    def parse(self, response: Response, channel: str = "", **kwargs: Any) -> Iterator[Any]:
        state = self.progress[channel]
        if not isinstance(response, TextResponse) or not self.has_preview(response):
            if state["available"] is None:
                state["available"] = False
                self.count("telegram/unavailable")
            return
        state["available"] = True
        # Pages list messages oldest first; read newest first so max_messages keeps the newest.
        messages = sorted(self.parse_messages(response, channel), key=lambda m: m[0], reverse=True)
        last_seen = self.last_seen(channel)
        oldest = None
        for message_id, ad in messages:
            oldest = message_id if oldest is None else min(oldest, message_id)
            if message_id <= last_seen or state["read"] >= self.source.max_messages:
                continue
            state["read"] += 1
            state["newest_id"] = max(state["newest_id"] or 0, message_id)
            yield ad
        if oldest is None or oldest <= 1:
            return
        if oldest <= last_seen + 1:
            self.count("telegram/stopped_at_last_seen")
            return
        if state["read"] >= self.source.max_messages:
            self.count("telegram/stopped_at_max_messages")
            return
        yield self.page_request(channel, before=oldest)

    @staticmethod
    def has_preview(response: TextResponse) -> bool:
        """False for the join page a channel without public preview redirects to."""
        if response.css(".tgme_widget_message[data-post], .tgme_channel_history"):
            return True
        return "/s/" in urlsplit(response.url).path and not response.css(".tgme_page_action")

    def parse_messages(self, response: TextResponse, channel: str) -> Iterator[tuple[int, JobAd]]:
        """(message id, JobAd) for every message on a preview page."""
        for node in response.css("div.tgme_widget_message[data-post]"):
            post = node.attrib["data-post"]
            _, _, raw_id = post.rpartition("/")
            message_id = int(raw_id) if _MESSAGE_ID.match(raw_id) else 0
            if not 0 < message_id <= MAX_MESSAGE_ID:
                self.count("dropped/bad_message_id")
                continue
            drop_not_text(node)
            text_node = node.css(".tgme_widget_message_text")
            html = text_node.get() or ""
            links = [url for h in text_node.css("a::attr(href)").getall() if (url := absolute(response, h))]
            permalink = node.css("a.tgme_widget_message_date::attr(href)").get() or f"https://t.me/{post}"
            extra = {
                "channel": channel,
                "message_id": message_id,
                "views": parse_views(node.css(".tgme_widget_message_views::text").get()),
                "links": links,
            }
            author = node.css(".tgme_widget_message_owner_name ::text").get() or ""
            ad = new_ad(
                source=self.source.name,
                url=absolute(response, permalink) or f"https://t.me/{post}",
                external_id=f"{channel}/{message_id}",
                description=html,
                company=author.strip(),
                posted_at=node.css("time::attr(datetime)").get(),
                contacts={"url": links},
                extra=extra,
                fetched_at=self.fetched_at(response),
            )
            yield message_id, ad

    def closed(self, reason: str) -> None:
        """Hand the per-channel progress to the stage through the crawl stats."""
        channels = {
            ch: {
                "available": bool(p["available"]) if p["available"] is not None else None,
                "last_message_id": p["newest_id"],
                "read": p["read"],
            }
            for ch, p in self.progress.items()
        }
        self.crawler.stats.set_value("lurewatch/telegram/channels", channels)
