"""The crawl stage: crawl the enabled (or named) sources into the store.

Reads each source's state from the store (known ad ids, Telegram channel
progress), crawls all sources in one child process (crawler.run; Twisted's
reactor cannot restart in-process), then records each source's crawl, the
channel progress, and marks ads removed after enough complete crawls. A failing
source makes the stage partial; the others still count.
"""

from __future__ import annotations

import logging
import multiprocessing
from typing import Any, Callable

from sqlalchemy.orm import Session, sessionmaker

from config import Config, SourceConfig
from crawler.run import child_main, freeze_config
from stages.common import utcnow
from stages.common import StageResult
from store.crawls import (
    channel_states,
    finish_crawl,
    known_external_ids,
    mark_removed,
    save_channel_state,
    start_crawl,
)
from store.runs import finish_run, start_run

log = logging.getLogger(__name__)
COLUMNS = ("pages", "new", "updated", "unchanged", "dropped", "errors")
Clock = Callable[[], Any]


class CrawlError(Exception):
    """The crawl child process could not run."""


def select_sources(config: Config, names: list[str] | None) -> list[SourceConfig]:
    """The named sources (ConfigError for unknown names), else every enabled one."""
    if names:
        return [config.source(name) for name in dict.fromkeys(names)]
    return [s for s in config.sources if s.enabled]


