"""The crawl stage: crawl the enabled (or named) sources into the store.

Reads each source's state from the store (known ad ids, Telegram channel
progress), crawls all sources in one child process (crawler.run; Twisted's
reactor cannot restart in-process), then records each source's crawl, the
channel progress, and marks ads removed after enough complete crawls. A failing
source makes the stage partial; the others still count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.orm import Session, sessionmaker

from config import Config, SourceConfig
from core.secrets import mask_text
from crawler.run import CrawlJob
from stages.common import StageResult, database, utcnow
from stages.crawling import (
    COLUMNS,
    LIMIT_KEYS,
    LIMITS,
    CrawlError,
    complete,
    failed,
    refusals,
    run_child,
    select_sources,
    source_counts,
    totals,
)
from stages.scaleout import FrontierError, abandon_frontiers, close_frontiers, crawl_worker, open_frontiers
from store.crawls import (
    channel_states,
    finish_crawl,
    known_external_ids,
    mark_removed,
    save_channel_state,
    start_crawl,
)
from store.runs import close_orphan_crawls, finish_run, mark_dead_runs, start_run

log = logging.getLogger(__name__)
Clock = Callable[[], Any]


def _jobs(session: Session, selected: list[SourceConfig]) -> list[CrawlJob]:
    """What the child needs to know of each source: ads already stored, channel progress."""
    jobs = []
    for source in selected:
        states = {}
        if source.kind == "telegram":
            states = {
                ch: {"last_message_id": st.last_message_id, "available": st.available}
                for ch, st in channel_states(session, source.name).items()
            }
        jobs.append(CrawlJob(source.name, tuple(sorted(known_external_ids(session, source.name))), states))
    return jobs


def _record(
    session: Session, config: Config, source: str, crawl_id: int, result: dict[str, Any], now: Any
) -> dict[str, Any]:
    """Record one source's crawl (row, channel progress, removed ads); its table row."""
    counts = source_counts(result["stats"], result["error"])
    is_failed = failed(counts, result["error"])
    is_complete = not is_failed and complete(counts)
    for channel, state in (result["stats"].get("lurewatch/telegram/channels") or {}).items():
        if state.get("available") is not None:
            save_channel_state(
                session,
                source,
                channel,
                available=state["available"],
                last_message_id=state.get("last_message_id"),
                now=now,
            )
    finish_crawl(
        session, crawl_id, complete=is_complete, failed=is_failed, counts=counts, now=now, error=result["error"]
    )
    counts["removed"] = mark_removed(session, source, config.crawl.removed_after_runs, now) if is_complete else 0
    counts["complete"], counts["failed"] = is_complete, is_failed
    if not is_failed and counts["finish_reason"] in LIMITS:
        # Worth an operator's attention: a source that hits its limit every night
        # never completes a crawl, so its vanished ads are never marked removed.
        log.warning(
            "source %s stopped at its %s (%s) after %d pages: what it fetched is "
            "kept, but the crawl is not complete, so no ad is marked removed",
            source,
            LIMITS[counts["finish_reason"]],
            LIMIT_KEYS[counts["finish_reason"]],
            counts["pages"],
        )
    log.info("source %s: %s", source, ", ".join(f"{c} {counts[c]}" for c in COLUMNS))
    return counts


def _record_source(
    factory: sessionmaker[Session], config: Config, source: str, crawl_id: int, result: dict[str, Any], clock: Clock
) -> dict[str, Any]:
    """Record one source in a transaction of its own: its bad state (a channel id the column
    cannot hold, a value the database refuses) fails that source, never the others or the run."""
    result = {**result, "error": mask_text(result["error"]) if result["error"] else None}
    try:
        with factory.begin() as session:
            return _record(session, config, source, crawl_id, result, clock())
    except Exception as exc:
        error = mask_text(f"could not record the crawl: {type(exc).__name__}: {exc}")[:2000]
        log.error("source %s failed: %s", source, error)
        log.debug("source %s: recording its crawl failed", source, exc_info=True)
        counts = source_counts(result["stats"], error)
        with factory.begin() as session:
            finish_crawl(session, crawl_id, complete=False, failed=True, counts=counts, now=clock(), error=error)
        counts.update(complete=False, failed=True, removed=0)
        return counts


def close_stale(session: Session, now: Any) -> None:
    """Close the runs and crawls a killed process left open (their process is gone)."""
    for run_id in mark_dead_runs(session, now):
        log.warning("run %d had been killed; marked interrupted", run_id)
    for crawl_id in close_orphan_crawls(session, now):
        log.warning("crawl %d was left open by a killed run; closed as interrupted", crawl_id)


