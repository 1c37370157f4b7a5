"""Scoring in several worker processes, for a big rescore after a promotion.

PostgreSQL only. First the ads never linked are linked into campaigns, in batches
under one advisory lock (linking compares ads with each other, so two linkers at once
could miss each other's campaigns). Then N spawned processes, each loading the model
once, claim batches with ``FOR NO KEY UPDATE SKIP LOCKED`` (store.claims), score them
and record the scores in the claim's transaction. Several machines running the same
command share the work the same way: an ad is scored once, by whoever claimed it.

SQLite has one writer at a time: more than one worker is refused there.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from classifier.card import threshold_for
from classifier.registry import load_model
from config import Config
from core.process import die_with_parent
from stages.analysed import confirmed_index, score_rows
from stages.common import engine_of, utcnow
from store.campaigns import link_ads
from store.claims import ads_to_link, claim_ads, hold_linking_lock
from store.db import open_database
from store.errors import StoreError
from store.scores import ScoreCounts, record_scores

log = logging.getLogger(__name__)


def refuse_sqlite(factory: sessionmaker[Session], workers: int) -> None:
    """StoreError unless the database can take several writers."""
    if workers > 1 and engine_of(factory).dialect.name != "postgresql":
        raise StoreError(
            f"{workers} scoring workers need PostgreSQL: SQLite takes one writer at a time, use --workers 1"
        )


def link_new_ads(
    factory: sessionmaker[Session], version: str, rescore: bool, batch_size: int, clock: Callable[[], datetime]
) -> int:
    """Link the ads to score that were never linked, one batch per transaction; how many linked."""
    linked = 0
    with factory() as reader:
        for ids in ads_to_link(reader, version, rescore, batch_size):
            with factory.begin() as session:
                linked += link_ads(session, hold_linking_lock(session, ids), clock()).linked
    return linked


def _work(config: Config, rescore: bool) -> dict[str, int]:
    """In a worker process: claim, score and record batches until none is left."""
    pipeline, card = load_model(config.models.dir, config.scoring.model)
    version = card["version"]
    threshold = threshold_for(card, config.scoring.threshold)
    totals: Counter[str] = Counter(ScoreCounts().as_dict())
    engine, factory = open_database(config.database.url, create=False)
    try:
        with factory() as session:
            confirmed = confirmed_index(pipeline, session)
        while True:
            with factory.begin() as session:
                batch = claim_ads(session, version, rescore, config.scoring.batch_size)
                if not batch:
                    break
                rows = score_rows(pipeline, batch, threshold, confirmed)
                # Linked beforehand, under the linking lock: workers only score and queue.
                totals.update(record_scores(session, version, rows, utcnow(), link_campaigns=False).as_dict())
                totals["flagged"] += sum(r.flagged for r in rows)
            log.info("scoring worker: %d ad(s) so far", totals["scored"])
    finally:
        engine.dispose()
    return dict(totals)


def worker_pool(workers: int, then: Callable[..., None] | None = None, args: tuple = ()) -> ProcessPoolExecutor:
    """``workers`` spawned processes (no forked database connections or threads) that die with
    this one, kill -9 included (core.process): none scores on outside the run lock, and with
    them gone the resource tracker sees its pipe close and exits too. ``then(*args)`` (a
    module-level function) runs in each once that is arranged, e.g. to load the model."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(), then, args),
    )


def _start_worker(parent: int, then: Callable[..., None] | None, args: tuple) -> None:
    die_with_parent(parent)
    if then is not None:
        then(*args)


def score_in_workers(config: Config, version: str, workers: int, rescore: bool) -> Counter[str]:
    """Run ``workers`` spawned scorers to the end; their counts added up."""
    # Without the sources: their read-only selectors cannot be pickled, and scoring needs none.
    frozen = dataclasses.replace(config, sources=())
    totals: Counter[str] = Counter()
    with worker_pool(workers) as pool:
        for done in [pool.submit(_work, frozen, rescore) for _ in range(workers)]:
            totals.update(done.result())
    log.info("%d scoring workers scored %d ad(s) with model %s", workers, totals["scored"], version)
    return totals
