"""Logging in and out: the only pages served without an account."""

from __future__ import annotations

import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from store.accounts import Account, LoginRefused, authenticate, end_session, open_session
from web.desk import flash, forbidden, local_path, redirect, render, session_age
from web.security import CSRF_FIELD, csrf_ok


async def login_page(request: Request) -> Response:
    """The login form (GET), or a login attempt (POST)."""
    target = local_path(request.query_params.get("next"))
    if request.method == "GET":
        return render(request, "login.html", {"next": target, "name": "", "error": None})
    form = await request.form(max_files=0, max_fields=10, max_part_size=8 * 1024)
    if not csrf_ok(request.session, str(form.get(CSRF_FIELD) or "")):
        return forbidden(request)
    name, password = str(form.get("name") or ""), str(form.get("password") or "")
    target = local_path(str(form.get("next") or ""))
    client = request.client.host if request.client else "unknown"
    try:
        opened = await run_in_threadpool(_authenticate, request, name, password, client)
    except LoginRefused as exc:
        return render(request, "login.html", {"next": target, "name": name, "error": str(exc)}, status_code=429)
    if opened is None:
        return render(
            request,
            "login.html",
            {"next": target, "name": name, "error": "Wrong user name or password, or the account is disabled."},
            status_code=401,
        )
    account, sid = opened
    # A new session from scratch: nothing from before the login (a fixed token) carries over.
    request.session.clear()
    request.session.update(
        uid=account.id,
        epoch=account.session_epoch,
        sid=sid,
        at=request.app.state.clock().timestamp(),
        csrf=secrets.token_urlsafe(32),
    )
    return redirect(target)


def _authenticate(request: Request, name: str, password: str, client: str) -> tuple[Account, str] | None:
    """The account and its new server-side session's token, or None (wrong name or password)."""
    now = request.app.state.clock()
    with request.app.state.factory.begin() as session:
        account = authenticate(session, name, password, client, now)
        if account is None:
            return None
        return account, open_session(session, account, now, session_age(request))


async def logout(request: Request) -> Response:
    """End the session (POST with the session's token, so no other site can log anyone out)."""
    form = await request.form(max_files=0, max_fields=10, max_part_size=8 * 1024)
    if not csrf_ok(request.session, str(form.get(CSRF_FIELD) or "")):
        return forbidden(request)
    sid = request.session.get("sid")
    if isinstance(sid, str):
        # Ended on the server, not only forgotten by this browser: a copy of the old cookie
        # (another tab, a stolen one) opens nothing any more.
        await run_in_threadpool(_end, request, sid)
    request.session.clear()
    flash(request, "You are logged out.", "ok")
    return redirect("/login")


def _end(request: Request, sid: str) -> None:
    with request.app.state.factory.begin() as session:
        end_session(session, sid, request.app.state.clock())