def crawl(
    config: Config,
    factory: sessionmaker[Session],
    run_id: int | None,
    sources: list[str] | None = None,
    *,
    log_level: str = "WARNING",
    clock: Clock = utcnow,
) -> StageResult:
    """Crawl the enabled (or named) sources; counts per source, partial if any failed."""
    selected = select_sources(config, sources)
    if not selected:
        return StageResult("crawl", {"sources": {}, **{c: 0 for c in COLUMNS}})
    with factory.begin() as session:
        crawl_ids = {s.name: start_crawl(session, s.name, run_id, clock()).id for s in selected}
        jobs = _jobs(session, selected)
    log.info("crawling %d source(s): %s", len(selected), ", ".join(s.name for s in selected))
    try:
        jobs = open_frontiers(config, jobs)  # with a Redis URL: other processes may join the crawl
        results = run_child(config, jobs, log_level)
    except (CrawlError, FrontierError) as exc:  # crawl child died, or Redis is unreachable
        log.error("%s", exc)
        if isinstance(exc, FrontierError):
            abandon_frontiers(config, jobs)
        results = {s.name: {"stats": {}, "error": str(exc)} for s in selected}
    except BaseException:
        abandon_frontiers(config, jobs)  # interrupted: joined workers find nothing more to do
        raise
    close_frontiers(config, jobs, results)  # waits for the workers; a no-op without Redis
    per_source = {
        s.name: _record_source(
            factory,
            config,
            s.name,
            crawl_ids[s.name],
            results.get(s.name) or {"stats": {}, "error": "no result"},
            clock,
        )
        for s in selected
    }
    failed_names = [n for n, v in per_source.items() if v["failed"]]
    counts = {**totals(per_source), "failed_sources": len(failed_names), "sources": per_source}
    return StageResult("crawl", counts, partial=bool(failed_names))


def crawl_run(
    config: Config,
    factory: sessionmaker[Session],
    sources: list[str] | None = None,
    *,
    log_level: str = "WARNING",
    clock: Clock = utcnow,
) -> tuple[str, StageResult]:
    """The crawl on its own (``pipeline.py crawl``), recorded as a run; (status, result).

    Status is "failed" when every source failed, "partial" when some did, else "ok".
    """
    with factory.begin() as session:
        close_stale(session, clock())
        run_id = start_run(session, "crawl", clock()).id
    try:
        result = crawl(config, factory, run_id, sources, log_level=log_level, clock=clock)
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        with factory.begin() as session:
            finish_run(session, run_id, status, {}, clock(), error=mask_text(f"{type(exc).__name__}: {exc}")[:2000])
        raise
    per_source = result.counts.get("sources", {})
    all_failed = bool(per_source) and all(c.get("failed") for c in per_source.values())
    status = "failed" if all_failed else "partial" if result.partial else "ok"
    with factory.begin() as session:
        finish_run(
            session,
            run_id,
            status,
            {"stages": {"crawl": result.counts}},
            clock(),
            error="every source failed" if all_failed else None,
        )
    return status, result


@dataclass(frozen=True)
class CrawlOutcome:
    """`pipeline.py crawl`: the per-source table, "ok", "partial" or "failed", and why it failed."""

    result: StageResult
    status: str
    error: str | None = None


def crawl_command(
    config: Config, sources: list[str] | None, *, worker: bool = False, wait: float = 300.0, log_level: str = "WARNING"
) -> CrawlOutcome:
    """Crawl the named (or enabled) sources as a run of its own, or join a shared crawl as a worker."""
    select_sources(config, sources)  # unknown names fail before anything starts
    if worker:
        result = crawl_worker(config, sources, wait, log_level=log_level)
        return CrawlOutcome(result, "partial" if result.partial else "ok")
    with database(config) as factory:
        status, result = crawl_run(config, factory, sources, log_level=log_level)
    error = "crawl failed: every source failed (see the table and the log)" if status == "failed" else None
    return CrawlOutcome(result, status, error)


def format_table(result: StageResult | CrawlOutcome) -> str:
    """The per-source table the crawl command prints."""
    result = result.result if isinstance(result, CrawlOutcome) else result
    rows = [("source", *COLUMNS, "status")]
    for name, counts in result.counts.get("sources", {}).items():
        status = (
            "FAILED"
            if counts.get("failed")
            else "complete"
            if counts.get("complete")
            else f"stopped at {LIMITS[counts['finish_reason']]}"
            if counts.get("finish_reason") in LIMITS
            else "ok"
        )
        if counts.get("unavailable_channels"):
            status += f" (unavailable: {', '.join(counts['unavailable_channels'])})"
        if refusals(counts):
            status += f" (refused: {refusals(counts)})"
        if counts.get("unreadable"):  # pages that looked like ads but gave none: the operator should know
            status += f" (unreadable: {counts['unreadable']} of {counts['ad_pages']} ad pages)"
        rows.append((name, *(str(counts.get(c, 0)) for c in COLUMNS), status))
    if len(rows) == 1:
        return "no sources to crawl (none enabled in the config)"
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [
            str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i]) for i, cell in enumerate(row[:-1])
        ]
        lines.append("  ".join(cells) + "  " + row[-1])
    return "\n".join(lines)


def crawl_stage(config: Config, factory: sessionmaker[Session], run_id: int) -> StageResult:
    """The crawl as a stage of the nightly job: every enabled source."""
    return crawl(config, factory, run_id)
