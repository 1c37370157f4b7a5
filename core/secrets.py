"""Credentials out of every URL we print, log or store.

Database, Redis and source URLs may carry a password (``postgresql://u:pw@db/x``,
``redis://:pw@cache:6379/0``, ``https://user:pw@board.example/``). Everything that
writes a URL or a message that may hold one (errors, the run log, crawls.error, the
run summary) goes through ``mask_text``; log handlers through ``MaskingFormatter``.
"""

from __future__ import annotations

import logging
import re

MASK = "***"
# scheme://user:password@ (the password runs to the last "@" before the path, so a raw
# "@" inside it is masked too); usernames stay: they say which account, not how to log in.
_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@?#]*):[^\s/?#]*@")
# http(s)://token@host: a lone userinfo on a web URL is usually a token.
_WEB_TOKEN = re.compile(r"(?P<head>\b(?:https?|ftp)://)[^\s:/@?#]+@", re.IGNORECASE)
# password=... (libpq and redis-py take credentials as query parameters, libpq also as key=value).
_QUERY_SECRET = re.compile(
    r"(?P<head>(?<![A-Za-z0-9_])(?:password|passwd|pwd|pass|secret|token|access_token|api_key|apikey)=)[^&\s#'\"]*",
    re.IGNORECASE,
)


def mask_text(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""
    if "@" not in text and "=" not in text:  # the common case costs one scan
        return text
    text = _PASSWORD.sub(rf"\g<head>:{MASK}@", text)
    text = _WEB_TOKEN.sub(rf"\g<head>{MASK}@", text)
    return _QUERY_SECRET.sub(rf"\g<head>{MASK}", text)


def mask_url(url: str | None) -> str:
    """One URL with its credentials masked ("" for None)."""
    return mask_text(url or "")


class MaskingFormatter(logging.Formatter):
    """Formats like ``inner`` (message, traceback and all), then masks credentials."""

    def __init__(self, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(self.inner.format(record))


def mask_handlers(handlers: list[logging.Handler]) -> None:
    """Make every handler in ``handlers`` mask credentials in what it writes."""
    for handler in handlers:
        if not isinstance(handler.formatter, MaskingFormatter):
            handler.setFormatter(MaskingFormatter(handler.formatter))


def mask_log_records() -> None:
    """Mask credentials in every log record this process creates, whatever handler writes it.

    For processes whose handlers are not all ours (Scrapy replaces its root handler for
    each crawler, then logs the crawler's settings, database and Redis URLs included).
    """
    factory = logging.getLogRecordFactory()
    if getattr(factory, "masks_credentials", False):
        return

    def masked(*args: object, **kwargs: object) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: the handler reports it, as logging does
            return record
        clean = mask_text(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return record

    masked.masks_credentials = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masked)
