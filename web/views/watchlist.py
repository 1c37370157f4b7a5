"""The watchlist: known recruiter contacts, their hits and their ads; leads add, import and remove.

Every change goes through the store functions the CLI uses (store.watchlist), audited
under the lead's account; an import or an addition rescans the stored ads at once.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from store.accounts import Account
from store.errors import ImportValidationError, StoreError
from store.schema import WATCHLIST_KINDS
from store.search import ad_hits
from store.watchlist import ImportResult, add_entries, ads_with, remove_entry, watchlist, watchlist_events
from store.watchlistfile import ContactValueError, ListedContact, normalise_contact, read_watchlist_bytes
from web.desk import action, flash, page, redirect, render, upload

SHOWN_ERRORS = 5


@page
def watchlist_page(request: Request, session: Session, account: Account) -> Response:
    """Every entry and every confirmed contact: kind, value, source, hits, last seen."""
    rows = watchlist(session)
    return render(
        request,
        "watchlist.html",
        {"rows": rows, "kinds": WATCHLIST_KINDS, "events": watchlist_events(session, 20)},
    )


@page
def watchlist_hits(request: Request, session: Session, account: Account) -> Response:
    """The ads carrying one watchlisted contact, each linked to its ad and campaign."""
    kind = request.query_params.get("kind", "")
    value = request.query_params.get("value", "")[:300]
    hits = ad_hits(session, ads_with(session, kind, value)) if kind in WATCHLIST_KINDS and value else []
    return render(request, "watchlist_hits.html", {"kind": kind, "value": value, "hits": hits})


def _lead(request: Request, account: Account) -> bool:
    if account.is_lead:
        return True
    flash(request, "Only a lead can change the watchlist; nothing was changed.", "error")
    return False


def _done(request: Request, result: ImportResult, what: str) -> None:
    flash(
        request,
        f"{what}: {len(result.added)} added, {result.already} already listed; "
        f"{len(result.rescan.marked)} stored ad(s) now critical, {result.rescan.queued} newly queued.",
        "ok",
    )


@action
def watchlist_add(request: Request, session: Session, account: Account, form: FormData) -> Response:
    """One contact typed by a lead."""
    if not _lead(request, account):
        return redirect("/watchlist")
    source = " ".join(str(form.get("source") or "").split())[:200] or account.name
    try:
        kind, value = normalise_contact(str(form.get("kind") or ""), str(form.get("value") or ""))
    except ContactValueError as exc:
        flash(request, f"Not added: {exc}.", "error")
        return redirect("/watchlist")
    note = str(form.get("note") or "")[:2000]
    contact = ListedContact(kind, value, source, note, "form")
    now = request.app.state.clock()
    _done(request, add_entries(session, [contact], account.name, now, note="added in the desk"), f"{kind} {value}")
    return redirect("/watchlist")


@upload
def watchlist_import(request: Request, session: Session, account: Account, form: FormData) -> Response:
    """A partner's list (CSV or STIX 2.1), all or nothing, as `pipeline.py watchlist import`."""
    if not _lead(request, account):
        return redirect("/watchlist")
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        flash(request, "Choose a file to import.", "error")
        return redirect("/watchlist")
    name = file.filename
    try:
        contacts = read_watchlist_bytes(name, file.file.read(), str(form.get("source") or "") or None)
    except ImportValidationError as exc:
        for line in exc.errors[:SHOWN_ERRORS]:
            flash(request, line, "error")
        flash(request, f"{exc} (nothing was imported)", "error")
        return redirect("/watchlist")
    except StoreError as exc:
        flash(request, f"{exc} (nothing was imported)", "error")
        return redirect("/watchlist")
    now = request.app.state.clock()
    _done(request, add_entries(session, contacts, account.name, now, note=f"imported from {name} in the desk"), name)
    return redirect("/watchlist")


@action
def watchlist_remove(request: Request, session: Session, account: Account, form: FormData) -> Response:
    """Take one listing off the watchlist."""
    if not _lead(request, account):
        return redirect("/watchlist")
    entry_id = int(request.path_params["entry_id"])
    try:
        entry = remove_entry(session, entry_id, account.name, request.app.state.clock())
    except StoreError as exc:
        flash(request, str(exc), "error")
        return redirect("/watchlist")
    flash(request, f"Removed {entry.kind} {entry.value} (listed by {entry.source}).", "ok")
    return redirect("/watchlist")
