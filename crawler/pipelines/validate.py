"""Validate: drop items that are not storable ads, each drop counted with its reason."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from scrapy.exceptions import DropItem

from crawler.items import JobAd
from crawler.pipelines import CountingPipeline

MAX_DESCRIPTION = 100_000  # longer is a scraped page dump, not an ad
MAX_TITLE = 1_000
# Text needed in title + description, in Latin-letter equivalents. A Latin ad needs 8
# letters, as before. Scripts without spaces say more per character: a Han, Hangul or kana
# character weighs 3 (a Chinese or Korean word is one to three characters, an English one
# about five letters), so "日薪800，做30天" (daily pay 800, 30 days: a real lure, 4 Han
# characters) is kept, as is a one-line Korean Telegram post, while 2 characters are not.
# Thai, Lao, Khmer and Myanmar write vowels as marks around consonants: every letter or
# mark weighs 1.5, so a country name alone (กัมพูชา, 7 code points) passes like "Cambodia".
MIN_TEXT = 8
CJK_WEIGHT = 3.0
ABUGIDA_WEIGHT = 1.5
_CJK = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ABUGIDA = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
# Pages that come back 200 but are not ads: errors, bans, logins, empty boards.
_NOT_AN_AD = re.compile(
    r"^(?:page not found|404|not found|access denied|forbidden|error|log ?in|sign ?in|"
    r"captcha|just a moment|페이지를 찾을 수 없습니다|존재하지 않는 (?:게시물|글)입니다|"
    r"삭제된 (?:게시물|글)입니다|권한이 없습니다|로그인)\b",
    re.I,
)


def text_weight(text: str, enough: float = MIN_TEXT) -> float:
    """Letters of ``text`` in Latin-letter equivalents (see MIN_TEXT); counting stops once
    ``enough`` is reached, so a 100,000-character page costs what a short ad costs."""
    total = 0.0
    for ch in text:
        if _CJK.match(ch):
            total += CJK_WEIGHT
        elif _ABUGIDA.match(ch):
            total += ABUGIDA_WEIGHT if unicodedata.category(ch)[0] in "LM" else 0.0  # not digits
        elif ch.isalpha():
            total += 1.0
        if total >= enough:
            break
    return total


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
    if text_weight(f"{title}\n{description}") < MIN_TEXT and not any((item.get("contacts") or {}).values()):
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
