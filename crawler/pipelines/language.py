"""Language: ISO 639-1 code of the ad's text ("" when too short to tell)."""

from __future__ import annotations

import re
from typing import Any

from langdetect import DetectorFactory, LangDetectException, detect

from crawler.items import JobAd
from crawler.pipelines import CountingPipeline

# langdetect is random unless seeded; the same ad must get the same language every run.
DetectorFactory.seed = 0
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
MIN_LETTERS = 12


def detect_language(text: str) -> str:
    """The language of ``text``; Korean by script (fast and sure), the rest by langdetect."""
    letters = _LETTERS.findall(text)
    if len(letters) < MIN_LETTERS:
        return ""
    hangul = len(_HANGUL.findall(text))
    if hangul / len(letters) > 0.3:
        return "ko"
    try:
        return detect(text)
    except LangDetectException:
        return ""


class LanguagePipeline(CountingPipeline):
    """Fill ``language`` unless the spider knew it; count per language."""

    def process_item(self, item: JobAd, spider: Any = None) -> JobAd:
        if not item.get("language"):
            text = f"{item.get('title') or ''}\n{item.get('description') or ''}"
            item["language"] = detect_language(text[:5000])
        self.count(f"language/{item['language'] or 'unknown'}")
        return item
