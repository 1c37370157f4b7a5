"""Cells meant for people's spreadsheets: formula neutralisation and display widths.

Scraped text is hostile input: a title like ``=HYPERLINK(...)`` must never become a live
formula when an analyst opens a CSV in Excel or LibreOffice. Every CSV writer for people
passes its text cells through ``neutralise`` (OWASP's CSV-injection advice, widened to
what spreadsheets actually accept as the start of a formula).
"""

from __future__ import annotations

import re
import unicodedata

# Characters that start a formula, ASCII and full-width (Excel folds ＝＋－＠ to = + - @).
FORMULA_CHARS = frozenset("=+-@＝＋－＠")
# Cells starting with these are neutralised whatever follows: spreadsheets strip them,
# or split the cell on them, and then read what comes after as a formula.
LEADING_BREAKS = ("\t", "\r", "\n")
# Skipped when looking for the first visible character: spaces and invisible characters
# that spreadsheets ignore before a formula.
_INVISIBLE = frozenset(" \u00a0\u3000\u200b\u200c\u200d\u2060\ufeff\u180e\u2028\u2029")


def formula_like(value: str) -> bool:
    """True when a spreadsheet could read ``value`` as a formula."""
    if value.startswith(LEADING_BREAKS):
        return True
    for ch in value:
        if ch in _INVISIBLE or ch in LEADING_BREAKS:
            continue
        return ch in FORMULA_CHARS
    return False


def neutralise(value: str) -> str:
    """``value`` made inert in spreadsheets: a leading apostrophe when it looks like a formula."""
    return "'" + value if formula_like(value) else value


def display_width(text: str) -> int:
    """Width in character cells: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrapped_lines(text: str, width: int) -> int:
    """Lines ``text`` takes when wrapped at ``width`` character cells (at least 1)."""
    width = max(width, 1)
    return max(1, sum(max(1, -(-display_width(part) // width)) for part in str(text).split("\n")))


def place_text(location: str, country: str) -> str:
    """``Bangkok, TH``: the location, with the country code only when it does not already end with it."""
    location, country = (location or "").strip(), (country or "").strip()
    words = [w for w in re.split(r"[\s,.()/;-]+", location.upper()) if w]
    if not country or (words and words[-1] == country.upper()):
        return location
    return f"{location}, {country}" if location else country
