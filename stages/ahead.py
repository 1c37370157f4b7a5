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
import os
import signal
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain
from pathlib import Path
from typing import Any

from classifier.neighbours import LureIndex
from classifier.registry import load_model
from stages.analysed import score_rows
from stages.parallel import worker_pool
from store.scores import ScoreRow

log = logging.getLogger(__name__)

Batch = Sequence[dict[str, Any]]

# Ads the first two batches must hold before a helper starts: below this a run is over
# before the helper has loaded the model. Tests lower it to exercise the helper.
AHEAD_MIN_ADS = 2_000

_STATE: tuple[Any, float, LureIndex | None] | None = None  # the helper's model, threshold, index
_FAILED = ""  # why the helper could not load its model


class HelperFailed(Exception):
    """The helper could not load its model (the reason travels back as the message)."""


def cores() -> int:
    """CPUs this process may run on (its affinity, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _start(models_dir: str, version: str, threshold: float, confirmed: LureIndex | None) -> None:
    """In the helper (which already dies with the parent): leave Ctrl-C to the parent, then
    load the model once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops this process itself
    global _STATE, _FAILED
    try:
        _STATE = (load_model(Path(models_dir), version)[0], threshold, confirmed)
    except Exception as exc:  # told to the parent by _ready, for its log, not as a traceback
        _FAILED = f"{type(exc).__name__}: {exc}"


def _state() -> tuple[Any, float, LureIndex | None]:
    """In the helper: the loaded model, or HelperFailed saying why there is none."""
    if _STATE is None:
        raise HelperFailed(_FAILED or "the helper's initializer did not run")
    return _STATE


def _ready() -> bool:
    """In the helper: a task that ends as soon as the initializer has loaded the model."""
    return _state() is not None


def _score(batch: Batch) -> list[ScoreRow]:
    """In the helper: one batch scored as stages.analysed.score_rows scores it."""
    pipeline, threshold, confirmed = _state()
    return score_rows(pipeline, batch, threshold, confirmed)


def _loaded(ready: Future[bool]) -> bool:
    """Has the helper finished loading the model (or failed to)? Tests wait for it here."""
    return ready.done()


class _Helper:
    """The one helper process, seen from the parent; once it fails, it is never asked again."""

    def __init__(self, pool: ProcessPoolExecutor, ready: Future[bool]) -> None:
        self.pool, self.ready = pool, ready
        self.failed = False
        self.scored = 0  # batches the helper scored

    @classmethod
    def start(cls, models_dir: Path, version: str, threshold: float, confirmed: LureIndex | None) -> _Helper | None:
        """A started helper, or None (logged) when this system cannot start one."""
        try:
            pool = worker_pool(1, _start, (str(models_dir), version, threshold, confirmed))
            return cls(pool, pool.submit(_ready))
        # No working sem_open (NotImplementedError, or ImportError from multiprocessing's
        # synchronize), no /dev/shm or no memory to spawn (OSError).
        except (OSError, NotImplementedError, ImportError, BrokenProcessPool) as exc:
            log.warning("cannot start a scoring helper process (%s); scoring in this process", exc)
            return None

    def usable(self) -> bool:
        """Loaded and alive: batches may go to it."""
        if self.failed or not _loaded(self.ready):
            return False
        if self.ready.exception() is not None:
            self._fail(self.ready.exception())
        return not self.failed

    def submit(self, batch: Batch) -> Future[list[ScoreRow]] | None:
        if not self.failed:
            try:
                return self.pool.submit(_score, batch)
            except BrokenProcessPool as exc:
                self._fail(exc)
        return None

    def rows(self, batch: Batch, future: Future[list[ScoreRow]] | None, score_here) -> list[ScoreRow]:
        """The batch's rows from the helper, or scored here if it failed meanwhile."""
        if future is not None and not self.failed:
            try:
                rows = future.result()
                self.scored += 1
                return rows
            except (BrokenProcessPool, HelperFailed) as exc:
                self._fail(exc)
        # Never future.result() again after a failure: a broken pool gives every pending
        # future the same exception, and raising it again and again would chain each
        # batch into its traceback.
        return score_here(batch)

    def _fail(self, exc: BaseException) -> None:
        if not self.failed:
            self.failed = True
            log.warning("scoring helper process stopped (%s); scoring on in this process", exc)

    def close(self) -> None:
        """Stop the helper; wait only for a batch in flight, never for a model still loading."""
        self.pool.shutdown(wait=self.ready.done(), cancel_futures=True)


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

    def here(batch: Batch) -> list[ScoreRow]:
        return score_rows(pipeline, batch, threshold, confirmed)

    it = iter(batches)
    head: list[Batch] = []  # read until the run is known to be big enough (or has ended)
    size = 0
    if ahead and cores() > 1:
        for batch in it:
            head.append(batch)
            size += len(batch)
            if len(head) >= 2 and size >= AHEAD_MIN_ADS:
                break
    big = len(head) >= 2 and size >= AHEAD_MIN_ADS
    helper = _Helper.start(models_dir, version, threshold, confirmed) if big else None
    if helper is None:
        for batch in chain(head, it):
            yield batch, here(batch)
        return
    try:
        pending: tuple[Batch, Future[list[ScoreRow]] | None] | None = None
        for batch in chain(head, it):
            if helper.failed or (pending is None and not helper.usable()):
                # Still loading the model (seconds), or gone: score here meanwhile, in order.
                if pending is not None:
                    yield pending[0], helper.rows(*pending, here)
                    pending = None
                yield batch, here(batch)
                continue
            following = (batch, helper.submit(batch))
            if pending is not None:
                yield pending[0], helper.rows(*pending, here)
            pending = following
        if pending is not None:
            yield pending[0], helper.rows(*pending, here)
        log.info("scoring: the helper process scored %d batch(es) ahead", helper.scored)
    finally:
        # A caller that stops early (an error while recording) leaves nothing running.
        helper.close()
