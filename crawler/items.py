"""The JobAd item every spider yields: the fields of core.ad, plus the spider's ``extra``."""

from __future__ import annotations

from typing import Any

import scrapy

from core.ad import AD_FIELDS, DATE_FIELDS, EXTRA, STRING_FIELDS


def _get(self: scrapy.Item, key: str, default: Any = None) -> Any:
    """``item.get``, read from the item's own dict (what scrapy.Item.__getitem__ reads) rather
    than through the Mapping ABC's get and __getitem__: the pipelines read ~70 fields an ad."""
    return self._values.get(key, default)


# One scrapy.Field per field of the ad (core.ad documents them). A spider may leave
# posted_at as the string it found: the normalise pipeline parses it.
JobAd = type(
    "JobAd",
    (scrapy.Item,),
    {
        "__doc__": "One job ad. Missing fields are empty strings (or None for dates), never invented.",
        "__module__": __name__,
        "get": _get,
        **{name: scrapy.Field() for name in (*AD_FIELDS, EXTRA)},
    },
)


def new_ad(**values: Any) -> JobAd:
    """A JobAd with every field present: given values, empty defaults for the rest."""
    ad = JobAd()
    for name in STRING_FIELDS:
        ad[name] = values.pop(name, "") or ""
    ad["contacts"] = dict(values.pop("contacts", None) or {})
    ad[EXTRA] = dict(values.pop(EXTRA, None) or {})
    for name in DATE_FIELDS:
        ad[name] = values.pop(name, None) or None
    if values:
        raise KeyError(f"unknown JobAd field(s): {', '.join(sorted(values))}")
    return ad
