"""Telling people after a run: webhooks (Slack, Teams, any JSON reader) and e-mail.

Messages go out after the run has ended and been recorded, one per event that fired
and that a target asked for (``notify:`` in config.yaml): ``run_failed``,
``run_partial``, ``alarm``, ``critical`` (items the run scored critical) and
``watchlist_hit``. Delivery never blocks or fails the run: every attempt has a timeout,
failures are retried a few times with a growing pause (``notify.retries``,
``notify.backoff_seconds``), and what happened is logged, recorded with the run
(``runs.counts["notifications"]``) and shown in its summary.

Secrets stay out of what is printed, logged or stored: a webhook URL is shown as its
host only (Slack and Teams URLs carry their token in the path), the SMTP password
comes from LUREWATCH_SMTP_PASSWORD and is sent only over TLS. Ad titles are scraped
text: escaped for Slack's markup and for the HTML part of the e-mail.
"""

from __future__ import annotations

import functools
import html
import logging
import smtplib
import socket
import ssl
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker

from config import Config, EmailTarget, WebhookTarget
from core.secrets import mask_text
from store.notices import Notice, critical_in_window, notices_for_ads

log = logging.getLogger(__name__)

MAX_ITEMS = 50  # items listed in one message; the count says how many there were
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}


class DeliveryError(Exception):
    """One attempt to deliver a message failed; ``retry`` says whether another may succeed."""

    def __init__(self, message: str, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Delivery:
    """How one message reached (or did not reach) one target."""

    channel: str  # webhook | email
    target: str  # masked: a webhook's host, an SMTP server and its recipients
    event: str
    ok: bool
    attempts: int
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Message:
    """One event of one run, as every target receives it."""

    event: str
    run_id: int | None
    status: str
    headline: str  # no scraped text: it becomes the e-mail subject
    summary: str
    items: list[dict[str, Any]] = field(default_factory=list)
    total_items: int = 0
    alarms: list[str] = field(default_factory=list)

    def text(self, slack: bool = False) -> str:
        """Plain text; ``slack`` escapes what Slack's markup would read as links or mentions."""
        esc = _slack_escape if slack else (lambda s: s)
        lines = [esc(self.headline)]
        for item in self.items:
            where = f" {item['url']}" if item.get("url") else ""
            lines.append(f"- [{item['band']} {item['score']:.2f}] {esc(item['title'])} (item {item['id']}){where}")
        if self.total_items > len(self.items):
            lines.append(f"... and {self.total_items - len(self.items)} more")
        lines += [f"ALARM {esc(a)}" for a in self.alarms]
        if self.summary:
            lines += ["", esc(self.summary)]
        return "\n".join(lines)

    def html(self) -> str:
        """The same content as HTML, every value escaped."""
        e = html.escape
        rows = "".join(
            "<li>[{band} {score:.2f}] {title} (item {id}){link}</li>".format(
                band=e(i["band"]),
                score=i["score"],
                title=e(i["title"]),
                id=int(i["id"]),
                link=f' <a href="{e(i["url"])}">open in the desk</a>' if i.get("url") else "",
            )
            for i in self.items
        )
        more = f"<p>... and {self.total_items - len(self.items)} more</p>" if self.total_items > len(self.items) else ""
        alarms = "".join(f"<p><strong>ALARM</strong> {e(a)}</p>" for a in self.alarms)
        summary = f"<pre>{e(self.summary)}</pre>" if self.summary else ""
        body = f"<ul>{rows}</ul>" if rows else ""
        return f"<!doctype html><html><body><p>{e(self.headline)}</p>{body}{more}{alarms}{summary}</body></html>"

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON: the fields scripts read, and ``text`` for Slack/Teams-style hooks."""
        return {
            "event": self.event,
            "run_id": self.run_id,
            "status": self.status,
            "summary": self.summary,
            "items": self.items,
            "total_items": self.total_items,
            "alarms": self.alarms,
            "text": self.text(slack=True),
        }


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_label(url: str) -> str:
    """A webhook as it may be shown: scheme and host, the path (where tokens live) hidden."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "webhook ***"
    return f"{parts.scheme}://{host}{port}/***"


def email_label(target: EmailTarget) -> str:
    return f"{'smtps' if target.tls else 'smtp'}://{target.host}:{target.port} -> {', '.join(target.to)}"


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in sorted((s for s in secrets if s and len(s) > 1), key=len, reverse=True):
        text = text.replace(secret, "***")
    return mask_text(" ".join(text.split()))[:300]


def _url_secrets(url: str) -> list[str]:
    parts = urlsplit(url)
    return [url, parts.path + (f"?{parts.query}" if parts.query else ""), parts.path, parts.query]


class _ScrubFilter(logging.Filter):
    """Takes webhook paths out of urllib3's debug lines ("POST /services/T0/B0/token")."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logging's to report
            return True
        clean = _scrub(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


@contextmanager
def _quiet_urls(secrets: list[str]) -> Iterator[None]:
    logger = logging.getLogger("urllib3.connectionpool")
    scrub = _ScrubFilter(secrets)
    logger.addFilter(scrub)
    try:
        yield
    finally:
        logger.removeFilter(scrub)


def _post(target: WebhookTarget, message: Message, timeout: float) -> None:
    import requests  # only a run with webhooks pays for it

    try:
        response = requests.post(
            target.url,
            json=message.payload(),
            timeout=(min(5.0, timeout), timeout),
            allow_redirects=False,
            headers={"User-Agent": "lurewatch-notify"},
        )
    except requests.Timeout:
        raise DeliveryError(f"no answer within {timeout:g} s") from None
    except requests.RequestException as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
    if response.status_code >= 300:
        raise DeliveryError(f"HTTP {response.status_code}", retry=response.status_code in RETRY_STATUSES)


def build_email(target: EmailTarget, message: Message) -> EmailMessage:
    """Plain text plus HTML, the same content."""
    mail = EmailMessage()
    mail["Subject"] = f"[lurewatch] {message.headline}"
    mail["From"] = target.sender
    mail["To"] = ", ".join(target.to)
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = make_msgid(domain=target.sender.rpartition("@")[2] or None)
    mail.set_content(message.text())
    mail.add_alternative(message.html(), subtype="html")
    return mail


def _mail(target: EmailTarget, message: Message, timeout: float) -> None:
    context = ssl.create_default_context()
    try:
        if target.tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(target.host, target.port, timeout=timeout)
        with smtp:
            smtp.ehlo()
            secure = target.tls
            if not secure and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
                secure = True
            if target.password:
                if not secure:
                    raise DeliveryError("the server offers no STARTTLS; the password is not sent in clear", retry=False)
                smtp.login(target.username or target.sender, target.password)
            smtp.send_message(build_email(target, message))
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"login refused ({exc.smtp_code})", retry=False) from None
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryError("every recipient was refused", retry=False) from None
    except (smtplib.SMTPException, OSError, socket.timeout) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None


def _attempt(
    send: Callable[[], None], retries: int, backoff: float, sleep: Callable[[float], None]
) -> tuple[int, str | None]:
    """(attempts made, the last error or None): retries with backoff * 2**n pauses."""
    attempt = 0
    while True:
        attempt += 1
        try:
            send()
            return attempt, None
        except DeliveryError as exc:
            if not exc.retry or attempt > retries:
                return attempt, str(exc)
        sleep(backoff * 2 ** (attempt - 1))


def deliver(
    config: Config, messages: list[Message], *, everything: bool = False, sleep: Callable[[float], None] = time.sleep
) -> list[Delivery]:
    """Send each message to each target that wants its event (``everything``: to all)."""
    n = config.notify
    out: list[Delivery] = []
    for hook in n.webhooks:
        secrets = _url_secrets(hook.url)
        for message in messages:
            if not everything and message.event not in hook.events:
                continue
            with _quiet_urls(secrets):
                attempts, error = _attempt(
                    functools.partial(_post, hook, message, n.timeout_seconds), n.retries, n.backoff_seconds, sleep
                )
            out.append(_record("webhook", webhook_label(hook.url), message.event, attempts, error, secrets))
    if n.email is not None:
        target = n.email
        for message in messages:
            if not everything and message.event not in target.events:
                continue
            attempts, error = _attempt(
                functools.partial(_mail, target, message, n.timeout_seconds), n.retries, n.backoff_seconds, sleep
            )
            out.append(_record("email", email_label(target), message.event, attempts, error, [target.password or ""]))
    return out


def _record(channel: str, label: str, event: str, attempts: int, error: str | None, secrets: list[str]) -> Delivery:
    clean = _scrub(error, secrets) if error else None
    if clean:
        log.warning("notification %s to %s failed after %d attempt(s): %s", event, label, attempts, clean)
    else:
        log.info("notification %s sent to %s", event, label)
    return Delivery(channel, label, event, clean is None, attempts, clean)


def send_test(config: Config, sleep: Callable[[float], None] = time.sleep) -> list[Delivery]:
    """`notify test`: one test message to every configured target, whatever events it wants."""
    message = Message(
        "test",
        None,
        "ok",
        "test message: lurewatch can reach this target",
        "Sent by `pipeline.py notify test`. Nothing happened; no action is needed.",
    )
    return deliver(config, [message], everything=True, sleep=sleep)


def format_deliveries(deliveries: list[Delivery]) -> str:
    """One line per delivery: ok or FAILED, target, event, attempts, error."""
    if not deliveries:
        return "no notification target configured (notify: in config.yaml)"
    return "\n".join(
        f"{'ok' if d.ok else 'FAILED'}  {d.channel} {d.target} ({d.event})"
        + ("" if d.ok else f" after {d.attempts} attempt(s): {d.error}")
        for d in deliveries
    )


def _item(notice: Notice, base_url: str | None) -> dict[str, Any]:
    return {
        "id": notice.item_id,
        "ad_id": notice.ad_id,
        "band": notice.band,
        "score": round(notice.score, 4),
        "title": " ".join(notice.title.split())[:300],
        "url": f"{base_url.rstrip('/')}/items/{notice.item_id}" if base_url else None,
    }


def run_messages(
    config: Config,
    factory: sessionmaker[Session],
    *,
    run_id: int,
    status: str,
    summary: str,
    alarms: list[str],
    started: datetime,
    finished: datetime,
    watchlist_ads: list[int],
) -> list[Message]:
    """The messages a finished run calls for: one per event that fired."""
    base = config.web.base_url
    summary, alarms = mask_text(summary), [mask_text(a) for a in alarms]  # a source URL may carry a password
    messages = []
    if status in ("failed", "interrupted"):
        messages.append(Message("run_failed", run_id, status, f"run {run_id} {status}", summary))
    if status == "partial":
        messages.append(Message("run_partial", run_id, status, f"run {run_id} partial: some sources failed", summary))
    if alarms:
        messages.append(
            Message("alarm", run_id, status, f"run {run_id}: {len(alarms)} alarm(s)", summary, alarms=list(alarms))
        )
    with factory() as session:
        total, critical = critical_in_window(session, started, finished, MAX_ITEMS)
        hits = notices_for_ads(session, watchlist_ads)
    if total:
        items = [_item(n, base) for n in critical]
        messages.append(
            Message("critical", run_id, status, f"run {run_id}: {total} critical ad(s)", summary, items, total)
        )
    if hits:
        items = [_item(n, base) for n in hits[:MAX_ITEMS]]
        headline = f"run {run_id}: {len(hits)} ad(s) carry a contact on the watchlist"
        messages.append(Message("watchlist_hit", run_id, status, headline, summary, items, len(hits)))
    return messages
