"""A campaign: every ad linked by a shared contact or near-identical text, and one decision for all."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from stages.desk import decide_campaign_of
from store.accounts import Account
from store.details import Member, campaign_members
from store.errors import StoreError
from store.schema import DECISIONS
from web.charts import Timeline, timeline
from web.desk import action, flash, page, redirect, render
from web.views.items import MAX_NOTE, WORDS, not_found, sentence

TIMELINE_ROWS = 60


def _timeline(members: list[Member]) -> Timeline | None:
    shown = members[:TIMELINE_ROWS]
    if not shown:
        return None
    return timeline(
        [f"ad {m.ad_id}" for m in shown],
        [m.first_seen for m in shown],
        [m.last_seen for m in shown],
        [m.status or "" for m in shown],
    )


@page
def campaign_page(request: Request, session: Session, account: Account) -> Response:
    """Members, when each was seen, why each was linked, and the campaign decision form."""
    campaign_id = int(request.path_params["campaign_id"])
    members = campaign_members(session, campaign_id)
    if not members:
        return not_found(request, f"campaign {campaign_id} does not exist")
    statuses: dict[str, int] = {}
    for m in members:
        statuses[m.status or "not queued"] = statuses.get(m.status or "not queued", 0) + 1
    return render(
        request,
        "campaign.html",
        {
            "campaign_id": campaign_id,
            "members": members,
            "statuses": statuses,
            "timeline": _timeline(members),
            "timeline_rows": TIMELINE_ROWS,
            "decisions": WORDS,
            "max_note": MAX_NOTE,
            "sources": sorted({m.source for m in members}),
            "first": members[0].first_seen,
            "last": max(m.last_seen for m in members),
        },
    )


@action
def decide_campaign(request: Request, session: Session, account: Account, form: FormData) -> Response:
    """Decide every ad of the campaign not already judged scam or legit."""
    campaign_id = int(request.path_params["campaign_id"])
    decision = str(form.get("decision") or "")
    note = str(form.get("note") or "").strip()[:MAX_NOTE] or None
    if decision not in DECISIONS:
        flash(request, "Choose scam, legit, needs info or skip for the campaign.", "error")
        return redirect(f"/campaigns/{campaign_id}")
    try:
        # Every ad is checked before any is changed: a refusal leaves the campaign as it was.
        done = decide_campaign_of(session, campaign_id, decision, account.name, request.app.state.clock(), note)
    except StoreError as exc:
        flash(request, sentence(exc), "error")
        return redirect(f"/campaigns/{campaign_id}")
    flash(request, sentence(done), "ok")
    return redirect(f"/campaigns/{campaign_id}")
