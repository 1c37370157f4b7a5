"""Request plumbing shared by every page: templates, who is logged in, CSRF, flash messages.

Views are written as plain functions ``(request, session, account) -> Response``
(``form`` too for actions) and run in a worker thread with a database session
whose transaction commits when the view returns and rolls back when it raises.
Wrapping them in ``page`` or ``action`` is what makes a route need a login
(and, for actions, a valid CSRF token); there is no other way to write one.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

import jinja2
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from store.accounts import Account, session_account
from web.security import CSRF_FIELD, CSRF_HEADER, csrf_ok, csrf_token

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
FLASH_LEVELS = ("info", "ok", "error")

PageView = Callable[[Request, Session, Account], Response]
ActionView = Callable[[Request, Session, Account, FormData], Response]


def templates() -> Jinja2Templates:
    """The desk's templates: one folder, autoescaping everything, undefined names are errors."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=_when, day=_day, score=_score, plural=_plural)
    return Jinja2Templates(env=env, context_processors=[_context])


def _context(request: Request) -> dict[str, Any]:
    return {
        "csrf_token": csrf_token(request.session),
        "csrf_field": CSRF_FIELD,
        "account": getattr(request.state, "account", None),
        "flashes": request.session.pop("flash", []) if "flash" in request.session else [],
    }


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "—"


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    """A page from the templates folder."""
    return request.app.state.templates.TemplateResponse(request, name, context or {}, status_code=status_code)


def flash(request: Request, text: str, level: str = "info") -> None:
    """A message shown once, on the next page rendered for this session."""
    messages = list(request.session.get("flash", []))
    messages.append({"level": level if level in FLASH_LEVELS else "info", "text": str(text)[:500]})
    request.session["flash"] = messages[-5:]


def lease_of(request: Request) -> timedelta:
    """How long a claim made in the desk holds its item (web.lease_minutes)."""
    return timedelta(minutes=request.app.state.config.web.lease_minutes)


def redirect(url: str) -> RedirectResponse:
    """See other: after a POST, the browser GETs the next page."""
    return RedirectResponse(url, status_code=303)


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site (never another host), else ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"/login?next={quote(target, safe='')}")


def session_age(request: Request) -> timedelta:
    """How long a login lasts (web.session_hours)."""
    return timedelta(hours=request.app.state.config.web.session_hours)


def _session_account(request: Request, session: Session) -> Account | None:
    """The logged-in account, or None (no session, logged out, expired, disabled, password changed).

    The signed cookie names a server-side session (``sid``); logging out ends that, so
    the cookie alone, however well signed, opens nothing afterwards."""
    data = request.session
    user_id, epoch, at, sid = data.get("uid"), data.get("epoch"), data.get("at"), data.get("sid")
    if not isinstance(user_id, int) or not isinstance(epoch, int) or not isinstance(at, (int, float)):
        return None
    if not isinstance(sid, str):
        return None
    now = request.app.state.clock()
    if now - datetime.fromtimestamp(at, tz=now.tzinfo) > session_age(request):
        return None
    return session_account(session, sid, user_id, epoch, now, session_age(request))


def _run(request: Request, view: Callable[..., Response], *args: Any) -> Response:
    """Look up the account and run the view in one transaction; no account, no view."""
    with request.app.state.factory.begin() as session:
        account = _session_account(request, session)
        if account is None:
            request.session.pop("uid", None)
            return _login_redirect(request)
        request.state.account = account
        return view(request, session, account, *args)


def page(view: PageView) -> Callable[[Request], Any]:
    """A GET page that needs a logged-in account."""

    @functools.wraps(view)
    async def endpoint(request: Request) -> Response:
        return await run_in_threadpool(_run, request, view)

    return endpoint


def action(view: ActionView) -> Callable[[Request], Any]:
    """A POST action: a logged-in account and this session's CSRF token, else nothing happens."""

    @functools.wraps(view)
    async def endpoint(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=200, max_part_size=256 * 1024)
        if not csrf_ok(request.session, str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")):
            return forbidden(request)
        return await run_in_threadpool(_run, request, view, form)

    return endpoint


UPLOAD_BYTES = 1024 * 1024  # the desk's body limit (web.security.BodyLimit) bounds it anyway


def upload(view: ActionView) -> Callable[[Request], Any]:
    """A POST action that takes one file (multipart): like ``action`` otherwise."""

    @functools.wraps(view)
    async def endpoint(request: Request) -> Response:
        form = await request.form(max_files=1, max_fields=20, max_part_size=UPLOAD_BYTES)
        if not csrf_ok(request.session, str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")):
            await form.close()
            return forbidden(request)
        try:
            return await run_in_threadpool(_run, request, view, form)
        finally:
            await form.close()

    return endpoint


def forbidden(request: Request) -> Response:
    """The answer to a form without this session's token: nothing was changed."""
    log.warning("refused a form without a valid CSRF token: %s %s", request.method, request.url.path)
    return render(
        request,
        "error.html",
        {
            "title": "Form expired",
            "message": "This form was not sent from this session (it expired, "
            "or another site sent it). Nothing was changed. Reload the page and try again.",
        },
        status_code=403,
    )
