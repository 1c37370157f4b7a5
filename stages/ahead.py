"""Scoring one batch ahead: the classifier in a helper process while this one records.

The single-writer score stage (SQLite, or PostgreSQL with one worker) spends about a
quarter of each batch in the classifier and the rest recording scores and linking
campaigns, all on one core. Here one spawned process, which loads the model once,
scores batch k+1 while this process records batch k, so on two cores the classifier's
time comes off the stage's. Batches follow ad id (keyset, store.scores.ads_to_score),
so reading the next batch before the last is recorded changes nothing; rows come back
in order and are the same rows score_rows gives here (the helper loads the same model
version from the same folder).

Small runs stay in one process: a helper's start-up (imports and model load, ~3 s of
CPU) buys nothing on a few hundred ads. The helper dies with this process, kill -9
included (core.process), so nothing scores on outside the run lock.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain
from pathlib import Path
from typing import Any

from classifier.neighbours import LureIndex
from classifier.registry import load_model
from core.process import die_with_parent
from stages.analysed import score_rows
from store.scores import ScoreRow

log = logging.getLogger(__name__)

Batch = Sequence[dict[str, Any]]

# Ads the first two batches must hold before a helper starts: below this a run is over
# before the helper has loaded the model. Tests lower it to exercise the helper.
AHEAD_MIN_ADS = 2_000

_STATE: tuple[Any, float, LureIndex | None] | None = None  # the helper's model, threshold, index


def cores() -> int:
    """CPUs this process may run on (its affinity, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _start(parent: int, models_dir: str, version: str, threshold: float, confirmed: LureIndex | None) -> None:
    """In the helper: die with the parent, then load the model once."""
    die_with_parent(parent)
    global _STATE
    _STATE = (load_model(Path(models_dir), version)[0], threshold, confirmed)


def _score(batch: Batch) -> list[ScoreRow]:
    """In the helper: one batch scored as stages.analysed.score_rows scores it."""
    assert _STATE is not None, "the helper's initializer did not run"
    pipeline, threshold, confirmed = _STATE
    return score_rows(pipeline, batch, threshold, confirmed)


def _ready() -> bool:
    """In the helper: a task that ends as soon as the initializer has loaded the model."""
    return _STATE is not None


def _loaded(ready: Future[bool]) -> bool:
    """Has the helper loaded the model yet? (Tests wait for it here instead.)"""
    return ready.done()


def scored_batches(
    pipeline: Any,
    batches: Iterable[Batch],
    threshold: float,
    confirmed: LureIndex | None,
    *,
    models_dir: Path,
    version: str,
    ahead: bool = True,
) -> Iterator[tuple[Batch, list[ScoreRow]]]:
    """(batch, its score rows) in order; with ``ahead`` (and 2+ cores, and a run big enough),
    the next batch is scored in a helper process while the caller records this one."""
    it = iter(batches)
    head: list[Batch] = []
    for batch in it:
        head.append(batch)
        if len(head) == 2:
            break
    if not ahead or len(head) < 2 or cores() < 2 or sum(map(len, head)) < AHEAD_MIN_ADS:
        for batch in chain(head, it):
            yield batch, score_rows(pipeline, batch, threshold, confirmed)
        return
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),  # no forked connections or threads
        initializer=_start,
        initargs=(os.getpid(), str(models_dir), version, threshold, confirmed),
    )
    failed: list[BrokenProcessPool] = []
    helped: list[int] = []  # sizes of the batches the helper scored

    def submit(batch: Batch) -> Future[list[ScoreRow]]:
        future: Future[list[ScoreRow]] = Future()
        if not failed:
            try:
                return pool.submit(_score, batch)
            except BrokenProcessPool as exc:
                fail(exc)
        future.set_exception(failed[0])
        return future

    def result(batch: Batch, future: Future[list[ScoreRow]]) -> list[ScoreRow]:
        try:
            rows = future.result()
            helped.append(len(rows))
            return rows
        except BrokenProcessPool as exc:
            fail(exc)
            return score_rows(pipeline, batch, threshold, confirmed)

    def fail(exc: BrokenProcessPool) -> None:
        # The helper died (its model would not load, out of memory, killed): this process
        # scores on alone; the helper's own traceback is on stderr.
        if not failed:
            log.warning("scoring helper process stopped (%s); scoring on in this process", exc)
            failed.append(exc)

    try:
        ready = pool.submit(_ready)
        pending: tuple[Batch, Future[list[ScoreRow]]] | None = None
        for batch in chain(head, it):
            if pending is None and not _loaded(ready):
                # The helper is still loading the model (seconds): score here meanwhile.
                yield batch, score_rows(pipeline, batch, threshold, confirmed)
                continue
            following = (batch, submit(batch))
            if pending is not None:
                yield pending[0], result(*pending)
            pending = following
        if pending is not None:
            yield pending[0], result(*pending)
        log.info("scoring: the helper process scored %d batch(es) ahead", len(helped))
    finally:
        # A caller that stops early (an error while recording) leaves nothing running.
        pool.shutdown(wait=True, cancel_futures=True)
