"""The desk as an ASGI application: routes, middleware, shared state."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import register_url_convertor
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from config import Config
from stages.common import utcnow
from store.db import current_revision
from web.auth import login_page, logout
from web.desk import HERE, page, redirect, render, templates
from web.security import BodyLimit, IdConvertor, RefuseNul, SecurityHeaders
from web.views.campaigns import campaign_page, decide_campaign
from web.views.claims import claims_page
from web.views.items import ad_page, claim, decide, item_page, release
from web.views.operations import models_page, run_detail, runs_list
from web.views.queue import queue_list, queue_next
from web.views.search import search_page
from web.views.share import contacts_csv_file, contacts_stix_file, share_page
from web.views.trends import trends_page
from web.views.watchlist import watchlist_add, watchlist_hits, watchlist_import, watchlist_page, watchlist_remove

SESSION_COOKIE = "lurewatch_session"


@page
def home(request: Request, session: Session, account: object) -> Response:
    """Where a login lands: the queue."""
    return redirect("/queue")


async def health(request: Request) -> Response:
    """For load balancers and Kubernetes probes: the process answers and the database too.
    No login, no session, no cookie; it tells nothing but "ok" and the schema revision."""

    def ping() -> str | None:
        with request.app.state.factory() as session:
            session.execute(text("SELECT 1"))
            return current_revision(session.get_bind())

    try:
        revision = await run_in_threadpool(ping)
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        return PlainTextResponse("database unavailable\n", status_code=503)
    return PlainTextResponse(f"ok\nschema {revision or 'none'}\n")


async def not_found(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", {"title": "Not found", "message": "There is no page at this address."}, 404)


# {name:id}: a database id or no route at all (web.security.IdConvertor).
register_url_convertor("id", IdConvertor())


def routes() -> list[Route | Mount]:
    """Every route of the desk; pages and actions are wrapped by web.desk.page/action."""
    return [
        Route("/", home),
        Route("/login", login_page, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/healthz", health),
        Route("/queue", queue_list),
        Route("/queue/next", queue_next, methods=["POST"]),
        Route("/items/{item_id:id}", item_page),
        Route("/items/{item_id:id}/claim", claim, methods=["POST"]),
        Route("/items/{item_id:id}/release", release, methods=["POST"]),
        Route("/items/{item_id:id}/decide", decide, methods=["POST"]),
        Route("/ads/{ad_id:id}", ad_page),
        Route("/campaigns/{campaign_id:id}", campaign_page),
        Route("/campaigns/{campaign_id:id}/decide", decide_campaign, methods=["POST"]),
        Route("/claims", claims_page),
        Route("/search", search_page),
        Route("/trends", trends_page),
        Route("/runs", runs_list),
        Route("/runs/{run_id:id}", run_detail),
        Route("/models", models_page),
        Route("/share", share_page),
        Route("/share/confirmed-contacts.csv", contacts_csv_file),
        Route("/share/confirmed-contacts.stix.json", contacts_stix_file),
        Route("/watchlist", watchlist_page),
        Route("/watchlist/hits", watchlist_hits),
        Route("/watchlist/add", watchlist_add, methods=["POST"]),
        Route("/watchlist/import", watchlist_import, methods=["POST"]),
        Route("/watchlist/{entry_id:int}/remove", watchlist_remove, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def create_app(
    config: Config, factory: sessionmaker[Session], secret_key: str, clock: Callable[[], datetime] = utcnow
) -> Starlette:
    """The desk on an open database; ``secret_key`` signs the session cookies."""
    https = config.web.https
    middleware = [
        Middleware(SecurityHeaders, https=https),
        Middleware(RefuseNul),
        Middleware(BodyLimit),
        # __Host- cookies are only ever sent back to this exact host over HTTPS.
        Middleware(
            SessionMiddleware,
            secret_key=secret_key,
            session_cookie=f"__Host-{SESSION_COOKIE}" if https else SESSION_COOKIE,
            max_age=int(config.web.session_hours * 3600),
            same_site="strict",
            https_only=https,
        ),
    ]
    if config.web.trusted_proxies:
        # X-Forwarded-For/-Proto only from the configured proxies (issue 23, probe 8: a rotating
        # X-Forwarded-For from anyone on loopback dodged the per-address login limit and was logged).
        middleware.insert(0, Middleware(ProxyHeadersMiddleware, trusted_hosts=list(config.web.trusted_proxies)))
    app = Starlette(routes=routes(), middleware=middleware, exception_handlers={404: not_found})
    app.state.config, app.state.factory, app.state.clock = config, factory, clock
    app.state.templates = templates()
    app.state.facets = {"at": 0.0, "value": None}  # web.views.queue caches the filters' choices here
    app.state.trends = {}  # and web.views.trends a minute of figures per window
    return app
