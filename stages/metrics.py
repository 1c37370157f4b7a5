"""A run's figures in the Prometheus text format, for node_exporter's textfile collector.

``run --metrics-file PATH`` writes them at the end of every run, failed runs included,
with prometheus_client's ``write_to_textfile`` (a temp file renamed over PATH, so the
collector never reads half a file). Point PATH into the collector's directory
(``--collector.textfile.directory``) and name it ``*.prom``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

from store.schema import RUN_STATUSES


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def write_metrics(
    path: Path,
    *,
    status: str,
    started: datetime,
    finished: datetime,
    counts: dict[str, Any],
    alarms: int,
    last_success: datetime | None,
    notifications_failed: int = 0,
) -> Path:
    """Write the run's metrics to ``path`` atomically; the path written."""
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, doc, labels, registry=registry)

    state = gauge("lurewatch_run_status", "1 for the status the last run ended with, 0 for the others", ("status",))
    for s in RUN_STATUSES:
        if s != "running":
            state.labels(status=s).set(1 if s == status else 0)
    gauge("lurewatch_run_start_timestamp_seconds", "When the last run started (Unix time)").set(started.timestamp())
    gauge("lurewatch_run_finish_timestamp_seconds", "When the last run ended (Unix time)").set(finished.timestamp())
    gauge("lurewatch_run_duration_seconds", "How long the last run took").set((finished - started).total_seconds())
    gauge(
        "lurewatch_last_success_timestamp_seconds",
        "When the newest run that completed (ok or partial) ended (Unix time); 0 if none ever did",
    ).set(last_success.timestamp() if last_success else 0)
    stages = counts.get("stages") or {}
    seconds = gauge("lurewatch_stage_duration_seconds", "Seconds each stage of the last run took", ("stage",))
    for name, stage in stages.items():
        seconds.labels(stage=name).set(_number(stage.get("seconds")))
    ads = gauge("lurewatch_source_ads", "Ads of each source in the last run's crawl, by outcome", ("source", "outcome"))
    errors = gauge("lurewatch_source_errors", "Errors of each source in the last run's crawl", ("source",))
    failed = gauge("lurewatch_source_failed", "1 when the source's crawl failed in the last run", ("source",))
    for source, row in ((stages.get("crawl") or {}).get("sources") or {}).items():
        for outcome in ("new", "updated", "unchanged", "dropped"):
            ads.labels(source=source, outcome=outcome).set(_number(row.get(outcome)))
        errors.labels(source=source).set(_number(row.get("errors")))
        failed.labels(source=source).set(1 if row.get("failed") else 0)
    score = stages.get("score") or {}
    gauge("lurewatch_ads_scored", "Ads the last run scored").set(_number(score.get("scored")))
    gauge("lurewatch_ads_flagged", "Ads the last run's model flagged").set(_number(score.get("flagged")))
    gauge("lurewatch_ads_queued", "Review items the last run queued").set(
        _number(score.get("queued")) + _number(score.get("watchlist_queued"))
    )
    gauge("lurewatch_watchlist_hits", "Ads the last run marked critical for a watchlisted contact").set(
        _number(score.get("watchlist_hits"))
    )
    gauge("lurewatch_alarms", "Health alarms the last run raised").set(alarms)
    gauge("lurewatch_notifications_failed", "Notifications of the last run that could not be delivered").set(
        notifications_failed
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
    return path
