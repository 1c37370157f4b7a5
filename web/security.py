"""What keeps the desk safe to open next to a lure: headers, CSRF tokens, the bind rule.

Scraped text is rendered only as escaped text (the templates autoescape), and the
Content-Security-Policy below would stop anything that slipped through: no inline
script or style, nothing loaded from any origin but the desk itself, no framing,
no form posting elsewhere. Images are ``self`` and ``data:`` (the server-drawn
charts) only, so a lure's image URL can never reach its owner from an analyst's
browser.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from typing import Any, MutableMapping

from starlette.convertors import Convertor
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config import ConfigError

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
HSTS = "max-age=31536000; includeSubDomains"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MIN_SECRET = 32


class SecurityHeaders:
    """ASGI middleware: the headers above on every response; pages are never cached."""

    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app, self.https = app, https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if self.https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                # What analysts read stays off shared disks and out of back-button caches.
                headers.setdefault("Cache-Control", "private, max-age=3600" if static else "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token, made on first use (also for the login form)."""
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok(session: MutableMapping[str, Any], sent: str | None) -> bool:
    """Whether a form's (or a script's header's) token is this session's."""
    expected = session.get("csrf")
    return (
        isinstance(expected, str)
        and isinstance(sent, str)
        and bool(sent)
        and hmac.compare_digest(expected.encode(), sent.encode())
    )


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: reachable from this machine only."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def session_secret(host: str, secret: str | None) -> str:
    """The key that signs session cookies.

    LUREWATCH_SECRET_KEY, required (and at least MIN_SECRET characters) for any bind
    other than loopback; on loopback without it a random key serves this process
    only, so logins end when the server stops.
    """
    if secret:
        if len(secret) < MIN_SECRET:
            raise ConfigError(
                f"LUREWATCH_SECRET_KEY: too short, use at least {MIN_SECRET} random "
                f"characters (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return secret
    if not is_loopback(host):
        raise ConfigError(
            f"web: refusing to listen on {host} without LUREWATCH_SECRET_KEY: sessions "
            f"would be signed with a key anyone could guess. Set it in the environment "
            f"(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    return secrets.token_urlsafe(48)


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes gets 413 before any view reads it."""

    def __init__(self, app: ASGIApp, limit: int = 1024 * 1024) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.limit:
            await _too_large(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    await send(
        {"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"text/plain; charset=utf-8")]}
    )
    await send({"type": "http.response.body", "body": b"request too large\n"})


# A database id: 1 to 2**31 - 1 (PostgreSQL's integer), so /items/2147483648 is a 404, not an
# "integer out of range" 500, and /items/99999999999999999999 never reaches SQLite's int64.
_ID_REGEX = (
    "[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}"
    "|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7]"
)


class IdConvertor(Convertor[int]):
    """The ``{name:id}`` path parameter: an id that fits the database's integer column, else no route."""

    regex = f"(?:{_ID_REGEX})"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


class RefuseNul:
    """ASGI middleware: 400 for a request whose path or query holds a NUL (``%00``), which
    PostgreSQL refuses in text (it was a 500: issue 23, probe 10)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = scope.get("query_string", b"") + scope.get("raw_path", b"")
            if b"%00" in raw.lower() or b"\x00" in raw or "\x00" in scope.get("path", ""):
                await _bad_request(send, "NUL character in the request")
                return
        await self.app(scope, receive, send)


async def _bad_request(send: Send, text: str) -> None:
    await send(
        {"type": "http.response.start", "status": 400, "headers": [(b"content-type", b"text/plain; charset=utf-8")]}
    )
    await send({"type": "http.response.body", "body": f"Bad request: {text}.\n".encode()})
