"""Shared crawls across processes and machines (README "Scale-out").

The process that runs the crawl stage (``pipeline.py run`` or ``crawl``) is the
*coordinator* of each source it crawls: with ``crawl.distributed.redis_url`` set
it opens a run-scoped frontier in Redis (crawler.frontier), seeds it, crawls,
waits for the other processes to leave, adds their counts to its own, records
the one crawl row and deletes the keys. ``pipeline.py crawl --worker`` processes
join the crawl under way: they never seed, never write crawl or run rows, and
only store ads (idempotent on (source, external_id), so an ad fetched twice is
still stored once).

Telegram sources are never shared: each page's URL comes from the one before,
so there is nothing to spread, and the paging state lives in one process.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from config import Config, ConfigError, SourceConfig
from crawler.frontier import Frontier, FrontierError, redis_client, worker_id
from crawler.run import CrawlJob
from stages.common import StageResult
from stages.crawling import failed, run_child, select_sources, source_counts, totals

log = logging.getLogger(__name__)
# Stats that are not summed across processes.
_NOT_SUMMED = ("finish_reason",)


def shareable(config: Config, source: SourceConfig) -> bool:
    """True when ``source`` is crawled through the shared Redis frontier."""
    return bool(config.crawl.redis_url) and source.kind != "telegram"


def open_frontiers(config: Config, jobs: list[CrawlJob]) -> list[CrawlJob]:
    """Coordinator: open a frontier for each shareable job; the jobs, shared ones marked.

    If Redis fails half-way, the frontiers already opened are closed before the error goes up.
    """
    if not config.crawl.redis_url:
        return list(jobs)
    client, out = None, []
    try:
        for job in jobs:
            if not shareable(config, config.source(job.source)):
                out.append(job)
                continue
            client = client or redis_client(config.crawl.redis_url)
            me = worker_id()
            frontier = Frontier.open(client, config.crawl.redis_prefix, job.source, job.known_ids, me)
            out.append(dataclasses.replace(job, frontier=frontier.base, worker=me, seed=True))
            log.info(
                "source %s: shared crawl %s (workers join with: pipeline.py crawl --worker --source %s)",
                job.source,
                frontier.base,
                job.source,
            )
    except BaseException:
        abandon_frontiers(config, out)
        raise
    return out


def _shared(config: Config, jobs: list[CrawlJob]) -> tuple[Any, list[CrawlJob]]:
    shared = [job for job in jobs if job.frontier]
    return (redis_client(config.crawl.redis_url or "") if shared else None), shared


def close_frontiers(config: Config, jobs: list[CrawlJob], results: dict[str, dict[str, Any]]) -> None:
    """Coordinator: wait for the workers, fold their stats into ``results``, delete the keys."""
    client, shared = _shared(config, jobs)
    for job in shared:
        source, me, frontier = job.source, job.worker, Frontier(job.frontier or "")
        try:
            # Our crawler process is over (finished or died): only the others count now.
            client.hdel(frontier.key("workers"), me)
            left_behind = frontier.wait_for_workers(client)
            others = {w: s for w, s in frontier.results(client).items() if w != me}
            result = results.setdefault(source, {"stats": {}, "error": None})
            merge_worker_stats(result["stats"], others, left_behind)
            mine = int(result["stats"].get("response_received_count") or 0) - sum(
                int(s.get("response_received_count") or 0) for s in others.values()
            )
            result["stats"]["lurewatch/workers"] = {
                me: mine,
                **{w: int(s.get("response_received_count") or 0) for w, s in others.items()},
            }
        finally:
            frontier.close(client, config.crawl.redis_prefix, source)


def abandon_frontiers(config: Config, jobs: list[CrawlJob]) -> None:
    """Coordinator interrupted or Redis failing: delete the keys at once, so workers stop soon."""
    try:
        client, shared = _shared(config, jobs)
        for job in shared:
            Frontier(job.frontier or "").close(client, config.crawl.redis_prefix, job.source)
    except Exception:  # already failing; the keys' TTL is the fallback
        log.warning("could not delete the shared crawls' keys", exc_info=True)


def merge_worker_stats(stats: dict[str, Any], workers: dict[str, dict[str, Any]], left_behind: list[str]) -> None:
    """Add the workers' counts to the coordinator's stats; lost or cut-short workers make it incomplete."""
    for theirs in workers.values():
        for key, value in theirs.items():
            if key in _NOT_SUMMED or isinstance(value, bool) or not isinstance(value, int):
                continue
            stats[key] = int(stats.get(key) or 0) + value
        if theirs.get("finish_reason") != "finished":
            key = f"lurewatch/incomplete/worker_{theirs.get('finish_reason') or 'unknown'}"
            stats[key] = int(stats.get(key) or 0) + 1
    if left_behind:  # died (kill -9, lost machine): its in-flight requests were never done
        log.warning("shared crawl: workers never finished: %s", ", ".join(left_behind))
        stats["lurewatch/incomplete/worker_lost"] = len(left_behind)


def crawl_worker(config: Config, sources: list[str] | None, wait: float, log_level: str = "WARNING") -> StageResult:
    """Join the shared crawls under way of the named (or enabled) sources as an extra worker."""
    if not config.crawl.redis_url:
        raise ConfigError("crawl --worker needs crawl.distributed.redis_url (or LUREWATCH_REDIS_URL)")
    selected = [s for s in select_sources(config, sources) if shareable(config, s)]
    if sources and len(selected) < len(set(sources)):
        raise ConfigError("crawl --worker: Telegram sources are crawled by the coordinator only")
    client = redis_client(config.crawl.redis_url)
    jobs = []
    for source in selected:
        try:
            frontier = Frontier.join(client, config.crawl.redis_prefix, source.name, wait)
        except FrontierError as exc:
            log.warning("%s", exc)
            continue
        known = tuple(sorted(frontier.known_ids(client)))
        jobs.append(CrawlJob(source.name, known, frontier=frontier.base, worker=worker_id(), seed=False))
    if not jobs:
        names = ", ".join(s.name for s in selected) or "(no shareable source)"
        raise FrontierError(f"no shared crawl to join for {names}")
    results = run_child(config, jobs, log_level)
    per_source = {}
    for job in jobs:
        result = results.get(job.source) or {"stats": {}, "error": "no result"}
        counts = source_counts(result["stats"], result["error"])
        counts["failed"], counts["complete"] = failed(counts, result["error"]), False
        per_source[job.source] = counts
    return StageResult(
        "crawl-worker",
        {**totals(per_source), "sources": per_source},
        partial=any(v["failed"] for v in per_source.values()),
    )
