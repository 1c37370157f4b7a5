"""Trends: lures flagged and confirmed per week, source, destination country and signal."""

from __future__ import annotations

import logging
import threading
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

log = logging.getLogger(__name__)
WINDOWS = (4, 12, 26, 52)
TOP = 15  # bars per chart; the table beside it lists every row
# Counting a year of the queue and drawing four charts takes a moment; the figures move
# with the nightly run and the day's verdicts. So one computation serves a minute of
# views, and older figures are shown at once (with the time they were counted) while a
# background thread counts them again: only the first view of a window waits.
FRESH_SECONDS = 60
_refreshing: set[int] = set()
_lock = threading.Lock()


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
    if kept is None:
        kept = cache[weeks] = (time.monotonic(), trends_figures(session, request.app.state.clock(), weeks))
    elif time.monotonic() - kept[0] > FRESH_SECONDS:
        _count_again(request.app, weeks)
    return render(request, "trends.html", kept[1])


def _count_again(app: Any, weeks: int) -> None:
    """Recount one window in a background thread (one at a time per window)."""
    with _lock:
        if weeks in _refreshing:
            return
        _refreshing.add(weeks)

    def work() -> None:
        try:
            with app.state.factory() as session:
                app.state.trends[weeks] = (time.monotonic(), trends_figures(session, app.state.clock(), weeks))
        except Exception:  # noqa: BLE001 - the old figures stay; the next view tries again
            log.exception("counting the trends of %d weeks failed", weeks)
        finally:
            with _lock:
                _refreshing.discard(weeks)

    threading.Thread(target=work, name=f"trends-{weeks}", daemon=True).start()


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
