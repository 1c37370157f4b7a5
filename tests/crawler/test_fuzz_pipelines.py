"""Fuzzing the item pipelines: whatever a page puts in an ad, each pipeline passes it or drops it
(DropItem, counted), and whatever passes is stored, on SQLite and PostgreSQL alike.

The ads are what spiders yield: strings (with controls, lone surrogates, markup and
entities), contacts as lists of strings, ``extra`` as any JSON (NaN included, as
json.loads reads it), dates as text or None.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy.exceptions import DropItem
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select

from crawler.items import new_ad
from crawler.pipelines.contacts import ContactsPipeline
from crawler.pipelines.hashing import ContentHashPipeline
from crawler.pipelines.language import LanguagePipeline
from crawler.pipelines.normalise import NormalisePipeline
from crawler.pipelines.store import StorePipeline
from crawler.pipelines.validate import ValidatePipeline
from store.db import open_database
from store.schema import Ad

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)
# Every code point but surrogates (Hypothesis leaves those out), controls included; lone
# surrogates (JSON-LD's "\ud800" makes one), markup and entities are mixed in as fragments.
ANY_CHAR = st.characters(codec=None)
FRAGMENTS = st.sampled_from(
    ["<p>", "</p>", "<script>x()</script>", "&lt;script&gt;", "&amp;", "&#0;", "&#xD800;", "\x00", "\r\n", "캄보디아"]
    + ["\ud800", "\udfff", "\x85", "\u2028"]
)
TEXT = st.lists(st.one_of(st.text(ANY_CHAR, max_size=30), FRAGMENTS), max_size=6).map("".join)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)
ADS = st.builds(
    lambda values: new_ad(source="fuzz", **values),
    st.fixed_dictionaries(
        {
            "external_id": st.one_of(TEXT, st.text("0123456789", min_size=1, max_size=3)),
            "url": st.one_of(TEXT, st.just("http://jobs.example/a/1"), st.just("http://[::1/x")),
            "title": TEXT,
            "company": TEXT,
            "location": TEXT,
            "country": TEXT,
            "salary": TEXT,
            # Most ads carry enough words to pass validation, so the store sees most of them.
            "description": st.one_of(TEXT, TEXT.map(lambda t: f"Warehouse work in Busan, {t} apply by email")),
            "posted_at": st.one_of(st.none(), TEXT),
            "contacts": st.dictionaries(st.sampled_from(["url", "telegram", "email"]), st.lists(TEXT, max_size=3)),
            "extra": st.dictionaries(TEXT, JSON, max_size=4),
        }
    ),
)


def _chain(stats):
    return [
        NormalisePipeline(stats, clock=lambda: NOW),
        ContactsPipeline(stats),
        LanguagePipeline(stats),
        ValidatePipeline(stats),
        ContentHashPipeline(stats),
    ]


def _fuzz(database_url: str, examples: int) -> None:
    engine, factory = open_database(database_url)
    stats = MemoryStatsCollector(get_crawler())
    passed = 0

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(ADS)
    def run(item):
        nonlocal passed
        store = StorePipeline(stats, factory=factory, clock=lambda: NOW, batch_size=1)
        try:
            for pipe in _chain(stats):
                item = pipe.process_item(item)
        except DropItem:
            return
        passed += 1
        store.process_item(item)  # batch of one: stored now, or dropped and counted
        assert not any(isinstance(v, float) and not math.isfinite(v) for v in item["extra"].values())

    try:
        run()
        with factory() as session:
            stored = session.scalar(select(func.count()).select_from(Ad))
        # Whatever passed validation could be stored: the normaliser left nothing a database refuses.
        assert stats.get_value("lurewatch/dropped/store_refused") is None
        new, updated, unchanged = (stats.get_value(f"lurewatch/ads/{k}", 0) for k in ("new", "updated", "unchanged"))
        assert new + updated + unchanged == passed and stored == new
        assert passed > examples // 3  # the store was really exercised
    finally:
        engine.dispose()


def test_fuzz_the_item_pipelines_on_sqlite(tmp_path):
    _fuzz(f"sqlite:///{tmp_path / 'fuzz.db'}", examples=300)


@pytest.mark.postgres
def test_fuzz_the_item_pipelines_on_postgresql(fresh_postgres_url):
    _fuzz(fresh_postgres_url, examples=150)
