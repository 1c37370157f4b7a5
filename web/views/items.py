"""One item: the focused ad page, and claiming, releasing and deciding it."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from core.phones import display_phone
from stages.desk import claim_next, claim_this, decide_this, item_for_ad, open_item, release_this
from store.accounts import Account
from store.errors import NotFoundError, StoreError
from store.queue import FINAL_DECISIONS, NOTE_REQUIRED_SCORE
from store.schema import DECISIONS
from web.desk import action, flash, lease_of, page, redirect, render

MAX_NOTE = 2000
WORDS = {"scam": "scam", "legit": "legit", "needs_info": "needs info", "skipped": "skipped"}


def _item_id(request: Request) -> int:
    return int(request.path_params["item_id"])


def not_found(request: Request, message: str) -> Response:
    return render(request, "error.html", {"title": "Not found", "message": message}, 404)


@page
def item_page(request: Request, session: Session, account: Account) -> Response:
    """The ad in full, its reasons marked in the text, and the decision panel."""
    try:
        item = open_item(session, _item_id(request), request.app.state.clock())
    except NotFoundError as exc:
        return not_found(request, str(exc))
    row, now = item.row, request.app.state.clock()
    mine = row.status == "in_review" and row.assignee == account.name
    # Buttons an analyst cannot use are shown disabled, saying why (the stage refuses anyway).
    verdict_of_other = row.status in FINAL_DECISIONS and bool(row.decided_by) and row.decided_by != account.name
    held_by_other = (
        row.status == "in_review" and row.assignee != account.name and bool(row.lease_expires_at)
        and row.lease_expires_at > now
    )  # fmt: skip
    locked = ""
    if verdict_of_other and not account.is_lead:
        locked = f"Decided {row.status} by {row.decided_by}: only {row.decided_by} or a lead may change that verdict."
    elif held_by_other:
        locked = f"Claimed by {row.assignee}: only they can decide it while they hold it."
    return render(
        request,
        "item.html",
        {
            "item": item,
            "row": row,
            "mine": mine,
            "locked": locked,
            "lead_override": verdict_of_other and account.is_lead,
            "phone": lambda v: display_phone(v, row.country, row.language),
            "decisions": WORDS,
            "now": request.app.state.clock(),
            "note_required": (item.row.score or 0) >= NOTE_REQUIRED_SCORE,
            "note_score": NOTE_REQUIRED_SCORE,
            "max_note": MAX_NOTE,
        },
    )


@page
def ad_page(request: Request, session: Session, account: Account) -> Response:
    """An ad by its id: its review item's page."""
    try:
        return redirect(f"/items/{item_for_ad(session, int(request.path_params['ad_id']))}")
    except NotFoundError as exc:
        return not_found(request, str(exc))


@action
def claim(request: Request, session: Session, account: Account, form: FormData) -> Response:
    """Claim the item on screen."""
    item_id = _item_id(request)
    try:
        claim_this(session, item_id, account.name, request.app.state.clock(), lease_of(request))
    except StoreError as exc:
        flash(request, sentence(exc), "error")
    return redirect(f"/items/{item_id}")


@action
def release(request: Request, session: Session, account: Account, form: FormData) -> Response:
    """Give the claim back (a lead may release anyone's)."""
    item_id = _item_id(request)
    try:
        flash(request, release_this(session, item_id, account.name, account.is_lead, request.app.state.clock()), "ok")
    except StoreError as exc:
        flash(request, sentence(exc), "error")
    back = str(form.get("back") or "")
    return redirect("/claims" if back == "claims" else f"/items/{item_id}")


@action
def decide(request: Request, session: Session, account: Account, form: FormData) -> Response:
    """Record a decision, then move on to the analyst's next item."""
    item_id, now = _item_id(request), request.app.state.clock()
    decision = str(form.get("decision") or "")
    note = str(form.get("note") or "").strip()[:MAX_NOTE] or None
    if decision not in DECISIONS:
        flash(request, f"Unknown decision {decision[:30]!r}: use scam, legit, needs info or skip.", "error")
        return redirect(f"/items/{item_id}")
    try:
        done = decide_this(
            session, item_id, decision, account.name, now, note, lead=account.is_lead, as_lead=bool(form.get("as_lead"))
        )
    except StoreError as exc:
        flash(request, sentence(exc), "error")
        return redirect(f"/items/{item_id}")
    flash(request, f"{sentence(done)} Next one.", "ok")
    following = claim_next(session, account.name, now, lease_of(request))
    if following is None:
        flash(request, "That was the last pending item: the queue is empty.", "ok")
        return redirect("/queue")
    return redirect(f"/items/{following}")


def sentence(message: object) -> str:
    """An error's or a stage's one line as a sentence for a flash message."""
    text = str(message).strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."
