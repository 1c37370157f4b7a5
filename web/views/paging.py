"""Page numbers from the query string, never trusted blindly."""

from __future__ import annotations

from starlette.requests import Request

MAX_PAGE = 10_000


def page_number(request: Request, name: str = "page") -> int:
    """``?page=N`` as a number from 1 to MAX_PAGE (junk means 1)."""
    raw = request.query_params.get(name, "1")
    return min(max(int(raw), 1), MAX_PAGE) if raw.isdigit() else 1


def int_param(request: Request, name: str) -> int | None:
    """An optional positive whole-number parameter (junk means absent)."""
    raw = request.query_params.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None
