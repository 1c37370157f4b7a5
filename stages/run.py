"""The nightly job: run every stage in order and record the run.

Stages are listed in ``STAGES`` in the order the nightly job runs them; each is a
function ``(config, factory, run_id) -> StageResult``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from sqlalchemy.orm import Session, sessionmaker

from config import Config
from core.files import atomic_write
from core.secrets import mask_text
from stages.common import StageResult, database, engine_of, utcnow
from stages.crawl import close_stale, crawl_stage
from stages.crawling import COLUMNS, LIMITS, refusals
from stages.export import export_nightly
from stages.health import crawl_sources, health_alarms
from stages.score import score_stage
from store.errors import LockHeldError
from store.lock import run_lock
from store.notices import last_success, newest_run_of, run_row
from store.runs import finish_run, mark_interrupted, recent_runs, start_run

log = logging.getLogger(__name__)


Stage = Callable[[Config, sessionmaker[Session], int], StageResult]

# (name, function) in the order the nightly job runs them.
STAGES: list[tuple[str, Stage]] = [
    ("crawl", crawl_stage),
    ("score", score_stage),
    ("export", export_nightly),
]


@dataclass
class RunResult:
    """The outcome of one nightly run, as recorded in the runs table."""

    run_id: int
    status: str
    started_at: datetime
    finished_at: datetime
    stages: list[StageResult]
    alarms: list[str] = field(default_factory=list)
    summary_path: Path | None = None
    notifications: list[dict[str, Any]] = field(default_factory=list)
    metrics_path: Path | None = None

    @property
    def duration_seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


def run_nightly(
    config: Config,
    factory: sessionmaker[Session],
    stages: list[tuple[str, Stage]] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> RunResult:
    """Run the stages in order under the run lock, recording the run.

    LockHeldError at once when another run holds the lock; whatever stops a
    stage is re-raised after the run is marked failed or interrupted.
    """
    with run_lock(engine_of(factory)):
        return _run_locked(config, factory, STAGES if stages is None else stages, clock)


def nightly(config: Config, metrics_file: Path | None = None) -> RunResult:
    """`pipeline.py run`: the nightly job on the configured database; then, the run over,
    its notifications (never failing it) and, with ``metrics_file``, its metrics."""
    with database(config) as factory:
        try:
            result = run_nightly(config, factory)
        except LockHeldError:
            raise  # no run took place: nothing to tell
        except BaseException:
            _after_failure(config, factory, metrics_file)
            raise
        after_run(config, factory, result, metrics_file)
        return result


def after_run(
    config: Config, factory: sessionmaker[Session], result: RunResult, metrics_file: Path | None = None
) -> None:
    """Notify, record the deliveries with the run and in its summary, write the metrics.
    Nothing here may fail the run: its data and its exit code are already settled."""
    score = next((s.counts for s in result.stages if s.name == "score"), {})
    try:
        result.notifications = _notify(
            config,
            factory,
            run_id=result.run_id,
            status=result.status,
            summary=format_summary(result),
            alarms=result.alarms,
            started=result.started_at,
            finished=result.finished_at,
            watchlist_ads=list(score.get("watchlist_ads") or []),
        )
        if result.notifications and result.summary_path is not None:
            result.summary_path = write_summary(result, config.export.dir)
    except Exception:  # noqa: BLE001 - a notification bug must not turn a good run into a failed one
        log.exception("notifications of run %d failed", result.run_id)
    if metrics_file is not None:
        result.metrics_path = _metrics(factory, metrics_file, result.status, result, result.notifications)


def _after_failure(config: Config, factory: sessionmaker[Session], metrics_file: Path | None) -> None:
    """A run that failed (or was interrupted): tell, and write the metrics, from its row."""
    try:
        with factory() as session:
            run = newest_run_of(session, os.getpid())
            if run is None or run.status not in ("failed", "interrupted"):
                return
            run_id, status, started = run.id, run.status, run.started_at
            finished, error, counts = run.finished_at or utcnow(), run.error or "", dict(run.counts or {})
        score = (counts.get("stages") or {}).get("score") or {}
        deliveries = _notify(
            config,
            factory,
            run_id=run_id,
            status=status,
            summary=f"run {run_id}: {status}: {error}",
            alarms=[],
            started=started,
            finished=finished,
            watchlist_ads=list(score.get("watchlist_ads") or []),
        )
        partial = RunResult(run_id, status, started, finished, [])
        if metrics_file is not None:
            _metrics(factory, metrics_file, status, partial, deliveries, counts)
    except Exception:  # noqa: BLE001 - the run's own error is what the caller reports
        log.exception("could not notify about the failed run")


def _notify(config: Config, factory: sessionmaker[Session], **run: Any) -> list[dict[str, Any]]:
    """Send the run's messages and record the deliveries in runs.counts["notifications"]."""
    if not config.notify.webhooks and config.notify.email is None:
        return []
    from stages.notify import deliver, run_messages

    deliveries = [d.as_dict() for d in deliver(config, run_messages(config, factory, **run))]
    if deliveries:
        with factory.begin() as session:
            row = run_row(session, run["run_id"])
            if row is not None:
                row.counts = {**dict(row.counts or {}), "notifications": deliveries}
    return deliveries


