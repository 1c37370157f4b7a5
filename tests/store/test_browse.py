"""The queue a page at a time: campaigns collapsed across pages, filters, orders, facets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.browse import Browse, facets, item_rows, queue_page, status_counts
from store.campaigns import link_ads
from store.db import open_database
from store.details import campaign_members, claims, neighbours
from store.errors import ReviewError
from store.queue import claim, decide
from tests.store.queue_fixtures import T0, later, make_ad, score


@pytest.fixture
def factory(db_url):
    engine, factory = open_database(db_url)
    yield factory
    engine.dispose()


def _all_pages(s, browse, size, bands=()):
    rows, after = [], None
    while True:
        page = queue_page(s, browse, size, after)
        rows += [(r.review_id, r.campaign_id, n) for r, n in page.rows]
        if page.cursor is None:
            return rows
        after = page.cursor


def test_a_campaign_has_one_row_whatever_page_its_items_fall_on(factory):
    with factory.begin() as s:
        ids = []
        for n in range(30):
            # ads 0, 3, 6, ... share one handle: one campaign of ten spread through the queue
            contacts = {"telegram": ["@one_recruiter"]} if n % 3 == 0 else {"email": [f"hr{n}@x{n}.example"]}
            ids.append(make_ad(s, n, contacts=contacts, description=f"vacancy {n} " * (n + 3)))
            score(s, ids[-1], 0.99 - n / 100)
        link_ads(s, ids, T0)
    with factory() as s:
        for size in (1, 4, 7, 50):
            rows = _all_pages(s, Browse(), size)
            assert len(rows) == 21 and len({r[0] for r in rows}) == 21, size
            campaign_rows = [r for r in rows if r[1] is not None]
            assert len(campaign_rows) == 1 and campaign_rows[0][0] == 1 and campaign_rows[0][2] == 10


def test_filters_orders_and_facets(factory):
    with factory.begin() as s:
        for n, (src, cc, value, band) in enumerate(
            [("a", "KH", 0.9, None), ("b", "MM", 0.8, "medium"), ("a", "MM", 0.7, "medium"), ("b", "KH", 0.55, "low")]
        ):
            score(s, make_ad(s, n, now=T0 + timedelta(days=n), source=src, country=cc), value, band=band)
        claim(s, "ann", 1, T0)
    with factory() as s:
        f = facets(s)
        assert f.bands == ["critical", "medium", "low"] and f.sources == ["a", "b"] and f.countries == ["KH", "MM"]

        def ids(**kw):
            return [r[0] for r in _all_pages(s, Browse(**kw), 2, f.bands)]

        assert ids() == [2, 3, 4]
        assert ids(statuses=None) == [1, 2, 3, 4] and ids(statuses=("in_review",)) == [1]
        assert ids(source="a") == [3] and ids(country="kh") == [4]
        assert ids(bands=("low",)) == [4] and ids(statuses=None, bands=("critical", "medium")) == [1, 2, 3]
        assert ids(since=T0 + timedelta(days=2)) == [3, 4] and ids(until=T0 + timedelta(days=2)) == [2]
        assert ids(sort="newest") == [4, 3, 2] and ids(sort="oldest") == [2, 3, 4]
        assert ids(statuses=None, sort="band") == [1, 2, 3, 4]
        assert status_counts(s) == {"in_review": 1, "pending": 3}
        with pytest.raises(ReviewError, match="unknown status"):
            queue_page(s, Browse(statuses=("nope",)), 5)
        with pytest.raises(ReviewError, match="unknown order"):
            queue_page(s, Browse(sort="nope"), 5)


def test_item_rows_neighbours_claims_and_members(factory):
    with factory.begin() as s:
        ids = [make_ad(s, n, contacts={"phone": ["+855 12 345 678"]}) for n in range(3)]
        for n, ad in enumerate(ids):
            score(s, ad, 0.9 - n / 10)
        score(s, ids[0], 0.5, version="v2", now=later(5))  # a newer model scored it lower
        link_ads(s, ids, T0)
        claim(s, "bob", 1, T0)
        decide(s, 3, "scam", "bob", T0)
    with factory() as s:
        row = item_rows(s, [1])[0]
        assert (row.score, row.model_version, row.campaign_size, row.campaign_scam) == (0.5, "v2", 3, True)
        assert neighbours(s, item_rows(s, [2])[0]) == (None, 1)  # item 1 fell to 0.5: after 2
        assert [(r.review_id, r.assignee) for r in claims(s, T0)] == [(2, "bob")] and claims(s, later(31)) == []
        members = campaign_members(s, row.campaign_id)
        assert [m.ad_id for m in members] == ids and members[2].status == "scam"
        assert all("shares phone" in m.reason for m in members[1:])


def test_critical_comes_first_whatever_its_score(factory):
    """Critical can be earned by a very severe signal below the critical score: the band
    order and the facets rank it above high all the same."""
    with factory.begin() as s:
        for n, value in enumerate([0.85, 0.7, 0.2]):
            score(s, make_ad(s, n, now=T0 + timedelta(days=n)), value, band="critical" if value == 0.7 else None)
    with factory() as s:
        f = facets(s)
        assert f.bands == ["critical", "high", "low"]
        rows = _all_pages(s, Browse(statuses=None), 1)
        assert [r[0] for r in rows][:2] == [2, 1]
        assert [r[0] for r in _all_pages(s, Browse(statuses=None, bands=("critical",)), 5, f.bands)] == [2]
