"""Claims: who holds which item, until when; a lead can release any of them."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from store.accounts import Account
from store.details import claims
from store.queue import expire_leases
from web.desk import page, render


@page
def claims_page(request: Request, session: Session, account: Account) -> Response:
    """Every unexpired claim, soonest to end first; the analyst's own first in the summary."""
    now = request.app.state.clock()
    expire_leases(session, now)
    rows = claims(session, now)
    return render(
        request, "claims.html", {"rows": rows, "now": now, "mine": [r for r in rows if r.assignee == account.name]}
    )