def _metrics(
    factory: sessionmaker[Session],
    path: Path,
    status: str,
    result: RunResult,
    deliveries: list[dict[str, Any]],
    counts: dict[str, Any] | None = None,
) -> Path | None:
    from stages.metrics import write_metrics

    try:
        with factory() as session:
            last = last_success(session)
        return write_metrics(
            path,
            status=status,
            started=result.started_at,
            finished=result.finished_at,
            counts=counts if counts is not None else _counts(result.stages),
            alarms=len(result.alarms),
            last_success=last,
            notifications_failed=sum(not d.get("ok") for d in deliveries),
        )
    except Exception:  # noqa: BLE001 - metrics are for watching the run, never a reason to fail it
        log.exception("could not write the metrics file %s", path)
        return None


def _run_locked(
    config: Config, factory: sessionmaker[Session], stages: list[tuple[str, Stage]], clock: Callable[[], datetime]
) -> RunResult:
    started = clock()
    with factory.begin() as session:
        close_stale(session, started)
        for stale in mark_interrupted(session, started):
            log.warning("run %d had been killed; marked interrupted", stale)
        run_id = start_run(session, "run", started).id
    log.info("run %d started with %d stage(s)", run_id, len(stages))
    results: list[StageResult] = []
    try:
        for name, stage in stages:
            log.info("stage %s starting", name)
            began = time.monotonic()
            result = stage(config, factory, run_id)
            result.counts["seconds"] = round(time.monotonic() - began, 2)
            results.append(result)
    except BaseException as exc:  # KeyboardInterrupt and SIGTERM (core.signals.Terminated) too
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        finished = clock()
        with factory.begin() as session:
            error = mask_text(f"{type(exc).__name__}: {exc}")[:2000]
            finish_run(session, run_id, status, _counts(results), finished, error=error)
        log.error("run %d %s", run_id, status)
        try:  # what ran before it stopped, for the operator (the run row has it too)
            path = write_summary(RunResult(run_id, status, started, finished, results), config.export.dir)
            log.error("run %d summary: %s", run_id, path)
        except Exception:
            log.warning("could not write the summary of run %d", run_id, exc_info=True)
        raise
    status = "partial" if any(r.partial for r in results) else "ok"
    counts = _counts(results)
    with factory() as session:
        history = [
            crawl_sources(r.counts)
            for r in recent_runs(session, config.health.history_runs + 1)
            if r.id != run_id and r.status in ("ok", "partial")
        ]
    alarms = health_alarms(crawl_sources(counts), history, config.health)
    for alarm in alarms:
        log.warning("ALARM %s", alarm)
    counts["alarms"] = alarms
    finished = clock()
    with factory.begin() as session:
        finish_run(session, run_id, status, counts, finished)
    log.info("run %d finished: %s", run_id, status)
    result = RunResult(run_id, status, started, finished, results, alarms)
    result.summary_path = write_summary(result, config.export.dir)
    return result


def summary_dict(result: RunResult) -> dict[str, Any]:
    """The run summary as JSON-ready data (what the terminal shows, in full)."""
    return {
        "run_id": result.run_id,
        "status": result.status,
        "started_at": result.started_at.isoformat(),
        "finished_at": result.finished_at.isoformat(),
        "duration_seconds": round(result.duration_seconds, 3),
        "stages": [asdict(stage) for stage in result.stages],
        "alarms": result.alarms,
        "notifications": result.notifications,
    }


def write_summary(result: RunResult, folder: Path) -> Path:
    """Write the summary as JSON beside the night's exports, atomically."""
    path = folder / f"run-{result.started_at:%Y-%m-%d}-{result.run_id}.json"
    text = mask_text(json.dumps(summary_dict(result), ensure_ascii=False, indent=2, default=str))
    atomic_write(path, lambda fh: fh.write(text))
    return path


def _counts(results: list[StageResult]) -> dict[str, Any]:
    return {"stages": {r.name: r.counts for r in results}}


def format_summary(result: RunResult) -> str:
    """A few readable lines for the terminal and cron mail: stages, alarms, files."""
    lines = [f"run {result.run_id}: {result.status} in {result.duration_seconds:.1f}s"]
    if not result.stages:
        lines.append("no stages to run yet (nothing is crawled, scored or exported)")
    for stage in result.stages:
        counts = ", ".join(f"{k} {v}" for k, v in stage.counts.items() if not isinstance(v, (dict, list)))
        lines.append(f"  {stage.name}: {counts or 'done'}{' (partial)' if stage.partial else ''}")
        lines.extend(
            f"    {name}: {_source_line(row)}" for name, row in sorted((stage.counts.get("sources") or {}).items())
        )
        lines.extend(f"    wrote {path}" for path in stage.counts.get("files") or [])
    lines.extend(f"ALARM {alarm}" for alarm in result.alarms)
    for d in result.notifications:
        outcome = "sent" if d.get("ok") else f"FAILED after {d.get('attempts')} attempt(s): {d.get('error')}"
        lines.append(f"notify {d.get('event')} -> {d.get('channel')} {d.get('target')}: {outcome}")
    if result.summary_path:
        lines.append(f"summary: {result.summary_path}")
    if result.metrics_path:
        lines.append(f"metrics: {result.metrics_path}")
    return "\n".join(lines)


def _source_line(row: Any) -> str:
    stopped = LIMITS.get(row.get("finish_reason", ""))
    return (
        ", ".join(f"{k} {row.get(k, 0)}" for k in COLUMNS)
        + (" FAILED" if row.get("failed") else "")
        + (f" (stopped at {stopped})" if stopped and not row.get("failed") else "")
        + (f" (refused: {refusals(row)})" if refusals(row) else "")
    )
