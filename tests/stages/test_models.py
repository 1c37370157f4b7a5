"""The database side of retraining, on SQLite and PostgreSQL: decided rows, rescoring after
a promotion (entered / left, decisions untouched), and `review list --uncertain`."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from sqlalchemy import select

import pipeline
from classifier import registry
from classifier.datasets import decision_frame
from classifier.scoring import score_frame
from config import load_config
from stages.common import database
from stages.models import Promotion, format_promotion, rescore_queue
from store.listing import QueueFilter, list_items
from store.queue import decide
from store.schema import ReviewEvent, ReviewItem
from store.training import decided_rows
from tests.store.queue_fixtures import T0, make_ad, score

LURE = "캄보디아 고수익 알바 월 1000만원 숙식 제공 텔레그램 @abc 문의. 감금 절대 없음"
PLAIN = "Software engineer at a Seoul company, 5 years of experience, apply via our website"


@pytest.fixture
def cfg(write_config, db_url, tiny_models_dir):
    return lambda **scoring: load_config(
        write_config(
            {
                "database": {"url": db_url},
                "models": {"dir": str(tiny_models_dir)},
                "scoring": scoring,
                "logging": {"dir": "logs"},
            }
        )
    )


def test_decided_rows_carry_label_campaign_and_source(cfg):
    config = cfg()
    with database(config) as factory:
        with factory.begin() as s:
            ads = [
                make_ad(s, i, contacts={"telegram": ["@same"]} if i < 2 else {"email": [f"e{i}@x.org"]})
                for i in range(4)
            ]
            for a in ads:
                score(s, a, 0.9)
            items = {i.ad_id: i.id for i in s.scalars(select(ReviewItem))}
            for ad, word in zip(ads, ("scam", "legit", "needs_info", "skipped")):
                decide(s, items[ad], word, "kim", T0, note="checked")
        with factory() as s:
            rows = decided_rows(s)
    assert [(r["ad_id"], r["decision"]) for r in rows] == [(ads[0], "scam"), (ads[1], "legit")]
    assert rows[0]["campaign_id"] is not None and rows[0]["campaign_id"] == rows[1]["campaign_id"]
    assert rows[0]["source"] == "demo-board" and rows[0]["title"] == "Job 0"
    frame = decision_frame(rows)
    assert frame["label"].tolist() == [1, 0]
    assert frame["group"].nunique() == 1  # one campaign: one group, never split


def test_rescore_after_promotion_moves_ads_in_and_out_keeping_decisions(cfg, tiny_models_dir, caplog):
    pipe, _ = registry.load_model(tiny_models_dir)
    lure_s, plain_s = score_frame(pipe, pd.DataFrame({"description": [LURE, PLAIN]}), 0.5)["score"]
    assert lure_s > plain_s
    config = cfg(threshold=round((lure_s + plain_s) / 2, 4))
    with database(config) as factory:
        with factory.begin() as s:
            plain = make_ad(s, 1, description=PLAIN, title="", company="", salary="", location="")
            lure = make_ad(s, 2, description=LURE, title="", company="", salary="", location="")
            decided = make_ad(s, 3, description=PLAIN + " decided", title="", company="", salary="", location="")
            score(s, plain, 0.95)  # the old model flagged the plain ad ...
            score(s, lure, 0.1)  # ... and missed the lure
            score(s, decided, 0.97)
            item = s.scalars(select(ReviewItem).where(ReviewItem.ad_id == decided)).one()
            decide(s, item.id, "scam", "kim", T0, note="seen before")
        with caplog.at_level(logging.INFO, logger="stages.score"):
            counts = rescore_queue(config, factory, progress=False)
        assert (counts.entered, counts.left, counts.scored) == (1, 1, 2)
        # No terminal, no bar: the log shows the progress, batch by batch.
        assert any(r.getMessage().startswith("scoring: 2 ad(s) so far") for r in caplog.records)
        # What it says is what happened: the ad that left is still pending.
        said = format_promotion(Promotion("v2", counts))
        assert "1 no longer flagged (kept pending, below every flagged item)" in said
        with factory() as s:
            items = {i.ad_id: i for i in s.scalars(select(ReviewItem))}
            assert items[lure].status == "pending"  # entered
            assert items[plain].status == "pending" and items[plain].priority < config.scoring.threshold
            assert items[decided].status == "scam" and items[decided].decided_by == "kim"
            notes = [e.note for e in s.scalars(select(ReviewEvent).where(ReviewEvent.item_id == items[plain].id))]
            assert any("no longer flags it" in (n or "") for n in notes)
            # the flagged lure now ranks above the plain ad that left
            order = [r.ad_id for r in list_items(s, QueueFilter())]
            assert order.index(lure) < order.index(plain)


def test_pinned_scoring_model_is_not_rescored(cfg, tiny_models_dir):
    version = registry.current_version(tiny_models_dir)
    config = cfg(model=version)
    with database(config) as factory:
        counts = rescore_queue(config, factory, progress=False)
    assert counts.skipped_reason and version in counts.skipped_reason


def test_uncertain_lists_closest_to_threshold_one_per_campaign_first(cfg, capsys):
    config = cfg(threshold=0.5)
    with database(config) as factory, factory.begin() as s:
        same = {"telegram": ["@one_recruiter"]}
        a1 = make_ad(s, 1, contacts=same, title="camp-a close")
        a2 = make_ad(s, 2, contacts=same, title="camp-a closer")
        b = make_ad(s, 3, title="solo far")
        c = make_ad(s, 4, title="solo mid")
        for ad, value in ((a1, 0.52), (a2, 0.51), (b, 0.95), (c, 0.7)):
            score(s, ad, value)
    assert pipeline.main(["review", "list", "--uncertain", "3", "--config", str(config.path)]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    titles = [line.split()[-1] if "solo" not in line else " ".join(line.split()[-2:]) for line in lines]
    assert len(lines) == 3
    assert "camp-a closer" in lines[0] and "solo mid" in lines[1] and "solo far" in lines[2], titles
    assert pipeline.main(["review", "list", "--uncertain", "0", "--config", str(config.path)]) == 2  # usage error
