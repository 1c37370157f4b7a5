"""The score stage: score new (or, with rescore, all undecided) ads and fill the queue.

Batches are committed one by one, so a run killed while scoring resumes where it
stopped: the next run scores only what has no score from this model yet.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from classifier.card import threshold_for
from classifier.registry import load_model
from config import Config
from stages.ahead import scored_batches
from stages.analysed import confirmed_index
from stages.common import StageResult, database, utcnow
from stages.parallel import link_new_ads, refuse_sqlite, score_in_workers
from store.errors import StoreError
from store.scores import ScoreCounts, ads_to_score, record_scores
from store.watchlist import rescan

log = logging.getLogger(__name__)


def score_ads(
    config: Config,
    factory: sessionmaker[Session],
    *,
    rescore: bool = False,
    clock: Callable = utcnow,
    progress: bool | None = None,
    workers: int | None = None,
) -> StageResult:
    """Score ads with the configured model and enqueue the flagged ones.

    Decided review items keep their decisions; pending ones get new priorities.
    ``progress`` shows a bar on stderr (default: only when it is a terminal).
    ``workers`` (default ``scoring.workers``) above 1 scores in that many processes
    (PostgreSQL only, stages.parallel); rescoring then covers the undecided ads that
    have no score from this model yet, which after a promotion is all of them.
    """
    workers = config.scoring.workers if workers is None else workers
    if workers < 1:
        raise StoreError(f"--workers must be at least 1, got {workers}")
    refuse_sqlite(factory, workers)
    pipeline, card = load_model(config.models.dir, config.scoring.model)
    version = card["version"]
    threshold = threshold_for(card, config.scoring.threshold)
    totals: Counter[str] = Counter(ScoreCounts().as_dict())  # every count present, zero on a quiet night
    if workers > 1:
        link_new_ads(factory, version, rescore, config.scoring.batch_size, clock)
        totals.update(score_in_workers(config, version, workers, rescore))
        return _watchlist(_result(totals, version, threshold), factory, clock)
    show = sys.stderr.isatty() if progress is None else progress
    with factory() as session, tqdm(desc="scoring", unit="ad", disable=not show, leave=False) as bar:
        confirmed = confirmed_index(pipeline, session)  # once per run: flagged ads are compared with it
        batches = ads_to_score(session, version, rescore, config.scoring.batch_size)
        for _, rows in scored_batches(
            pipeline,
            batches,
            threshold,
            confirmed,
            models_dir=config.models.dir,
            version=version,
            ahead=config.scoring.ahead,
        ):
            counts = record_scores(session, version, rows, clock())
            session.commit()  # each batch is durable on its own (resumable runs)
            totals.update(counts.as_dict())
            totals["flagged"] += sum(r.flagged for r in rows)
            bar.update(len(rows))
            if not show:  # no bar (a log file, cron mail): a line per batch shows the progress
                log.info("scoring: %d ad(s) so far, %d flagged", totals["scored"], totals["flagged"])
    return _watchlist(_result(totals, version, threshold), factory, clock)


WATCHLIST_ADS_KEPT = 200  # ad ids of the hits kept in the counts (the run's notifications list them)


def _watchlist(result: StageResult, factory: sessionmaker[Session], clock: Callable) -> StageResult:
    """After the model's scores: ads carrying a watchlisted contact become critical and are
    queued, whatever the model said (store.watchlist.rescan); the hits are counted."""
    with factory.begin() as session:
        found = rescan(session, clock())
    result.counts["watchlist_hits"] = len(found.marked)
    result.counts["watchlist_queued"] = found.queued
    result.counts["watchlist_ads"] = found.marked[:WATCHLIST_ADS_KEPT]
    return result


def _result(totals: Counter[str], version: str, threshold: float) -> StageResult:
    log.info(
        "scored %d ad(s) with model %s (threshold %.3f): %d flagged, %d newly queued",
        totals["scored"],
        version,
        threshold,
        totals["flagged"],
        totals["queued"],
    )
    return StageResult(
        "score",
        {
            "model": version,
            "threshold": round(float(threshold), 4),
            "scored": totals["scored"],
            "flagged": totals["flagged"],
            **{k: v for k, v in totals.items() if k not in ("scored", "flagged")},
        },
    )


def score_stage(config: Config, factory: sessionmaker[Session], run_id: int) -> StageResult:
    """The nightly run's scoring: new ads only."""
    return score_ads(config, factory)


def score_command(config: Config, rescore: bool = False, workers: int | None = None) -> StageResult:
    """`pipeline.py score`: score on the configured database (``workers``: see score_ads)."""
    with database(config) as factory:
        return score_ads(config, factory, rescore=rescore, workers=workers)


def format_score(result: StageResult) -> str:
    """One line: the model, its threshold and what scoring did to the queue."""
    c = result.counts
    return (
        f"scored {c['scored']} ad(s) with model {c['model']} (threshold {c['threshold']}): "
        f"{c['flagged']} flagged, {c['queued']} newly queued, "
        f"{c['reprioritised']} re-prioritised, {c['kept_decided']} decided items kept, "
        f"{c.get('watchlist_hits', 0)} watchlist hit(s)"
    )
