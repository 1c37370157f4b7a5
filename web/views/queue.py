"""The queue: one row per campaign, filtered and ordered, and the way into the next item."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from core.bands import BANDS
from stages.desk import claim_next
from store.accounts import Account
from store.browse import SORT_ALIASES, SORTS, Browse, Facets, facets, queue_page, status_counts
from store.schema import REVIEW_STATUSES
from web.desk import action, flash, lease_of, page, redirect, render

FACETS_SECONDS = 60  # bands, sources and countries change with crawls and models, not by the second


def cached_facets(request: Request, session: Session) -> Facets:
    """The filters' choices, read again at most once a minute (per app)."""
    cache = request.app.state.facets
    if cache["value"] is None or time.monotonic() - cache["at"] > FACETS_SECONDS:
        cache.update(at=time.monotonic(), value=facets(session))
    return cache["value"]


def _date(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc) if text else None
    except ValueError:
        return None


def browse_of(request: Request) -> Browse:
    """The filters in the query string; anything unknown is ignored, never an error page."""
    q = request.query_params
    statuses = [s for s in q.getlist("status") if s in REVIEW_STATUSES or s == "all"]
    return Browse(
        statuses=None if "all" in statuses else tuple(statuses or ("pending",)),
        bands=tuple(b for b in q.getlist("band") if b in BANDS)[:10],
        source=q.get("source") or None,
        country=(q.get("country") or "").upper()[:8] or None,
        since=_date(q.get("since", "")),
        until=_date(q.get("until", "")),
        sort=SORT_ALIASES.get(q.get("sort", ""), q.get("sort"))
        if q.get("sort") in (*SORTS, *SORT_ALIASES)
        else "priority",
    )


def cursor_of(text: str | None) -> tuple[Any, ...] | None:
    """A page cursor from the query string (a JSON list of numbers and ISO times), or None."""
    try:
        values = json.loads(text or "null")
    except ValueError:
        return None
    if not isinstance(values, list) or not 1 <= len(values) <= 4:
        return None
    out: list[Any] = []
    for v in values:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(v)
        elif isinstance(v, str) and (when := _date(v[:40])) is not None:
            out.append(when)
        else:
            return None
    return tuple(out)


def cursor_text(cursor: tuple[Any, ...] | None) -> str | None:
    return None if cursor is None else json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in cursor])


def dates_reversed(browse: Browse) -> str:
    """A sentence when the 'from' date is after the 'before' date (no ad can match), else ""."""
    if browse.since and browse.until and browse.since >= browse.until:
        return (
            f"The “first seen from” date ({browse.since:%Y-%m-%d}) is not before the “before” date "
            f"({browse.until:%Y-%m-%d}), so no ad can match: swap them, or clear one."
        )
    return ""


@page
def queue_list(request: Request, session: Session, account: Account) -> Response:
    """The queue page."""
    browse = browse_of(request)
    choices = cached_facets(request, session)
    after = cursor_of(request.query_params.get("after"))
    result = queue_page(session, browse, request.app.state.config.web.page_size, after)
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
    return render(
        request,
        "queue.html",
        {
            "browse": browse,
            "facets": choices,
            "status_value": "all" if browse.statuses is None else browse.statuses[0],
            "rows": result.rows,
            "counts": status_counts(session),
            "next_after": cursor_text(result.cursor),
            "params": params,
            "statuses": REVIEW_STATUSES,
            "sorts": {
                "priority": "riskiest first (band, score, age)",
                "newest": "newest first",
                "oldest": "oldest first",
            },
            "first_page": after is None,
            "dates_reversed": dates_reversed(browse),
        },
    )


@action
def queue_next(request: Request, session: Session, account: Account, form: FormData) -> Response:
    """Claim the next item (or go back to one already held) and open it."""
    item_id = claim_next(session, account.name, request.app.state.clock(), lease_of(request))
    if item_id is None:
        flash(request, "The queue is empty: nothing pending to claim.", "ok")
        return redirect("/queue")
    return redirect(f"/items/{item_id}")