def run_child(
    config: Config, jobs: list[dict[str, Any]], log_level: str = "WARNING", overrides: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Run crawler.run.crawl_sources in a fresh (spawned) process; its results."""
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    # The child writes to the same run log files as this process (append mode).
    log_files = tuple(h.baseFilename for h in logging.getLogger().handlers if isinstance(h, logging.FileHandler))
    proc = ctx.Process(
        target=child_main,
        name="lurewatch-crawl",
        args=(freeze_config(config), jobs, log_level, overrides, sender, log_files),
    )
    proc.start()
    sender.close()
    try:
        status, payload = receiver.recv()  # EOFError when the child dies without a word
    except EOFError:
        proc.join()
        raise CrawlError(f"crawl process died (exit code {proc.exitcode})") from None
    except BaseException:
        proc.terminate()
        proc.join()
        raise
    finally:
        receiver.close()
    proc.join()
    if status != "ok":
        raise CrawlError(f"crawl process failed: {payload}")
    return payload


def source_counts(stats: dict[str, Any], error: str | None) -> dict[str, Any]:
    """The per-source table row from a crawler's stats."""

    def stat(key: str) -> int:
        return int(stats.get(key) or 0)

    exceptions = int(
        stats.get("spider_exceptions/count")
        or sum(int(v) for k, v in stats.items() if k.startswith("spider_exceptions/"))
    )
    counts: dict[str, Any] = {
        "pages": stat("response_received_count"),
        "new": stat("lurewatch/ads/new"),
        "updated": stat("lurewatch/ads/updated"),
        "unchanged": stat("lurewatch/ads/unchanged"),
        "dropped": stat("lurewatch/dropped") + stat("lurewatch/dropped/broken_jsonld"),
        "errors": stat("lurewatch/errors") + exceptions + (1 if error else 0),
    }
    channels = stats.get("lurewatch/telegram/channels") or {}
    if channels:
        counts["unavailable_channels"] = sorted(c for c, s in channels.items() if s.get("available") is False)
    if stats.get("lurewatch/workers"):  # a shared crawl: pages fetched by each process
        counts["workers"] = dict(stats["lurewatch/workers"])
    counts["finish_reason"] = stats.get("finish_reason") or ("error" if error else "")
    counts["details"] = {
        k.removeprefix("lurewatch/"): v for k, v in stats.items() if k.startswith("lurewatch/") and isinstance(v, int)
    }
    if error:
        counts["error"] = error
    return counts


# A crawl stopped by a configured limit kept what it fetched: not failed, but not complete
# either (unseen ads may lie beyond the limit, so none is marked removed).
LIMITS = {"closespider_pagecount": "page limit", "closespider_timeout": "time limit"}
_LIMIT_KEYS = {
    "closespider_pagecount": "crawl.max_pages_per_source",
    "closespider_timeout": "crawl.max_minutes_per_source",
}


def _failed(counts: dict[str, Any], error: str | None) -> bool:
    # Nothing fetched but errors: the source is down or unreachable, not empty.
    return (
        bool(error)
        or counts["finish_reason"] not in ("finished", *LIMITS)
        or (counts["pages"] == 0 and counts["errors"] > 0)
    )


def _complete(counts: dict[str, Any]) -> bool:
    details = counts["details"]
    return (
        counts["finish_reason"] == "finished"
        and counts["errors"] == 0
        and not any(k.startswith("incomplete/") for k in details)
    )


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
    jobs, crawl_ids = [], {}
    with factory.begin() as session:
        for source in selected:
            crawl_ids[source.name] = start_crawl(session, source.name, run_id, clock()).id
            job: dict[str, Any] = {"source": source.name, "known_ids": sorted(known_external_ids(session, source.name))}
            if source.kind == "telegram":
                job["channel_states"] = {
                    ch: {"last_message_id": st.last_message_id, "available": st.available}
                    for ch, st in channel_states(session, source.name).items()
                }
            jobs.append(job)
    log.info("crawling %d source(s): %s", len(selected), ", ".join(s.name for s in selected))
    # Imported on use: stages.scaleout imports StageResult, like this module.
    from stages.scaleout import FrontierError, abandon_frontiers, close_frontiers, open_frontiers

    try:
        open_frontiers(config, jobs)  # with a Redis URL: other processes may join the crawl
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
    per_source: dict[str, dict[str, Any]] = {}
    with factory.begin() as session:
        for source in selected:
            result = results.get(source.name) or {"stats": {}, "error": "no result"}
            counts = source_counts(result["stats"], result["error"])
            failed = _failed(counts, result["error"])
            complete = not failed and _complete(counts)
            now = clock()
            channels = result["stats"].get("lurewatch/telegram/channels") or {}
            for channel, state in channels.items():
                if state.get("available") is not None:
                    save_channel_state(
                        session,
                        source.name,
                        channel,
                        available=state["available"],
                        last_message_id=state.get("last_message_id"),
                        now=now,
                    )
            finish_crawl(
                session,
                crawl_ids[source.name],
                complete=complete,
                failed=failed,
                counts=counts,
                now=now,
                error=result["error"],
            )
            counts["removed"] = (
                mark_removed(session, source.name, config.crawl.removed_after_runs, now) if complete else 0
            )
            counts["complete"], counts["failed"] = complete, failed
            if not failed and counts["finish_reason"] in LIMITS:
                # Worth an operator's attention: a source that hits its limit every night
                # never completes a crawl, so its vanished ads are never marked removed.
                log.warning(
                    "source %s stopped at its %s (%s) after %d pages: what it fetched is "
                    "kept, but the crawl is not complete, so no ad is marked removed",
                    source.name,
                    LIMITS[counts["finish_reason"]],
                    _LIMIT_KEYS[counts["finish_reason"]],
                    counts["pages"],
                )
            per_source[source.name] = counts
            log.info("source %s: %s", source.name, ", ".join(f"{c} {counts[c]}" for c in COLUMNS))
    totals = {c: sum(v[c] for v in per_source.values()) for c in COLUMNS}
    failed_names = [n for n, v in per_source.items() if v["failed"]]
    totals["failed_sources"] = len(failed_names)
    return StageResult("crawl", {**totals, "sources": per_source}, partial=bool(failed_names))


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
        run_id = start_run(session, "crawl", clock()).id
    try:
        result = crawl(config, factory, run_id, sources, log_level=log_level, clock=clock)
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        with factory.begin() as session:
            finish_run(session, run_id, status, {}, clock(), error=f"{type(exc).__name__}: {exc}"[:2000])
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


def format_table(result: StageResult) -> str:
    """The per-source table the crawl command prints."""
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
