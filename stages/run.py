"""The nightly job: run every stage in order and record the run.

Stages are appended to ``STAGES`` at the end of this module (export so far; crawl
and score join when their issues land); with none, a run is recorded and the
summary says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlalchemy.orm import Session, sessionmaker

from config import Config
from stages.common import utcnow
from store.runs import finish_run, start_run

log = logging.getLogger(__name__)


@dataclass
class StageResult:
    """What one stage did: its counts, and whether some of its parts failed."""

    name: str
    counts: dict[str, Any] = field(default_factory=dict)
    partial: bool = False


Stage = Callable[[Config, sessionmaker[Session], int], StageResult]

# (name, function) in the order the nightly job runs them; filled at the end of
# this module, because stage modules need StageResult from here.
STAGES: list[tuple[str, Stage]] = []


@dataclass
class RunResult:
    """The outcome of one nightly run, as recorded in the runs table."""

    run_id: int
    status: str
    started_at: datetime
    finished_at: datetime
    stages: list[StageResult]

    @property
    def duration_seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


def run_nightly(config: Config, factory: sessionmaker[Session],
                stages: list[tuple[str, Stage]] | None = None,
                clock: Callable[[], datetime] = utcnow) -> RunResult:
    """Run the stages in order, recording the run; re-raises what stops it."""
    stages = STAGES if stages is None else stages
    started = clock()
    with factory.begin() as session:
        run_id = start_run(session, "run", started).id
    log.info("run %d started with %d stage(s)", run_id, len(stages))
    results: list[StageResult] = []
    try:
        for name, stage in stages:
            log.info("stage %s starting", name)
            results.append(stage(config, factory, run_id))
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        with factory.begin() as session:
            finish_run(session, run_id, status, _counts(results), clock(),
                       error=f"{type(exc).__name__}: {exc}"[:2000])
        log.error("run %d %s", run_id, status)
        raise
    status = "partial" if any(r.partial for r in results) else "ok"
    finished = clock()
    with factory.begin() as session:
        finish_run(session, run_id, status, _counts(results), finished)
    log.info("run %d finished: %s", run_id, status)
    return RunResult(run_id, status, started, finished, results)


def _counts(results: list[StageResult]) -> dict[str, Any]:
    return {"stages": {r.name: r.counts for r in results}}


def format_summary(result: RunResult) -> str:
    """A few readable lines for the terminal and cron mail."""
    lines = [f"run {result.run_id}: {result.status} in {result.duration_seconds:.1f}s"]
    if not result.stages:
        lines.append("no stages to run yet (nothing is crawled, scored or exported)")
    for stage in result.stages:
        counts = ", ".join(f"{k} {v}" for k, v in stage.counts.items()
                           if not isinstance(v, (dict, list)))
        lines.append(f"  {stage.name}: {counts or 'done'}{' (partial)' if stage.partial else ''}")
    return "\n".join(lines)


from stages.export import export_nightly  # noqa: E402  (needs StageResult above)

STAGES.append(("export", export_nightly))
