"""Canonical URLs and external ids for ads that carry no id of their own."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from w3lib.url import canonicalize_url

# Query parameters boards commonly use for the post id (gnuboard wr_id, XE
# document_srl, generic no/idx/seq...). When one is present it is the site's id.
_ID_PARAMS = (
    "wr_id",
    "document_srl",
    "article_id",
    "articleid",
    "job_id",
    "jobid",
    "post_id",
    "postid",
    "idx",
    "seq",
    "no",
    "num",
    "id",
)
# The board or table a post id belongs to, so ids of different boards never collide.
_SCOPE_PARAMS = ("bo_table", "mid", "board", "table", "bbs", "code")
_NUMERIC_SEGMENT = re.compile(r"(?:^|[-_/])(\d{3,})(?:\.html?)?$")


# Longer than browsers or servers take: left as it is. w3lib's canonicalize_url spent 2.5 s
# and 530 MB on a 4.9 MB feed link (issue 23, probe 12); such an ad is dropped anyway
# (crawler.pipelines.limits), and its id only has to be stable.
MAX_CANONICAL_CHARS = 8_192


def canonical_url(url: str) -> str:
    """The URL with sorted query and no fragment, so one page has one spelling (a URL over
    MAX_CANONICAL_CHARS characters is returned as it is)."""
    if len(url) > MAX_CANONICAL_CHARS:
        return url
    return canonicalize_url(url, keep_fragments=False)


def url_hash(url: str) -> str:
    """A stable id from the canonical URL (``u:`` + 32 hex characters)."""
    return "u:" + hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()[:32]


def site_id_from_url(url: str) -> str:
    """The site's own post id when the URL shows one, else ""."""
    if len(url) > MAX_CANONICAL_CHARS:
        return ""
    parts = urlsplit(url)
    query = {k.lower(): v for k, v in parse_qsl(parts.query)}
    scope = next((query[p] for p in _SCOPE_PARAMS if query.get(p)), "")
    for param in _ID_PARAMS:
        value = query.get(param, "")
        if value and len(value) <= 64:
            return f"{scope}:{value}" if scope else value
    match = _NUMERIC_SEGMENT.search(parts.path.rstrip("/"))
    return match.group(1) if match else ""


def external_id_for(url: str) -> str:
    """The site id shown in the URL, else a hash of the canonical URL."""
    return site_id_from_url(url) or url_hash(url)


def absolute(base: Any, href: str) -> str:
    """``href`` resolved against ``base`` (a URL, or a response and its <base href>); "" when
    ``href`` is no URL at all, such as "http://[::1" (urljoin raises on it)."""
    from urllib.parse import urljoin

    try:
        return base.urljoin(href.strip()) if hasattr(base, "urljoin") else urljoin(base, href.strip())
    except ValueError:
        return ""
