"""schema.org JobPosting (JSON-LD, microdata and RDFa) to JobAd fields; pure functions.

Sites write JobPosting every way the spec allows and some it does not: one
object, a list, an ``@graph`` (with nodes that only point at others by ``@id``),
``@type`` as a list, a WebPage whose ``mainEntity`` is the posting, HTML in
``description``, ``baseSalary`` as a number, a MonetaryAmount with a
QuantitativeValue inside, or a string. Script bodies come wrapped in CDATA or
HTML comments, led by a byte-order mark or a stray ``;``, with ``//`` comments
and trailing commas: browsers and Google's parser accept all of it, so do we.
We read what is there and leave the rest empty.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from parsel import Selector
from w3lib.html import replace_entities

from crawler.text import country_code, drop_not_text, find_country, has_tags

# A JSON string, escapes included; an unclosed one runs to the end of the text, so a run of
# escaped quotes is scanned once, not once from each of them.
_STRING = r'"(?:[^"\\]|\\[\s\S])*(?:"|\\?\Z)'
# What a lenient reader removes from a JSON-LD block, string by string: strings are matched
# first and kept, so "//" inside a URL survives; then // and /* */ comments, and trailing
# commas. Each alternative ends at the end of the text when unclosed: one linear scan.
_LENIENT = re.compile(_STRING + r"|//[^\n]*|/\*[\s\S]*?(?:\*/|\Z)|,(?=\s*[}\]])")
# The CDATA and HTML-comment wrappers of a script body (each maybe commented out with // or
# /* */), outside strings: "<![CDATA[" holds a "[" that would pass for the start of the value.
_WRAPPER = re.compile(_STRING + r"|(?://|/\*)?[ \t]*(?:<!\[CDATA\[|\]\]>|<!--|-->)(?:[ \t]*\*/)?")
# JobPosting is a few levels deep at most (@graph > posting > baseSalary > value). A block
# nested deeper is no posting: 200,000 levels made json.loads raise RecursionError, which
# lost the valid posting beside it on the page (issue 23, probe 11), and a few hundred
# would still make every later walk over the value recurse that deep.
MAX_JSON_DEPTH = 32
# A page that names JobPosting in any of its forms ("JobPosting" in JSON-LD, itemtype=
# ".../JobPosting", typeof="JobPosting"): if nothing is read from it, something was lost.
JOBPOSTING_MARKER = "JobPosting"


class BrokenJsonLd(ValueError):
    """A JSON-LD block that cannot be read even leniently."""


def _lenient(match: re.Match[str]) -> str:
    token = match.group()
    return token if token.startswith('"') else ""


def load_jsonld(text: str) -> Any:
    """Parse one JSON-LD block as a browser's script would hold it.

    Accepts a byte-order mark, ``<![CDATA[ ]]>`` and ``<!-- -->`` wrappers (commented
    with ``//`` or ``/* */`` or not), stray ``;`` or other junk around the value, raw
    newlines in strings, ``//`` and ``/* */`` comments and trailing commas.
    """
    if "<!" in text or "]]>" in text or "-->" in text:
        text = _WRAPPER.sub(_lenient, text)
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    end = max(text.rfind("}"), text.rfind("]"))
    if start < 0 or end < start:
        raise BrokenJsonLd(text.strip()[:80])
    # Everything before the first bracket and after the last is wrapper or junk: a JSON-LD
    # value is an object or an array.
    text = text[start : end + 1]
    for attempt in range(2):
        candidate = text if attempt == 0 else _LENIENT.sub(_lenient, text)
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


@dataclass
class PageReading:
    """What a page's structured data gave: its postings, and what could not be read."""

    postings: list[dict[str, Any]] = field(default_factory=list)
    broken: int = 0  # JSON-LD blocks that are not JSON even leniently
    empty: int = 0  # JobPosting items with neither title nor description (an unfilled template)

    def reason(self) -> str:
        """Why a page with a JobPosting marker gave no posting ("" when it gave some)."""
        if self.postings:
            return ""
        return "broken_jsonld" if self.broken else "empty_posting" if self.empty else "no_posting"


_JSONLD_XPATH = '//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]/text()'
_MICRODATA_XPATH = '//*[@itemscope][contains(@itemtype, "JobPosting")]'
_RDFA_XPATH = '//*[@typeof][contains(concat(" ", @typeof, " "), "JobPosting ")]'


def page_postings(selector: Selector) -> PageReading:
    """Every JobPosting on a page, from JSON-LD, else microdata and RDFa, with what could not be read."""
    reading = PageReading()
    blocks = []
    for block in selector.xpath(_JSONLD_XPATH).getall():
        if not block.strip():
            continue
        try:
            blocks.append(load_jsonld(block))
        except BrokenJsonLd:
            reading.broken += 1
    found: list[dict[str, Any]] = []
    if blocks:
        nodes = _nodes_by_id(blocks)
        # JSON-LD strings come straight from the site's template, never through an HTML
        # parser (a script's text is raw): entities a PHP board escaped are decoded here.
        found += [decode_entities(_resolve(p, nodes)) for p in iter_postings(blocks)]
    # Microdata and RDFa only when JSON-LD gave nothing: plugins that write both describe the
    # same posting twice, and reading both would store it twice.
    for query, syntax in () if found else ((_MICRODATA_XPATH, MICRODATA), (_RDFA_XPATH, RDFA)):
        for node in selector.xpath(query):
            drop_not_text(node)  # an item's text is what a reader sees, never script or style
            found.append(structured_item(node, syntax))
    for posting in found:
        if _first(posting.get("title") or posting.get("name")) or _first(posting.get("description")):
            reading.postings.append(posting)
        else:
            reading.empty += 1
    return reading


def decode_entities(value: Any) -> Any:
    """``value`` with HTML entities decoded once in every string that holds no tags.

    A string with tags is HTML: it keeps its entities for the one HTML-to-text step of the
    normalise pipeline. A string without is text a template escaped (``F&amp;amp;B`` is
    ``F&amp;B``, never ``F&B``). Escaped markup (``&lt;p&gt;``) becomes markup here, and
    text there.
    """
    if isinstance(value, str):
        return replace_entities(value) if "&" in value and not has_tags(value) else value
    if isinstance(value, dict):
        return {k: decode_entities(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_entities(v) for v in value]
    return value


def _nodes_by_id(blocks: list[Any]) -> dict[str, dict[str, Any]]:
    """The page's top-level and @graph nodes that carry an ``@id`` and more than it."""
    nodes: dict[str, dict[str, Any]] = {}
    pending = list(blocks)
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            if isinstance(node.get("@id"), str) and len(node) > 1:
                nodes.setdefault(node["@id"], node)
            if "@graph" in node:
                pending.append(node["@graph"])
    return nodes


def _resolve(posting: dict[str, Any], nodes: dict[str, dict[str, Any]], depth: int = 2) -> dict[str, Any]:
    """``posting`` with values that only point at another node (``{"@id": ...}``) replaced by it."""
    if not nodes:
        return posting

    def one(value: Any) -> Any:
        if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in nodes:
            value = nodes[value["@id"]]
        return _resolve(value, nodes, depth - 1) if isinstance(value, dict) and depth > 1 else value

    return {k: [one(v) for v in value] if isinstance(value, list) else one(value) for k, value in posting.items()}


@dataclass(frozen=True)
class Syntax:
    """The attributes of one HTML syntax for items: microdata or RDFa Lite."""

    item: str  # marks an element as an item
    type: str  # names its type
    prop: str  # names a property


MICRODATA = Syntax(item="itemscope", type="itemtype", prop="itemprop")
RDFA = Syntax(item="typeof", type="typeof", prop="property")


def _local(name: str) -> str:
    """A type or property name without its vocabulary ("https://schema.org/title", "schema:title")."""
    return name.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def structured_item(node: Selector, syntax: Syntax) -> dict[str, Any]:
    """One microdata or RDFa item as a JSON-LD-like dict (nested items become dicts)."""
    types = (node.attrib.get(syntax.type) or "").split()
    result: dict[str, Any] = {"@type": [_local(t) for t in types] if len(types) > 1 else _local("".join(types))}
    depth = len(node.xpath(f"ancestor-or-self::*[@{syntax.item}]"))
    for prop in node.xpath(f".//*[@{syntax.prop}]"):
        # Only properties whose nearest item is this one; nested items handle their own.
        if len(prop.xpath(f"ancestor::*[@{syntax.item}]")) != depth:
            continue
        names = [_local(n) for n in prop.attrib[syntax.prop].split()]
        if syntax.item in prop.attrib:
            value: Any = structured_item(prop, syntax)
        else:
            value = (
                prop.attrib.get("content")
                or prop.attrib.get("datetime")
                or prop.attrib.get("href")
                or prop.attrib.get("src")
                or (prop.get() if "description" in names else " ".join(prop.xpath(".//text()").getall()))
            )
        for name in names:
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


def salary_text(value: Any, currency: str = "") -> str:
    """baseSalary in words: "USD 3,000–5,000 per MONTH"; strings stay as written.

    ``currency`` is the posting's own ``salaryCurrency``, for a salary given as a bare number.
    """
    value = _first(value)
    if not isinstance(value, dict):
        amount = _number(value)
        return f"{currency} {amount}" if currency and amount and not isinstance(value, str) else amount
    currency = str(value.get("currency") or value.get("salaryCurrency") or currency or "")
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
    applicants = posting.get("applicantLocationRequirements")
    if not country:
        country = country_code(_name(applicants))
    if not location and applicants:  # a remote job (TELECOMMUTE): where its applicants must live
        places = applicants if isinstance(applicants, list) else [applicants]
        location = "; ".join(n for n in (_name(p) for p in places) if n)
        location = f"{location} (remote)" if location else ""
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
        "salary": salary_text(
            posting.get("baseSalary") or posting.get("estimatedSalary"),
            str(_first(posting.get("salaryCurrency")) or ""),
        ),
        "description": str(_first(posting.get("description")) or ""),
        "posted_at": str(_first(posting.get("datePosted")) or "") or None,
        "url": str(_first(posting.get("url")) or ""),
        "site_id": _identifier(posting.get("identifier")),
        "extra": extra,
    }
