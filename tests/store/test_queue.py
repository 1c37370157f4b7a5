"""Scores into the queue, claims with leases, decisions and the audit log, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from store.errors import (
    DecisionConflictError,
    LeaseHeldError,
    NoteRequiredError,
    NotFoundError,
    ReviewError,
    UnknownDecisionError,
)
from store.listing import QueueFilter, list_items
from store.queue import claim, decide, item_events, release
from store.schema import ReviewEvent, ReviewItem, Score
from store.scores import ads_to_score, record_scores
from tests.store.queue_fixtures import T0, later, make_ad, score


def test_flagged_ads_are_queued_once_and_rescoring_updates_priority(factory):
    with factory.begin() as s:
        a, b = make_ad(s, 1), make_ad(s, 2)
        counts = record_scores(
            s,
            "v1",
            [
                {"ad_id": a, "score": 0.8, "band": "high", "flagged": True, "reasons": []},
                {"ad_id": b, "score": 0.1, "band": "low", "flagged": False, "reasons": []},
            ],
            T0,
        )
        assert (counts.scored, counts.queued) == (2, 1)
    with factory.begin() as s:
        counts = score(s, a, 0.95, now=later(5))
        assert (counts.queued, counts.reprioritised) == (0, 1)
        items = s.scalars(select(ReviewItem)).all()
        assert [(i.ad_id, i.priority, i.status) for i in items] == [(a, 0.95, "pending")]
        assert s.scalar(select(Score.score).where(Score.ad_id == a)) == 0.95  # upserted, one row
        events = s.scalars(select(ReviewEvent)).all()
        assert [(e.old_status, e.new_status, e.model_version) for e in events] == [(None, "pending", "v1")]


def test_rescoring_with_another_model_keeps_every_decision(factory):
    with factory.begin() as s:
        ids = [make_ad(s, n) for n in range(6)]
        for ad_id in ids:
            score(s, ad_id, 0.7)
    decisions = ["scam", "legit", "needs_info", "skipped"]
    with factory.begin() as s:
        items = s.scalars(select(ReviewItem).order_by(ReviewItem.id)).all()
        for item, word in zip(items, decisions):
            decide(s, item.id, word, "kim", later(1))
    with factory.begin() as s:
        batches = list(ads_to_score(s, "v2", rescore=True, batch_size=1))
        undecided = [ad["ad_id"] for batch in batches for ad in batch]
        assert undecided == ids[4:] and all(len(b) == 1 for b in batches)
        assert "description" in batches[0][0] and "contacts" in batches[0][0]
        rows = [{"ad_id": i, "score": 0.2, "band": "low", "flagged": False, "reasons": []} for i in ids]
        counts = record_scores(s, "v2", rows, later(10))
        assert counts.kept_decided == 4 and counts.queued == 0
    with factory.begin() as s:
        statuses = s.scalars(select(ReviewItem.status).order_by(ReviewItem.id)).all()
        assert statuses == decisions + ["pending", "pending"]
        assert len(s.scalars(select(Score)).all()) == 12  # history kept per model version
        assert list(ads_to_score(s, "v2")) == []
        assert [a["ad_id"] for b in ads_to_score(s, "v3") for a in b] == ids


def test_claim_release_decide_with_audit(factory):
    with factory.begin() as s:
        ids = [make_ad(s, n) for n in range(3)]
        for ad_id, value in zip(ids, (0.6, 0.9, 0.7)):
            score(s, ad_id, value)
    with factory.begin() as s:
        first = claim(s, "kim", 2, later(1))
        items = {i.ad_id: i.id for i in s.scalars(select(ReviewItem))}
        assert first == sorted([items[ids[1]], items[ids[2]]])  # highest scores first
    with factory.begin() as s:
        assert claim(s, "lee", 5, later(2)) == [items[ids[0]]]
        with pytest.raises(LeaseHeldError, match="claimed by kim"):
            decide(s, items[ids[1]], "scam", "lee", later(2))
        with pytest.raises(LeaseHeldError):
            release(s, items[ids[1]], "lee", later(2))
        release(s, items[ids[2]], "kim", later(3))
        decide(s, items[ids[1]], "SCAM", "kim", later(4), note="telegram only, passport held")
    with factory.begin() as s:
        item = s.get(ReviewItem, items[ids[1]])
        assert (item.status, item.decided_by, item.assignee) == ("scam", "kim", None)
        trail = [(e.actor, e.old_status, e.new_status) for e in item_events(s, item.id)]
        assert trail == [("lurewatch", None, "pending"), ("kim", "pending", "in_review"), ("kim", "in_review", "scam")]
        assert [r.review_id for r in list_items(s, QueueFilter(statuses=("pending",)))] == [items[ids[2]]]


def test_expired_leases_return_to_the_pool(factory):
    with factory.begin() as s:
        score(s, make_ad(s, 1), 0.8)
    with factory.begin() as s:
        [item_id] = claim(s, "kim", 1, later(0))
    with factory.begin() as s:
        assert claim(s, "lee", 1, later(10)) == []
        assert claim(s, "lee", 1, later(31)) == [item_id]
        trail = [(e.actor, e.new_status, e.note) for e in item_events(s, item_id)][1:]
        assert trail[1] == ("lurewatch", "pending", "lease expired") and trail[2][:2] == ("lee", "in_review")


def test_decision_rules(factory):
    with factory.begin() as s:
        risky, mild = make_ad(s, 1), make_ad(s, 2)
        score(s, risky, 0.93)
        score(s, mild, 0.6)
        ids = {i.ad_id: i.id for i in s.scalars(select(ReviewItem))}
    with factory.begin() as s:
        with pytest.raises(UnknownDecisionError, match=r"unknown decision 'scma' \(expected scam, legit"):
            decide(s, ids[risky], "scma", "kim", later(1))
        with pytest.raises(NoteRequiredError, match="scored 0.93"):
            decide(s, ids[risky], "Legit", "kim", later(1))
        decide(s, ids[risky], "legit", "kim", later(1), note="real hotel chain, verified by phone")
        decide(s, ids[mild], " Needs_Info ", "kim", later(1))
    with factory.begin() as s:
        with pytest.raises(DecisionConflictError, match="already decided legit by kim"):
            decide(s, ids[risky], "scam", "lee", later(2))
        decide(s, ids[risky], "legit", "lee", later(2))  # agreeing is not a conflict
        decide(s, ids[mild], "scam", "lee", later(2))  # needs_info invites a colleague
        decide(s, ids[mild], "legit", "lee", later(3))  # lee may change his own mind
        decide(s, ids[mild], "scam", "lee", later(4))
        with pytest.raises(NotFoundError):
            decide(s, 999, "scam", "kim", later(2))
    with factory.begin() as s:
        assert s.get(ReviewItem, ids[mild]).status == "scam"
        assert s.get(ReviewItem, ids[risky]).note == "real hotel chain, verified by phone"


def test_list_filters(factory):
    with factory.begin() as s:
        a = make_ad(s, 1, source="tg", country="KH")
        b = make_ad(s, 2, source="board", country="MM", now=later(60 * 24))
        score(s, a, 0.6)
        score(s, b, 0.95)
    with factory.begin() as s:

        def ads(**kw):
            return [r.ad_id for r in list_items(s, QueueFilter(**kw))]

        assert ads() == [b, a]
        assert ads(min_score=0.9) == [b]
        assert ads(source="tg") == [a]
        assert ads(country="mm") == [b]
        assert ads(since=later(60)) == [b]
        assert ads(statuses=("scam",)) == []
        row = list_items(s)[0]
        assert row.score == 0.95 and row.band == "critical" and row.reasons[0]["signal"] == "safety denial"
        assert ads(bands=("high",)) == [a] and ads(bands=("critical", "high")) == [b, a]
        with pytest.raises(ReviewError, match="unknown band 'red'"):
            ads(bands=("red",))


def test_list_is_sorted_by_band_then_score(factory):
    """A critical ad (a very severe signal fired) comes before a high one that scores more."""
    with factory.begin() as s:
        ids = [make_ad(s, n) for n in range(4)]
        for ad, value in zip(ids, (0.8, 0.6, 0.97, 0.7)):
            score(s, ad, value, band="critical" if ad == ids[1] else None)
    with factory() as s:
        assert [(r.band, r.score) for r in list_items(s)] == [
            ("critical", 0.97),
            ("critical", 0.6),
            ("high", 0.8),
            ("high", 0.7),
        ]


def test_bad_score_rows_are_refused(factory):
    from store.errors import StoreError

    with factory.begin() as s:
        ad = make_ad(s, 1)
        with pytest.raises(NotFoundError, match="unknown ad id"):
            record_scores(s, "v1", [{"ad_id": 999, "score": 0.5, "band": "high", "flagged": True}], T0)
        with pytest.raises(StoreError, match="outside 0..1"):
            record_scores(s, "v1", [{"ad_id": ad, "score": 1.5, "band": "high", "flagged": True}], T0)
        with pytest.raises(StoreError, match="unknown band"):
            record_scores(s, "v1", [{"ad_id": ad, "score": 0.5, "band": "red", "flagged": True}], T0)


def test_the_analysis_country_fills_an_empty_country_and_never_overwrites_one(factory):
    from store.schema import Ad

    with factory.begin() as s:
        blank, stated = make_ad(s, 1, country=""), make_ad(s, 2, country="TH")
        record_scores(
            s,
            "v1",
            [
                {"ad_id": blank, "score": 0.8, "band": "high", "flagged": True, "country": "KH"},
                {"ad_id": stated, "score": 0.8, "band": "high", "flagged": True, "country": "KH"},
            ],
            T0,
        )
    with factory.begin() as s:
        got = dict(s.execute(select(Ad.id, Ad.country).where(Ad.id.in_([blank, stated]))).all())
        assert got == {blank: "KH", stated: "TH"}
        # the content hash (which covers country) is the crawled one: the ad is not rescored
        assert [a["ad_id"] for b in ads_to_score(s, "v1") for a in b] == []
