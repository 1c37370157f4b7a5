"""Scoring one batch ahead in a helper process (stages.ahead) records exactly what one
process records: the same scores, reasons, analysis, queue and campaigns."""

from __future__ import annotations

import csv
import logging
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

import stages.ahead as ahead
from classifier import registry
from config import load_config
from stages.analysed import score_rows
from stages.common import database
from stages.score import score_ads
from store.ads import upsert_ad
from store.scores import ads_to_score

T0 = datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)
SEED = Path(__file__).resolve().parents[2] / "data" / "seed" / "seed_ads.csv"
# Everything a view reads back of a run: scores, the queue, the campaigns.
TABLES = {
    "scores": "select ad_id, score, band, flagged, reasons, analysis, content_hash from scores order by ad_id",
    "queue": "select ad_id, status, priority from review_items order by ad_id",
    "members": "select ad_id, campaign_id from campaign_members order by ad_id",
}


def _seed_rows(n: int) -> list[dict]:
    """n seed ads, lures and ordinary ones interleaved, and copies of a few lures with a
    changed title (near-duplicates, so campaigns form across batches)."""
    with SEED.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    lures = [r for r in rows if r["label"] == "1"][: n // 2]
    legit = [r for r in rows if r["label"] == "0"][: n // 2]
    out = [r for pair in zip(lures, legit) for r in pair]
    out += [{**r, "id": r["id"] + "-copy", "title": r["title"] + " (재공고)"} for r in lures[:4]]
    return out


def _store(factory, rows: list[dict]) -> None:
    with factory.begin() as s:
        for r in rows:
            upsert_ad(
                s,
                {
                    "source": "seed",
                    "external_id": r["id"],
                    **{k: r[k] for k in ("title", "description", "company", "location", "salary", "language")},
                },
                T0,
            )


def _run(write_config, name: str, on: bool, rows: list[dict]) -> dict[str, list]:
    cfg = load_config(
        write_config(
            {
                "database": {"url": f"sqlite:///{name}.db"},
                "scoring": {"batch_size": 4, "ahead": on},
                "logging": {"dir": "logs"},
            },
            name=f"{name}.yaml",
        )
    )
    with database(cfg) as factory:
        _store(factory, rows)
        counts = score_ads(cfg, factory, clock=lambda: T0).counts
        with factory() as s:
            return {"counts": counts, **{k: s.execute(text(q)).all() for k, q in TABLES.items()}}


@pytest.fixture
def helper_on_small_runs(monkeypatch):
    """The helper starts whatever the run's size and the CPU count, and this process waits
    for its model instead of scoring a small run alone meanwhile."""
    monkeypatch.setattr(ahead, "AHEAD_MIN_ADS", 0)
    monkeypatch.setattr(ahead, "cores", lambda: 2)
    monkeypatch.setattr(ahead, "_loaded", lambda ready: ready.exception() is None or True)


def test_scoring_ahead_records_what_one_process_records(write_config, helper_on_small_runs, caplog):
    rows = _seed_rows(24)
    with caplog.at_level(logging.INFO, logger="stages.ahead"):
        on = _run(write_config, "on", True, rows)
    used = [r for r in caplog.records if "the helper process scored" in r.getMessage()]
    assert used and used[0].args[0] > 0, "the helper scored no batch: the test compares nothing"
    off = _run(write_config, "off", False, rows)
    assert len(off["scores"]) == len(rows) and off["queue"] and off["members"]
    assert on == off


def test_a_helper_that_cannot_start_costs_no_batch(tmp_path, helper_on_small_runs, caplog, write_config):
    """The helper's model is missing (its folder is empty): this process scores every
    batch itself, in order, with a warning."""
    cfg = load_config(write_config({"database": {"url": "sqlite:///t.db"}, "logging": {"dir": "logs"}}))
    pipeline, card = registry.load_model(cfg.models.dir, "current")
    with database(cfg) as factory:
        _store(factory, _seed_rows(10))
        with factory() as s:
            batches = list(ads_to_score(s, card["version"], batch_size=3))
    expected = [score_rows(pipeline, b, 0.5) for b in batches]
    empty = tmp_path / "no-models"
    empty.mkdir()
    with caplog.at_level(logging.WARNING, logger="stages.ahead"):
        got = list(ahead.scored_batches(pipeline, iter(batches), 0.5, None, models_dir=empty, version=card["version"]))
    assert [b for b, _ in got] == batches
    assert [r for _, r in got] == expected
    # The helper's reason reaches the log (not only a traceback on its stderr).
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "ModelError" in warning and "no model" in warning and "scoring on in this process" in warning


@pytest.mark.parametrize(
    "error",
    [
        OSError(38, "Function not implemented"),  # sem_open in a container without /dev/shm
        NotImplementedError("This Python has no working sem_open"),  # concurrent.futures' own check
    ],
)
def test_a_system_that_cannot_start_a_helper_scores_here(
    write_config, helper_on_small_runs, monkeypatch, caplog, error
):
    def no_pool(*args, **kwargs):
        raise error

    monkeypatch.setattr(ahead, "worker_pool", no_pool)
    rows = _seed_rows(10)
    with caplog.at_level(logging.WARNING, logger="stages.ahead"):
        got = _run(write_config, f"nopool-{type(error).__name__}", True, rows)
    assert len(got["scores"]) == len(rows)
    assert any("cannot start a scoring helper" in r.getMessage() for r in caplog.records)


def test_no_helper_below_the_size_whatever_the_batch_size(write_config, monkeypatch):
    """A run under AHEAD_MIN_ADS never starts the helper, in many small batches too."""
    monkeypatch.setattr(ahead, "cores", lambda: 2)
    monkeypatch.setattr(ahead, "AHEAD_MIN_ADS", 30)
    started: list[bool] = []
    monkeypatch.setattr(ahead._Helper, "start", classmethod(lambda cls, *a: started.append(True)))
    rows = _seed_rows(24)  # 28 ads in batches of 4
    assert len(rows) < ahead.AHEAD_MIN_ADS
    got = _run(write_config, "small", True, rows)
    assert not started and len(got["scores"]) == len(rows)


def test_the_size_counts_ads_not_batches(monkeypatch):
    """Small batches still reach the size: the helper starts once enough ads are read."""
    monkeypatch.setattr(ahead, "cores", lambda: 2)
    monkeypatch.setattr(ahead, "AHEAD_MIN_ADS", 10)
    started: list[bool] = []
    monkeypatch.setattr(ahead._Helper, "start", classmethod(lambda cls, *a: started.append(True)))
    monkeypatch.setattr(ahead, "score_rows", lambda pipeline, batch, *a: [len(batch)])
    batches = [[{"ad_id": i}] * 3 for i in range(6)]  # 18 ads in batches of 3
    got = list(ahead.scored_batches(None, iter(batches), 0.5, None, models_dir=Path("."), version="v"))
    assert started == [True] and [r for _, r in got] == [[3]] * 6
