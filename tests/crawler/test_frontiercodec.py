"""The shared frontier's JSON serializer: our requests round-trip, nothing else loads."""

from __future__ import annotations

import os
import pickle
from datetime import datetime, timezone

import pytest
from scrapy import Request
from scrapy.utils.request import request_from_dict

from config import SourceConfig
from crawler.frontiercodec import ForeignEntry, dumps, loads
from crawler.items import new_ad
from crawler.spiders.feed import FeedSpider


class Planted:
    """What probe 1 pushed: unpickling it calls os.makedirs(path)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.makedirs, (self.path,))


@pytest.fixture
def spider():
    return FeedSpider(SourceConfig(name="f", kind="feed", start_urls=("https://jobs.example/rss",)))


def test_our_requests_round_trip_callbacks_meta_and_feed_entries(spider):
    entry = new_ad(source="f", url="https://jobs.example/1", external_id="g1", title="Cook",
                   fetched_at=datetime(2026, 11, 20, 3, tzinfo=timezone.utc), contacts={"url": ["https://a.example"]})  # fmt: skip
    request = Request(
        "https://jobs.example/1?a=1",
        callback=spider.parse_detail,
        errback=spider.detail_failed,
        meta={"entry": entry, "listing": False, "scope": "https://jobs.example/", "depth": 2, "download_latency": 0.3},
        cb_kwargs={"entry": entry},
        headers={"Referer": "https://jobs.example/rss"},
        priority=-1,
    )
    data = dumps(request.to_dict(spider=spider))
    assert data.startswith(b"{") and b"download_latency" not in data  # Scrapy's bookkeeping is not kept
    back = request_from_dict(loads(data), spider=spider)
    assert back.url == request.url and back.callback == spider.parse_detail and back.errback == spider.detail_failed
    assert back.meta["entry"]["title"] == "Cook" and back.meta["entry"]["fetched_at"] == entry["fetched_at"]
    assert back.cb_kwargs["entry"]["contacts"] == {"url": ["https://a.example"]}
    assert back.meta["depth"] == 2 and back.priority == -1 and back.headers["Referer"] == b"https://jobs.example/rss"


def test_a_pickle_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(ForeignEntry, match="not a JSON object"):
        loads(pickle.dumps(Planted(str(marker))))
    assert not marker.exists()


@pytest.mark.parametrize(
    "entry, why",
    [
        (b'{"v": 1}', "unexpected keys"),
        (b"[1, 2]", "not a JSON object"),
        (b"{" * 70_000, "oversized"),
        (b"{" * 50_000, "not JSON"),
        (b'{"url": "https://x.example/"}', "not a lurewatch frontier entry"),
        ("callback", "unknown callback"),
        ("meta", "unknown meta key"),
        ("class", "unexpected keys"),
        ("scheme", "bad url scheme"),
    ],
)
def test_foreign_entries_are_refused(spider, entry, why):
    if isinstance(entry, str):
        import json

        good = json.loads(dumps(Request("https://jobs.example/", callback=spider.parse).to_dict(spider=spider)))
        if entry == "callback":
            good["callback"] = "close"  # any attribute of the spider would have been called
        elif entry == "meta":
            good["meta"] = {"_planted": "x"}
        elif entry == "class":
            good["_class"] = "os.system"
        else:
            good["url"] = "gopher://127.0.0.1/1"
        entry = json.dumps(good).encode()
    with pytest.raises(ForeignEntry, match=why):
        loads(entry)
