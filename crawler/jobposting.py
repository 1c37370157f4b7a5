"""schema.org JobPosting (JSON-LD and microdata) to JobAd fields; pure functions.

Sites write JobPosting every way the spec allows and some it does not: one
object, a list, an ``@graph``, ``@type`` as a list, HTML in ``description``,
``baseSalary`` as a number, a MonetaryAmount with a QuantitativeValue inside, or
a string. We read what is there and leave the rest empty.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from parsel import Selector

from crawler.text import country_code, drop_not_text, find_country

_TRAILING_COMMA = re.compile(r",\s*([}\]])")
# JobPosting is a few levels deep at most (@graph > posting > baseSalary > value). A block
# nested deeper is no posting: 200,000 levels made json.loads raise RecursionError, which
# lost the valid posting beside it on the page (issue 23, probe 11), and a few hundred
# would still make every later walk over the value recurse that deep.
MAX_JSON_DEPTH = 32


class BrokenJsonLd(ValueError):
    """A JSON-LD block that cannot be read even leniently."""


def load_jsonld(text: str) -> Any:
    """Parse one JSON-LD block; tolerates raw newlines in strings, trailing commas, HTML comments."""
    text = text.strip().removeprefix("<!--").removesuffix("-->").strip().rstrip(";")
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            data = json.loads(candidate, strict=False)
        except RecursionError:
            raise BrokenJsonLd(f"nested too deeply: {text[:80]}") from None
        except ValueError:  # not JSON, or an integer of over 4,300 digits
            continue
        if too_deep(data, MAX_JSON_DEPTH):
            raise BrokenJsonLd(f"nested more than {MAX_JSON_DEPTH} levels deep: {text[:80]}")
        return data
    raise BrokenJsonLd(text[:80])


def too_deep(data: Any, limit: int) -> bool:
    """True when ``data`` nests lists and dicts more than ``limit`` levels deep (no recursion)."""
    level: list[Any] = [data]
    for _ in range(limit + 1):
        level = [v for node in level for v in (node.values() if isinstance(node, dict) else node)
                 if isinstance(v, (dict, list))]  # fmt: skip
        if not level:
            return False
    return True


def _types(node: dict[str, Any]) -> list[str]:
    value = node.get("@type") or []
    values = value if isinstance(value, list) else [value]
    return [str(v).rsplit("/", 1)[-1] for v in values]


def iter_postings(data: Any) -> Iterator[dict[str, Any]]:
    """Every JobPosting object in parsed JSON-LD, however nested."""
    if isinstance(data, list):
        for entry in data:
            yield from iter_postings(entry)
    elif isinstance(data, dict):
        if "JobPosting" in _types(data):
            yield data
            return
        for key in ("@graph", "mainEntity", "itemListElement", "item"):
            if key in data:
                yield from iter_postings(data[key])


def page_postings(selector: Selector) -> tuple[list[dict[str, Any]], int]:
    """(JobPostings from JSON-LD and microdata on a page, count of unreadable JSON-LD blocks)."""
    postings: list[dict[str, Any]] = []
    broken = 0
    for block in selector.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]/text()').getall():
        if not block.strip():
            continue
        try:
            postings.extend(iter_postings(load_jsonld(block)))
        except BrokenJsonLd:
            broken += 1
    for node in selector.xpath('//*[@itemscope][contains(@itemtype, "JobPosting")]'):
        drop_not_text(node)  # microdata text is what a reader sees, never script or style
        postings.append(microdata(node))
    return postings, broken


def microdata(node: Selector) -> dict[str, Any]:
    """One microdata item as a JSON-LD-like dict (nested items become dicts)."""
    result: dict[str, Any] = {"@type": (node.attrib.get("itemtype") or "").rsplit("/", 1)[-1]}
    depth = len(node.xpath("ancestor-or-self::*[@itemscope]"))
    for prop in node.xpath(".//*[@itemprop]"):
        # Only properties whose nearest item is this one; nested items handle their own.
        if len(prop.xpath("ancestor::*[@itemscope]")) != depth:
            continue
        if "itemscope" in prop.attrib:
            value: Any = microdata(prop)
        else:
            value = (
                prop.attrib.get("content")
                or prop.attrib.get("datetime")
                or prop.attrib.get("href")
                or prop.attrib.get("src")
                or (
                    prop.get()
                    if prop.attrib["itemprop"] == "description"
                    else " ".join(prop.xpath(".//text()").getall())
                )
            )
        for name in prop.attrib["itemprop"].split():
            if name in result and not isinstance(result[name], list):
                result[name] = [result[name], value]
            elif name in result:
                result[name].append(value)
            else:
                result[name] = value
    return result


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _name(value: Any) -> str:
    value = _first(value)
    if isinstance(value, dict):
        return str(value.get("name") or value.get("legalName") or "")
    return str(value or "")


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (int, float)):
        return f"{value:,}"
    return str(value or "").strip()


def salary_text(value: Any) -> str:
    """baseSalary in words: "USD 3,000–5,000 per MONTH"; strings stay as written."""
    value = _first(value)
    if not isinstance(value, dict):
        return _number(value)
    currency = str(value.get("currency") or value.get("salaryCurrency") or "")
    inner = value.get("value", value)
    unit = str(value.get("unitText") or "")
    if isinstance(inner, dict):
        unit = str(inner.get("unitText") or unit)
        low, high = inner.get("minValue"), inner.get("maxValue")
        if low is not None and high is not None and low != high:
            amount = f"{_number(low)}–{_number(high)}"
        else:
            amount = _number(inner.get("value", low if low is not None else high))
    else:
        amount = _number(inner) if inner is not value else ""
    parts = [p for p in (currency, amount) if p]
    text = " ".join(parts)
    return f"{text} per {unit}" if text and unit else text


def _locations(value: Any) -> tuple[str, str]:
    """(readable location, ISO country) from jobLocation (Place, list, PostalAddress or text)."""
    places = value if isinstance(value, list) else [value]
    texts, country = [], ""
    for place in places:
        if isinstance(place, dict):
            address = place.get("address", place)
            if isinstance(address, dict):
                raw_country = address.get("addressCountry")
                name = _name(raw_country)
                parts = [address.get(k) for k in ("streetAddress", "addressLocality", "addressRegion")]
                parts = [str(p) for p in parts if p] + ([name] if name else [])
                country = country or country_code(name)
                texts.append(", ".join(parts) or str(place.get("name") or ""))
            else:
                texts.append(str(address or place.get("name") or ""))
        elif place:
            texts.append(str(place))
    location = "; ".join(t for t in texts if t)
    return location, country or find_country(location)


def _identifier(value: Any) -> str:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("value") or value.get("@id") or value.get("name")
    return str(value or "").strip()


def posting_fields(posting: dict[str, Any]) -> dict[str, Any]:
    """JobAd fields from one JobPosting (description may still hold HTML)."""
    location, country = _locations(posting.get("jobLocation"))
    if not country:
        country = country_code(_name(posting.get("applicantLocationRequirements")))
    extra = {
        k: posting[s]
        for k, s in (
            ("valid_through", "validThrough"),
            ("employment_type", "employmentType"),
            ("job_location_type", "jobLocationType"),
        )
        if posting.get(s)
    }
    return {
        "title": str(_first(posting.get("title") or posting.get("name")) or ""),
        "company": _name(posting.get("hiringOrganization")),
        "location": location,
        "country": country,
        "salary": salary_text(posting.get("baseSalary") or posting.get("estimatedSalary")),
        "description": str(_first(posting.get("description")) or ""),
        "posted_at": str(_first(posting.get("datePosted")) or "") or None,
        "url": str(_first(posting.get("url")) or ""),
        "site_id": _identifier(posting.get("identifier")),
        "extra": extra,
    }
