"""Health alarms for the nightly run: sources that went quiet or error-prone.

A source that usually brings many ads and tonight brought none is more often a
changed page layout or a ban than a quiet night; an error rate above the limit
means part of the crawl is missing; a yield (ads per page that looks like an ad
page) well below its recent median means the site changed its markup and part of
it can no longer be read. All are alarms in the run summary and log.
"""

from __future__ import annotations

from statistics import median
from typing import Any, Mapping, Sequence

from config import HealthConfig


def _ads(row: Mapping[str, Any]) -> int:
    return sum(int(row.get(k) or 0) for k in ("new", "updated", "unchanged"))


def crawl_sources(counts: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Per-source crawl rows from a run's recorded counts (empty if it did not crawl)."""
    crawl = (counts.get("stages") or {}).get("crawl") or {}
    return dict(crawl.get("sources") or {})


def health_alarms(
    current: Mapping[str, Mapping[str, Any]], history: Sequence[Mapping[str, Mapping[str, Any]]], limits: HealthConfig
) -> list[str]:
    """Alarms for tonight's per-source crawl rows, given earlier runs' rows (newest first)."""
    alarms: list[str] = []
    for name, row in sorted(current.items()):
        pages, errors = int(row.get("pages") or 0), int(row.get("errors") or 0)
        if pages + errors and errors / (pages + errors) > limits.max_error_rate:
            alarms.append(
                f"{name}: error rate {errors / (pages + errors):.0%} "
                f"({errors} errors, {pages} pages) is above {limits.max_error_rate:.0%}"
            )
        past = [_ads(run[name]) for run in history if name in run][: limits.history_runs]
        if _ads(row) == 0 and past and median(past) >= limits.min_usual_ads:
            alarms.append(f"{name}: 0 ads tonight, usually {median(past):g} (median of the last {len(past)} runs)")
        elif alarm := _yield_alarm(name, row, history, limits):
            alarms.append(alarm)
    return alarms


def _yield_alarm(
    name: str, row: Mapping[str, Any], history: Sequence[Mapping[str, Mapping[str, Any]]], limits: HealthConfig
) -> str:
    """The alarm for a yield well below the source's recent median ("" when there is none)."""
    if row.get("yield") is None:
        return ""
    past = [float(run[name]["yield"]) for run in history if run.get(name, {}).get("yield") is not None]
    past = past[: limits.history_runs]
    if len(past) < limits.yield_history or float(row["yield"]) >= limits.min_yield_ratio * median(past):
        return ""
    return (
        f"{name}: {row['yield']:g} ads per ad page tonight, usually {median(past):g} (median of the last "
        f"{len(past)} crawls); {row.get('unreadable', 0)} of {row.get('ad_pages', 0)} ad pages unreadable"
    )
