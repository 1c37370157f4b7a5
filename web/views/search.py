"""Search: ads by phone number, handle, open-chat link, email, domain, company or words."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from store.accounts import Account
from store.search import KINDS, search
from web.desk import page, render
from web.views.paging import page_number

KIND_LABELS = {
    "auto": "anything (guess)",
    "phone": "phone number",
    "telegram": "Telegram handle or link",
    "kakao": "Kakao open chat or ID",
    "line": "LINE ID",
    "email": "email",
    "domain": "domain",
    "company": "company name",
    "text": "words in the ad",
}


@page
def search_page(request: Request, session: Session, account: Account) -> Response:
    """The search form and, when something was typed, a page of the ads found."""
    text = request.query_params.get("q", "")[:300]
    kind = request.query_params.get("kind", "auto")
    kind = kind if kind in ("auto", *KINDS) else "auto"
    size = request.app.state.config.web.page_size
    number = page_number(request)
    result = search(session, kind, text, size, (number - 1) * size) if text.strip() else None
    return render(
        request,
        "search.html",
        {"q": text, "kind": kind, "kinds": KIND_LABELS, "result": result, "page": number, "size": size},
    )
