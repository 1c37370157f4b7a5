"""Decode legacy Korean pages correctly, with or without a declared charset.

Scrapy falls back to cp1252 for an undeclared non-UTF-8 body, which turns
EUC-KR/CP949 Korean into mojibake. We re-decode such responses: a configured
encoding wins; a declared EUC-KR is read as CP949 (its superset: boards use the
extra syllables such as 똠 and 햏); an undeclared body that is not UTF-8 but
decodes as CP949 into Hangul is CP949. So is a body declared UTF-8 that is not UTF-8 but
reads cleanly as CP949 Korean: old boards behind a new front end send CP949 pages with
``charset=utf-8``, and reading them as declared stored mojibake and lost every lure word
(issue 23, probe 13).
"""

from __future__ import annotations

import codecs
import re

from scrapy.http import TextResponse

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Codecs that are subsets of CP949: reading them as CP949 loses nothing.
_CP949_SUBSETS = {"euc_kr", "ks_c_5601_1987", "ksc5601", "cp949", "uhc", "ms949"}


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def detect_korean(body: bytes) -> str | None:
    """'cp949' when ``body`` is not UTF-8 but reads cleanly as CP949 with Hangul."""
    try:
        body.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    try:
        text = body.decode("cp949")
    except UnicodeDecodeError:
        return None
    return "cp949" if _HANGUL.search(text) else None


def fix_encoding(response: TextResponse, configured: str | None = None) -> TextResponse:
    """``response`` re-decoded when its encoding is wrong for Korean; else unchanged."""
    if configured:
        wanted = "cp949" if _codec(configured) in _CP949_SUBSETS else configured
        return response.replace(encoding=wanted)
    declared = response._declared_encoding()  # header, BOM or <meta>
    if declared:
        if _codec(declared) in _CP949_SUBSETS and _codec(declared) != "cp949":
            return response.replace(encoding="cp949")
        if _codec(declared) == "utf-8" and detect_korean(response.body):  # declared wrong
            return response.replace(encoding="cp949")
        return response
    guess = detect_korean(response.body)
    return response.replace(encoding=guess) if guess else response
