"""Recording runs of the nightly job (and of single stages) in the runs table."""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.files import pid_alive
from store.errors import NotFoundError, StoreError
from store.schema import RUN_STATUSES, Crawl, Run

KILLED = "the process ended without closing the run (killed or crashed)"


def start_run(session: Session, command: str, now: datetime) -> Run:
    """A new run in status 'running', flushed so it has an id."""
    run = Run(command=command, started_at=now, status="running", counts={}, host=socket.gethostname(), pid=os.getpid())
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session, run_id: int, status: str, counts: dict[str, Any], now: datetime, error: str | None = None
) -> Run:
    """Close a run with its final status and per-stage counts."""
    if status not in RUN_STATUSES or status == "running":
        raise StoreError(f"cannot finish a run with status {status!r}")
    run = session.get(Run, run_id)
    if run is None:
        raise NotFoundError(f"run {run_id} does not exist")
    run.status, run.counts, run.finished_at, run.error = status, dict(counts), now, error
    return run


def mark_interrupted(session: Session, now: datetime, command: str = "run") -> list[int]:
    """Close runs left 'running' by a process that died; call only while holding the run lock.

    Holding the lock proves no other run of ``command`` is alive, so every such
    row belongs to a run that was killed.
    """
    stale = list(session.scalars(select(Run).where(Run.status == "running", Run.command == command)))
    return _interrupt(stale, now)


def mark_dead_runs(session: Session, now: datetime) -> list[int]:
    """Close runs left 'running' on this machine by a process that no longer exists.

    Any command: a `crawl` takes no lock, so only its process id can tell. Runs of
    other machines are left to their own machine (or, for `run`, to the lock).
    """
    here = socket.gethostname()
    running = session.scalars(select(Run).where(Run.status == "running", Run.host == here))
    return _interrupt([run for run in running if run.pid is not None and not pid_alive(run.pid)], now)


def close_orphan_crawls(session: Session, now: datetime) -> list[int]:
    """Close crawls left open by a run that is over (a killed run's crawls): failed, interrupted."""
    orphans = list(
        session.scalars(
            select(Crawl).join(Run, Crawl.run_id == Run.id).where(Crawl.finished_at.is_(None), Run.status != "running")
        )
    )
    for crawl in orphans:
        crawl.finished_at, crawl.failed, crawl.complete = now, True, False
        crawl.error = crawl.error or "interrupted: the crawl's run ended without closing it (killed or crashed)"
    return [crawl.id for crawl in orphans]


def _interrupt(runs: list[Run], now: datetime) -> list[int]:
    for run in runs:
        run.status, run.finished_at = "interrupted", now
        run.error = run.error or KILLED
    return [run.id for run in runs]


def recent_runs(session: Session, limit: int = 20) -> list[Run]:
    """The newest runs first."""
    return list(session.scalars(select(Run).order_by(Run.id.desc()).limit(limit)))


def runs_page(session: Session, limit: int = 20, before: int | None = None) -> list[Run]:
    """Runs newest first, ``limit`` of them with ids below ``before`` (the next page)."""
    query = select(Run).order_by(Run.id.desc()).limit(limit)
    if before is not None:
        query = query.where(Run.id < before)
    return list(session.scalars(query))


def get_run(session: Session, run_id: int) -> Run:
    """One run, or NotFoundError."""
    run = session.get(Run, run_id)
    if run is None:
        raise NotFoundError(f"run {run_id} does not exist")
    return run
