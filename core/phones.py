"""Phone numbers as people read them: international form, the way the number is dialled.

A stored phone is E.164 (``+821012345678``) when the crawler could read it, else the
digits as found (``1012345678``: a Korean mobile without its leading 0). Neither is how
an analyst, a platform or a police officer reads a number, so every view shows it in
international form (``+82 10-1234-5678``): read with the ad's language's country, the
ad's country, then the countries lurewatch watches, the first where it is a valid number.
A value valid nowhere is shown as stored, never reformatted into something it is not.
"""

from __future__ import annotations

import phonenumbers

# The country whose numbers an ad in this language most likely gives (ISO 639-1 -> 3166).
LANGUAGE_REGIONS = {
    "ko": "KR",
    "km": "KH",
    "th": "TH",
    "vi": "VN",
    "tl": "PH",
    "fil": "PH",
    "id": "ID",
    "ms": "MY",
    "my": "MM",
    "lo": "LA",
    "zh": "CN",
    "ja": "JP",
}
WATCHED_REGIONS = ("KR", "KH", "TH", "VN", "PH", "MM", "LA", "CN", "MY", "ID", "JP", "SG")
_INTERNATIONAL = phonenumbers.PhoneNumberFormat.INTERNATIONAL


def regions_for(country: str = "", language: str = "") -> list[str]:
    """Regions to read a number without a country code in, most likely first."""
    first = [LANGUAGE_REGIONS.get(str(language or "").strip().lower()[:3], ""), str(country or "").strip().upper()]
    return list(dict.fromkeys(r for r in [*first, *WATCHED_REGIONS] if len(r) == 2))


def display_phone(value: str, country: str = "", language: str = "") -> str:
    """``+82 10-1234-5678`` for a number valid in E.164 or in a likely region; else as stored."""
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        if text.startswith("+"):
            number = phonenumbers.parse(text, None)
            return phonenumbers.format_number(number, _INTERNATIONAL) if phonenumbers.is_valid_number(number) else text
        for region in regions_for(country, language):
            number = phonenumbers.parse(text, region)
            if phonenumbers.is_valid_number(number):
                return phonenumbers.format_number(number, _INTERNATIONAL)
    except phonenumbers.NumberParseException:
        pass
    return text
