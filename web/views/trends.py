"""Trends: lures flagged and confirmed per week, source, destination country and signal."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from store.accounts import Account
from store.trends import Counts, trends
from web.charts import bar_chart, weekly_chart
from web.desk import page, render

WINDOWS = (4, 12, 26, 52)
TOP = 15  # bars per chart; the table beside it lists every row
# Counting a year of the queue and drawing four charts takes a moment; the figures move
# with the nightly run and the day's verdicts, so one computation serves a minute of views.
FRESH_SECONDS = 60


def _bars(rows: list[Counts]) -> str | None:
    top = rows[:TOP]
    if not top:
        return None
    return bar_chart(
        tuple(r.label or r.key for r in top),
        tuple(r.flagged for r in top),
        tuple(r.confirmed for r in top),
        tuple(r.cleared for r in top),
    )


@page
def trends_page(request: Request, session: Session, account: Account) -> Response:
    """Every chart with its numbers beside it, for the last N weeks."""
    raw = request.query_params.get("weeks", "12")
    weeks = int(raw) if raw.isdigit() and int(raw) in WINDOWS else 12
    cache = request.app.state.trends
    kept = cache.get(weeks)
    if kept is None or time.monotonic() - kept[0] > FRESH_SECONDS:
        kept = cache[weeks] = (time.monotonic(), trends_figures(session, request.app.state.clock(), weeks))
    return render(request, "trends.html", kept[1])


def trends_figures(session: Session, now: datetime, weeks: int) -> dict[str, Any]:
    """The trends page's context: counts, charts and tables."""
    data = trends(session, now, weeks)
    weekly = weekly_chart(
        tuple(w.key for w in data.weeks),
        tuple(w.flagged for w in data.weeks),
        tuple(w.confirmed for w in data.weeks),
        tuple(w.precision for w in data.weeks),
    )
    return {
        "data": data,
        "weeks": weeks,
        "windows": WINDOWS,
        "weekly_chart": weekly,
        "top": TOP,
        "sections": [
            ("By source", "source", data.sources, _bars(data.sources)),
            ("By destination country", "country", data.countries, _bars(data.countries)),
            ("By signal", "signal", data.signals, _bars(data.signals)),
        ],
    }
