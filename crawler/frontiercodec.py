"""The shared frontier's serializer: requests as plain JSON, never pickle.

scrapy-redis stores each queued request as whatever ``SCHEDULER_SERIALIZER`` makes of
``Request.to_dict()``, and pickles it by default: anyone who can write to the Redis
frontier can then run code in every crawler process that pops the entry (issue 23,
probe 1: a pickled object pushed onto ``<prefix>:<source>:<crawl>:requests`` ran, as
root, and the crawl still reported ``complete``). ``crawler.settings`` names this module
instead. An entry holds only what our requests carry: the URL, the method, headers,
the callback and errback by name (from a fixed list of our spiders' methods), and the
meta and callback arguments we put there (and the few keys Scrapy's own middlewares
keep across a retry or redirect), each of a checked type. ``loads`` refuses anything
else with ``ForeignEntry``; ``FrontierQueue`` drops such an entry, counts it
(``lurewatch/frontier/foreign_entries``, and the crawl is not complete) and pops the
next one.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from scrapy_redis.queue import LifoQueue

from core.ad import DATE_FIELDS, EXTRA, STRING_FIELDS
from crawler.items import new_ad

log = logging.getLogger(__name__)

VERSION = 1
MAX_ENTRY_BYTES = 64_000  # a request of ours is a few hundred bytes; an ad in meta a few KB
MAX_URL_CHARS = 8_192
METHODS = ("GET", "HEAD", "POST")
# Our spiders' callbacks and errbacks (crawler.spiders): nothing else is looked up on the spider.
CALLBACKS = ("parse", "parse_ad", "parse_detail")
ERRBACKS = ("on_error", "detail_failed")
# Meta we put there (crawler.spiders), and what Scrapy's middlewares keep across a retry
# or a redirect (depth, redirect loop protection), each with the type it must have.
META_TYPES: dict[str, tuple[type, ...]] = {
    "listing": (bool,),
    "scope": (str,),
    "channel": (str,),
    "entry": (dict,),  # a feed entry's ad, encoded by _encode_ad
    "depth": (int,),
    "retry_times": (int,),
    "redirect_times": (int,),
    "redirect_ttl": (int,),
    "redirect_urls": (list,),
    "redirect_reasons": (list,),
    "download_slot": (str,),
    "dont_redirect": (bool,),
    "dont_retry": (bool,),
}
CB_KWARGS = ("entry",)


class ForeignEntry(ValueError):
    """A frontier entry that is not a request of ours: malformed, foreign or hostile."""


# ------------------------------------------------------------------ ads in meta


def _encode_ad(ad: Any) -> dict[str, Any]:
    fields = {name: ad.get(name) for name in (*STRING_FIELDS, *DATE_FIELDS, "contacts", EXTRA)}
    for name in DATE_FIELDS:
        if isinstance(fields[name], datetime):
            fields[name] = {"$datetime": fields[name].isoformat()}
    return fields


def _decode_ad(data: dict[str, Any]) -> Any:
    known = {*STRING_FIELDS, *DATE_FIELDS, "contacts", EXTRA}
    if not set(data) <= known:
        raise ForeignEntry(f"unknown ad fields {sorted(set(data) - known)[:3]}")
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name in STRING_FIELDS:
            _check(isinstance(value, str), f"ad field {name} is not text")
        elif name in DATE_FIELDS:
            if isinstance(value, dict):
                _check(set(value) == {"$datetime"} and isinstance(value["$datetime"], str), f"bad {name}")
                try:
                    value = datetime.fromisoformat(value["$datetime"])
                except ValueError:
                    raise ForeignEntry(f"bad {name}") from None
            else:
                _check(value is None or isinstance(value, str), f"bad {name}")
        elif name == "contacts":
            _check(
                isinstance(value, dict)
                and all(
                    isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
                    for k, v in value.items()
                ),  # fmt: skip
                "bad contacts",
            )
        else:
            _check(isinstance(value, dict), "bad extra")
        values[name] = value
    return new_ad(**values)


# ------------------------------------------------------------------ the serializer


def _check(ok: bool, why: str) -> None:
    if not ok:
        raise ForeignEntry(why)


def _encode_meta(meta: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in meta.items():
        if key not in META_TYPES:
            continue  # Scrapy's bookkeeping of one download (latency, proxy flags): not ours to keep
        out[key] = _encode_ad(value) if key == "entry" else value
    return out


def dumps(obj: dict[str, Any]) -> bytes:
    """``Request.to_dict()`` as JSON: only the parts a request of ours carries."""
    headers = {
        (k.decode("latin-1") if isinstance(k, bytes) else str(k)): [
            v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values
        ]
        for k, values in (obj.get("headers") or {}).items()
    }
    body = obj.get("body") or b""
    entry = {
        "v": VERSION,
        "url": obj["url"],
        "method": obj.get("method", "GET"),
        "headers": headers,
        "body": body.decode("latin-1") if isinstance(body, bytes) else str(body),
        "callback": obj.get("callback"),
        "errback": obj.get("errback"),
        "meta": _encode_meta(obj.get("meta") or {}),
        "cb_kwargs": {k: _encode_ad(v) for k, v in (obj.get("cb_kwargs") or {}).items() if k in CB_KWARGS},
        "priority": int(obj.get("priority") or 0),
        "dont_filter": bool(obj.get("dont_filter")),
        "encoding": obj.get("encoding") or "utf-8",
    }
    return json.dumps(entry, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def loads(data: bytes | str) -> dict[str, Any]:
    """The dict ``request_from_dict`` builds a Request from; ForeignEntry for anything that is not
    an entry ``dumps`` could have written."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    _check(isinstance(data, bytes) and 0 < len(data) <= MAX_ENTRY_BYTES, "empty or oversized entry")
    if not data.lstrip().startswith(b"{"):
        raise ForeignEntry("not a JSON object (a pickle, or another program's data)")
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        raise ForeignEntry("not JSON") from None
    _check(isinstance(obj, dict) and obj.get("v") == VERSION, "not a lurewatch frontier entry")
    expected = {"v", "url", "method", "headers", "body", "callback", "errback", "meta", "cb_kwargs", "priority",
                "dont_filter", "encoding"}  # fmt: skip
    _check(set(obj) == expected, "unexpected keys")
    url = obj["url"]
    _check(isinstance(url, str) and 0 < len(url) <= MAX_URL_CHARS, "bad url")
    _check(url.lower().startswith(("http://", "https://", "file://")), "bad url scheme")
    _check(obj["method"] in METHODS, "bad method")
    headers = obj["headers"]
    _check(
        isinstance(headers, dict)
        and all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
            for k, v in headers.items()
        ),  # fmt: skip
        "bad headers",
    )
    _check(isinstance(obj["body"], str), "bad body")
    _check(obj["callback"] is None or obj["callback"] in CALLBACKS, "unknown callback")
    _check(obj["errback"] is None or obj["errback"] in ERRBACKS, "unknown errback")
    _check(isinstance(obj["priority"], int) and not isinstance(obj["priority"], bool), "bad priority")
    _check(isinstance(obj["dont_filter"], bool), "bad dont_filter")
    _check(obj["encoding"] in ("utf-8", "utf8", "ascii", "latin-1"), "bad encoding")
    meta = obj["meta"]
    _check(isinstance(meta, dict), "bad meta")
    decoded_meta: dict[str, Any] = {}
    for key, value in meta.items():
        types = META_TYPES.get(key)
        _check(types is not None, f"unknown meta key {str(key)[:40]!r}")
        _check(isinstance(value, types) and not (bool not in types and isinstance(value, bool)), f"bad meta {key}")
        if isinstance(value, list):
            _check(all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value), f"bad meta {key}")
        decoded_meta[key] = _decode_ad(value) if key == "entry" else value
    cb_kwargs = obj["cb_kwargs"]
    _check(isinstance(cb_kwargs, dict) and set(cb_kwargs) <= set(CB_KWARGS), "bad callback arguments")
    return {
        "url": url,
        "method": obj["method"],
        "headers": headers,
        "body": obj["body"].encode("latin-1"),
        "callback": obj["callback"],
        "errback": obj["errback"],
        "meta": decoded_meta,
        "cb_kwargs": {k: _decode_ad(v) for k, v in cb_kwargs.items()},
        "priority": obj["priority"],
        "dont_filter": obj["dont_filter"],
        "encoding": obj["encoding"],
    }


class FrontierQueue(LifoQueue):
    """scrapy-redis's LIFO queue, with a foreign entry dropped and counted instead of run or fatal."""

    def pop(self, timeout: int = 0) -> Any:
        while True:
            data = self.server.lpop(self.key)
            if not data:
                return None
            try:
                return self._decode_request(data)
            except Exception as exc:  # ForeignEntry, or a Request that cannot be built: never fatal
                self._count_foreign(exc)

    def _count_foreign(self, exc: Exception) -> None:
        crawler = getattr(self.spider, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value("lurewatch/frontier/foreign_entries")
            # What it displaced may have been a page of ours: unseen ads must not count as removed.
            crawler.stats.inc_value("lurewatch/incomplete/foreign_frontier_entry")
        log.warning("dropped a foreign entry of the shared frontier %s: %s", self.key, str(exc)[:200])
