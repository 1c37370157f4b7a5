"""Validate: drop items that are not storable ads, each drop counted with its reason."""

from __future__ import annotations

import re
from typing import Any

from scrapy.exceptions import DropItem

from crawler.items import JobAd
from crawler.pipelines import CountingPipeline

MAX_DESCRIPTION = 100_000  # longer is a scraped page dump, not an ad
MAX_TITLE = 1_000
MIN_TEXT = 8  # letters in title + description (Hangul is dense: 8 is a short ad)
# Pages that come back 200 but are not ads: errors, bans, logins, empty boards.
_NOT_AN_AD = re.compile(
    r"^(?:page not found|404|not found|access denied|forbidden|error|log ?in|sign ?in|"
    r"captcha|just a moment|페이지를 찾을 수 없습니다|존재하지 않는 (?:게시물|글)입니다|"
    r"삭제된 (?:게시물|글)입니다|권한이 없습니다|로그인)\b",
    re.I,
)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


def drop_reason(item: JobAd) -> str | None:
    """Why ``item`` must not be stored, or None when it is fine."""
    if not item.get("source") or not item.get("external_id"):
        return "no_id"
    title, description = item.get("title") or "", item.get("description") or ""
    if not title.strip() and not description.strip():
        return "no_text"
    if len(description) > MAX_DESCRIPTION or len(title) > MAX_TITLE:
        return "absurd_length"
    if _NOT_AN_AD.match(title.strip()) and len(description) < 200:
        return "not_an_ad"
    if len(_LETTER.findall(title + description)) < MIN_TEXT and not any((item.get("contacts") or {}).values()):
        return "not_an_ad"
    return None


class ValidatePipeline(CountingPipeline):
    """Drop with a counted reason (``lurewatch/dropped/<reason>``); pass the rest."""

    def process_item(self, item: JobAd, spider: Any = None) -> JobAd:
        reason = drop_reason(item)
        if reason:
            self.count(f"dropped/{reason}")
            self.count("dropped")
            raise DropItem(f"{reason}: {item.get('url')}")
        self.count("valid")
        return item
