"""The review queue for terminal users: who the analyst is, and readable text.

Scraped text goes to a terminal here, so control characters (ANSI escapes
could rewrite the screen or fake output) are stripped before printing, and
nothing is ever rendered as HTML.
"""

from __future__ import annotations

import getpass
import os
import re
import unicodedata
from typing import Any, Mapping, Sequence

from core.reasons import reason_text
from store.exports import contacts_text
from store.listing import QueueRow
from store.schema import ReviewEvent

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MARK_OPEN, MARK_CLOSE = "»", "«"
ANSI_OPEN, ANSI_CLOSE = "\x1b[1;31m", "\x1b[0m"


def analyst_name(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """--analyst, else LUREWATCH_ANALYST, else the operating-system user."""
    env = os.environ if environ is None else environ
    name = (explicit or env.get("LUREWATCH_ANALYST") or "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): still record something
        return "unknown"


def clean(text: Any) -> str:
    """Scraped text made safe for a terminal: no control characters (newlines kept)."""
    return _CONTROL.sub("", str(text or "")).replace("\r", "")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` terminal columns (Korean characters take two), padded."""
    text = " ".join(clean(text).split())
    out, used = "", 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > width - (1 if len(out) < len(text) else 0):
            out += "…"
            used += 1
            break
        out, used = out + ch, used + w
    return out + " " * max(0, width - _width(out))


def _campaign(row: QueueRow, listed: int | None = None) -> str:
    if row.campaign_id is None:
        return ""
    text = f"C{row.campaign_id} ×{row.campaign_size}"
    if listed and listed > 1:
        text += f" ({listed} here)"
    return text + (" scam" if row.campaign_scam else "")


def format_list(rows: Sequence[tuple[QueueRow, int]]) -> str:
    """The queue as a table; a campaign shows once with its size."""
    if not rows:
        return "no review items match"
    lines = [
        f"{'ID':>6}  {'SCORE':>5}  {'BAND':<6}  {'STATUS':<10}  {fit('CAMPAIGN', 20)}  "
        f"{fit('SOURCE', 14)}  {'CC':<3} TITLE"
    ]
    for row, listed in rows:
        score = f"{row.score:.2f}" if row.score is not None else "-"
        lines.append(
            f"{row.review_id:>6}  {score:>5}  {row.band:<6}  {row.status:<10}  "
            f"{fit(_campaign(row, listed), 20)}  {fit(row.source, 14)}  "
            f"{fit(row.country, 3)} {fit(row.title, 60).rstrip()}"
        )
    return "\n".join(lines)


def mark_evidence(text: str, evidence: Sequence[str], ansi: bool = False) -> str:
    """``text`` with every evidence phrase marked »like this« (or bold red on a TTY)."""
    text = clean(text)
    phrases = sorted({clean(e).strip() for e in evidence if clean(e).strip()}, key=len, reverse=True)
    if not phrases:
        return text
    pattern = re.compile("|".join(re.escape(p) for p in phrases), re.IGNORECASE)
    opening, closing = (ANSI_OPEN, ANSI_CLOSE) if ansi else (MARK_OPEN, MARK_CLOSE)
    return pattern.sub(lambda m: f"{opening}{m.group(0)}{closing}", text)


def format_show(row: QueueRow, events: Sequence[ReviewEvent], ansi: bool = False) -> str:
    """One item in full: the ad, its reasons, the evidence marked in the text, its history."""
    evidence = [str(r.get("evidence") or "") for r in row.reasons if isinstance(r, dict)]
    score = f"{row.score:.2f}" if row.score is not None else "not scored"
    lines = [
        f"review {row.review_id}  ({row.status}{', ' + row.assignee if row.assignee else ''})",
        f"score    {score} {row.band} (model {row.model_version or '-'})",
        f"title    {mark_evidence(row.title, evidence, ansi)}",
        f"company  {clean(row.company)}",
        f"location {clean(row.location)} {clean(row.country)}".rstrip(),
        f"salary   {clean(row.salary)}",
        f"url      {clean(row.url)}",
        f"source   {clean(row.source)}, first seen {row.first_seen.date().isoformat()}",
    ]
    if row.campaign_id is not None:
        lines.append(f"campaign {_campaign(row)}")
    contacts = contacts_text(row.contacts)
    if contacts:
        lines.append("contacts " + clean(contacts).replace("\n", "\n         "))
    if row.decided_by:
        lines.append(f"decided  {row.status} by {clean(row.decided_by)}" + (f": {clean(row.note)}" if row.note else ""))
    lines.append("reasons")
    lines += [f"  - {clean(reason_text(r))}" for r in row.reasons if isinstance(r, dict)] or ["  (none)"]
    lines += ["", mark_evidence(row.description, evidence, ansi), "", "history"]
    for e in events:
        note = f": {clean(e.note)}" if e.note else ""
        lines.append(
            f"  {e.at.isoformat(timespec='minutes')} {clean(e.actor)} {e.old_status or '-'} -> {e.new_status}{note}"
        )
    return "\n".join(lines)
