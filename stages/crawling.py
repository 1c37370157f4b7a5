"""The crawl child process and what its results mean, for coordinators and workers alike.

stages.crawl (the coordinator of a crawl) and stages.scaleout (its frontiers and the
extra workers) both run crawler.run in a child process and read its stats the same
way; this module is below both.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from typing import Any

from config import Config, SourceConfig
from crawler.run import CrawlJob, child_main, freeze_config

log = logging.getLogger(__name__)
COLUMNS = ("pages", "new", "updated", "unchanged", "dropped", "errors", "refused")
REFUSED = "lurewatch/refused/"


class CrawlError(Exception):
    """The crawl child process could not run."""


def select_sources(config: Config, names: list[str] | None) -> list[SourceConfig]:
    """The named sources (ConfigError for unknown names), else every enabled one."""
    if names:
        return [config.source(name) for name in dict.fromkeys(names)]
    return [s for s in config.sources if s.enabled]


def run_child(
    config: Config, jobs: list[CrawlJob], log_level: str = "WARNING", overrides: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Run crawler.run.crawl_sources in a fresh (spawned) process; its results."""
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    # The child writes to the same run log files as this process (append mode).
    log_files = tuple(h.baseFilename for h in logging.getLogger().handlers if isinstance(h, logging.FileHandler))
    proc = ctx.Process(
        target=child_main,
        name="lurewatch-crawl",
        args=(freeze_config(config), jobs, log_level, overrides, sender, log_files, os.getpid()),
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
        "refused": stat("lurewatch/refused"),  # out of scope (crawler.scope), by reason in details
    }
    # Structured-data sources: pages that looked like ad pages (a JobPosting marker), those that
    # gave no ad, and the yield (ads per ad page) that health compares with recent crawls.
    ad_pages = stat("lurewatch/structured/ad_pages")
    if ad_pages:
        counts["ad_pages"] = ad_pages
        counts["unreadable"] = stat("lurewatch/dropped/unreadable_structured_data")
        counts["yield"] = round(stat("lurewatch/structured/ads") / ad_pages, 3)
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
LIMIT_KEYS = {
    "closespider_pagecount": "crawl.max_pages_per_source",
    "closespider_timeout": "crawl.max_minutes_per_source",
}


def failed(counts: dict[str, Any], error: str | None) -> bool:
    """True when the source failed; nothing fetched but errors or refusals means down, unreachable
    or out of scope (a start URL on a private address), not empty."""
    return (
        bool(error)
        or counts["finish_reason"] not in ("finished", *LIMITS)
        or (counts["pages"] == 0 and (counts["errors"] > 0 or counts.get("refused", 0) > 0))
    )


def refusals(counts: dict[str, Any]) -> str:
    """The refusals of one source by reason, e.g. "offsite 3, scheme 1" ("" when none)."""
    details = counts.get("details") or {}
    prefix = REFUSED.removeprefix("lurewatch/")
    return ", ".join(f"{k.removeprefix(prefix)} {v}" for k, v in sorted(details.items()) if k.startswith(prefix))


def complete(counts: dict[str, Any]) -> bool:
    """True when the crawl walked the whole source: only then may unseen ads count as removed."""
    details = counts["details"]
    return (
        counts["finish_reason"] == "finished"
        and counts["errors"] == 0
        and not any(k.startswith("incomplete/") for k in details)
    )


def totals(per_source: dict[str, dict[str, Any]]) -> dict[str, int]:
    """The table's columns summed over the sources."""
    return {c: sum(v[c] for v in per_source.values()) for c in COLUMNS}
