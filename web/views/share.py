"""Share what was confirmed: scam contacts for platforms and police, as CSV or STIX 2.1."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from store.accounts import Account
from store.confirmed import LeftOut, confirmed_contacts, contacts_csv, contacts_stix
from web.desk import page, render

PREVIEW = 200


@page
def share_page(request: Request, session: Session, account: Account) -> Response:
    """The confirmed contacts and the two download buttons."""
    left_out: list[LeftOut] = []
    contacts = confirmed_contacts(session, left_out)
    return render(
        request,
        "share.html",
        {"contacts": contacts[:PREVIEW], "total": len(contacts), "preview": PREVIEW, "left_out": left_out[:PREVIEW]},
    )


def _download(request: Request, body: str, kind: str, media_type: str) -> Response:
    day = request.app.state.clock().date().isoformat()
    return Response(
        body.encode("utf-8"),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="confirmed-contacts-{day}.{kind}"'},
    )


@page
def contacts_csv_file(request: Request, session: Session, account: Account) -> Response:
    """The CSV (UTF-8 with a byte-order mark, so Excel reads Korean)."""
    return _download(request, "\ufeff" + contacts_csv(confirmed_contacts(session)), "csv", "text/csv; charset=utf-8")


@page
def contacts_stix_file(request: Request, session: Session, account: Account) -> Response:
    """The STIX 2.1 bundle."""
    return _download(
        request, contacts_stix(confirmed_contacts(session)), "stix.json", "application/stix+json;version=2.1"
    )
