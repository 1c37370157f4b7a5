"""The review queue from a terminal: list, show, claim, release, decide, import decisions.

Each action is one transaction on the configured database, as the analyst named by
--analyst, $LUREWATCH_ANALYST or the OS user. Scraped text goes to a terminal here,
so control characters (ANSI escapes could rewrite the screen or fake output) are
stripped before printing, and nothing is ever rendered as HTML.
"""

from __future__ import annotations

import getpass
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Mapping, Sequence

from sqlalchemy.orm import Session

from classifier import registry
from classifier.card import threshold_for
from config import Config
from core.reasons import evidence_parts, reason_text
from core.spreadsheet import display_width, place_text
from stages.common import database, utcnow
from store.audit import Claim, LogEntry, active_claims, review_log
from store.campaigns import campaign_of
from store.decisions import ImportResult, UndoResult, import_decisions, undo_import
from store.errors import ImportValidationError, NotFoundError, ReviewError
from store.exportrows import contacts_text
from store.leases import release_any
from store.listing import QueueFilter, QueueRow, collapse_campaigns, list_items, spread_uncertain
from store.queue import claim, decide, decide_campaign, expire_leases, get_item, item_events, release
from store.schema import ReviewEvent

Listed = list[tuple[QueueRow, int]]  # a row and how many of its campaign's items it stands for

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
    return out + " " * max(0, width - display_width(out))


def _campaign(row: QueueRow, listed: int | None = None) -> str:
    if row.campaign_id is None:
        return ""
    text = f"C{row.campaign_id} ×{row.campaign_size}"
    if listed and listed > 1:
        text += f" ({listed} here)"
    return text + (" scam" if row.campaign_scam else "")


def format_list(rows: Sequence[tuple[QueueRow, int]], empty: str = "no review items match") -> str:
    """The queue as a table; a campaign shows once with its size."""
    if not rows:
        return empty
    lines = [
        f"{'ID':>6}  {'SCORE':>5}  {'BAND':<8}  {'STATUS':<10}  {fit('CAMPAIGN', 20)}  "
        f"{fit('SOURCE', 14)}  {'CC':<3} TITLE"
    ]
    for row, listed in rows:
        score = f"{row.score:.2f}" if row.score is not None else "-"
        lines.append(
            f"{row.review_id:>6}  {score:>5}  {row.band:<8}  {row.status:<10}  "
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


def format_show(view: ItemView, ansi: bool = False) -> str:
    """One item in full: the ad, its reasons, the evidence marked in the text, its history."""
    row, events = view.row, view.events
    evidence = [t for r in row.reasons if isinstance(r, dict) for t, _, _ in evidence_parts(r)]
    score = f"{row.score:.2f}" if row.score is not None else "not scored"
    lines = [
        f"review {row.review_id}  ({row.status}{', ' + row.assignee if row.assignee else ''})",
        f"score    {score} {row.band} (model {row.model_version or '-'})",
        f"title    {mark_evidence(row.title, evidence, ansi)}",
        f"company  {clean(row.company)}",
        f"location {clean(place_text(row.location, row.country))}".rstrip(),
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


# ------------------------------------------------------------------ actions


def scoring_threshold(config: Config) -> float:
    """The threshold the queue was scored at: scoring.threshold, else the scoring model's card."""
    version = config.scoring.model
    if config.scoring.threshold is None and version == "current":
        version = registry.current_version(config.models.dir)
    card = registry.read_card(config.models.dir, version) if config.scoring.threshold is None else {}
    return threshold_for(card, config.scoring.threshold)


def list_queue(
    config: Config, filters: QueueFilter, *, all_items: bool = False, limit: int = 200, uncertain: int | None = None
) -> Listed:
    """The queue, one row per campaign (or per item); with ``uncertain``, the N items the
    model is least sure about, spread across campaigns."""
    if uncertain is not None and filters.statuses != ("pending",):
        raise ReviewError("--uncertain ranks pending items only; leave out --status (or use --status pending)")
    with database(config, create=False) as factory, factory.begin() as session:
        expire_leases(session, utcnow())
        if uncertain is not None:
            rows = spread_uncertain(list_items(session, filters), scoring_threshold(config), uncertain)
            return [(r, 1) for r in rows]
        rows = list_items(session, filters, limit=limit)
        return [(r, 1) for r in rows] if all_items else collapse_campaigns(rows)


@dataclass(frozen=True)
class ItemView:
    """One review item in full, and its history."""

    row: QueueRow
    events: list[ReviewEvent]


def show_item(config: Config, item_id: int) -> ItemView:
    """The ad, reasons and history of one review item."""
    with database(config, create=False) as factory, factory.begin() as session:
        rows = list_items(session, QueueFilter(statuses=None), item_ids=[item_id])
        if not rows:
            raise NotFoundError(f"review item {item_id} does not exist")
        return ItemView(rows[0], item_events(session, item_id))


def claim_items(config: Config, n: int, minutes: int, analyst: str | None = None) -> Listed:
    """Lease the N highest-priority pending items to the analyst; the items claimed."""
    who, now = analyst_name(analyst), utcnow()
    with database(config, create=False) as factory, factory.begin() as session:
        ids = claim(session, who, n, now, timedelta(minutes=minutes))
        return [(r, 1) for r in list_items(session, QueueFilter(statuses=None), item_ids=ids)]


def release_in(session: Session, item_id: int, analyst: str, now: datetime, lead: bool = False) -> str:
    """Give a claim back: the analyst's own (or a lapsed one), or, for a lead, anyone's.

    The one path of every release: `review release` and the desk both call it.
    """
    item = get_item(session, item_id)
    if lead and item.status == "in_review" and item.assignee and item.assignee != analyst:
        holder = item.assignee
        release_any(session, item_id, analyst, now)
        return f"review item {item_id} released (it was claimed by {holder})"
    release(session, item_id, analyst, now)
    return f"review item {item_id} released"


def release_item(config: Config, item_id: int, analyst: str | None = None) -> str:
    """Give a claimed item back to the pool."""
    with database(config, create=False) as factory, factory.begin() as session:
        return release_in(session, item_id, analyst_name(analyst), utcnow())


def decide_item(
    config: Config,
    item_id: int,
    decision: str,
    *,
    note: str | None = None,
    campaign: bool = False,
    analyst: str | None = None,
) -> str:
    """Record a decision on one item, or (``campaign``) on every ad of its campaign."""
    who, now = analyst_name(analyst), utcnow()
    with database(config, create=False) as factory, factory.begin() as session:
        if not campaign:
            return decide_in(session, item_id, decision, who, now, note)
        campaign_id = campaign_of(session, get_item(session, item_id).ad_id)
        if campaign_id is None:
            raise ReviewError(f"review item {item_id} is not part of a campaign")
        return decide_campaign_in(session, campaign_id, decision, who, now, note)


def decide_in(session: Session, item_id: int, decision: str, analyst: str, now: datetime, note: str | None) -> str:
    """Record a decision on one item (store.queue's rules); what happened, in one line.

    The one path of every decision on an item: `review decide` and the desk both call it.
    """
    item = decide(session, item_id, decision, analyst, now, note)
    return f"review item {item_id}: {item.status} (by {item.decided_by})"


def decide_campaign_in(
    session: Session, campaign_id: int, decision: str, analyst: str, now: datetime, note: str | None
) -> str:
    """Decide every ad of a campaign not yet judged scam or legit; what happened, in one line."""
    counts = decide_campaign(session, campaign_id, decision, analyst, now, note)
    return f"campaign {campaign_id}: {counts['decided']} ad(s) decided, {counts['kept']} earlier decision(s) kept"


@dataclass(frozen=True)
class Imported:
    """What importing a filled-in export did, and as whom."""

    analyst: str
    result: ImportResult


def import_file(config: Config, path: Path, analyst: str | None = None, encoding: str | None = None) -> Imported:
    """Apply the decisions typed into an export (CSV or XLSX), all or nothing; recorded as an import."""
    who = analyst_name(analyst)
    with database(config, create=False) as factory:
        try:
            with factory.begin() as session:
                return Imported(who, import_decisions(session, Path(path), who, utcnow(), encoding))
        except ImportValidationError as exc:
            summary = f"{len(exc.errors)} problem(s) in {Path(path).name}; nothing was applied"
            raise ImportValidationError(exc.errors, summary) from None


def format_import(imported: Imported) -> str:
    """How many decisions were recorded, unchanged, left blank, and how to undo the import."""
    r = imported.result
    return (
        f"import {r.import_id} ({r.read_as}): {r.applied} decision(s) recorded as {imported.analyst}, "
        f"{r.unchanged} unchanged, {r.blank} row(s) left blank\n"
        f"to undo it: pipeline.py import-decisions --undo {r.import_id}"
    )


def undo_file_import(config: Config, import_id: int, analyst: str | None = None) -> UndoResult:
    """Revert one import's changes, except on items touched since (listed, left alone)."""
    with database(config, create=False) as factory, factory.begin() as session:
        return undo_import(session, import_id, analyst_name(analyst), utcnow())


def format_undo(undo: UndoResult) -> str:
    """What the undo put back, and each item it left alone with the event that touched it."""
    lines = [f"import {undo.import_id} ({clean(undo.file_name)}) undone: {undo.reverted} item(s) put back"]
    if undo.kept:
        lines.append(f"{len(undo.kept)} item(s) left as they are, changed after the import:")
        lines += [f"  review {item}: {clean(why)}" for item, why in undo.kept]
    return "\n".join(lines)


def audit_log(
    config: Config,
    *,
    analyst: str | None = None,
    since: datetime | None = None,
    item_id: int | None = None,
    limit: int = 200,
) -> list[LogEntry]:
    """The latest audit events matching the filters, oldest first."""
    with database(config, create=False) as factory, factory() as session:
        return review_log(session, analyst=analyst, since=since, item_id=item_id, limit=limit)


def format_log(entries: Sequence[LogEntry]) -> str:
    """One line per event: time, who, item, old -> new status, note."""
    if not entries:
        return "no events match"
    lines = []
    for e in entries:
        note = f"  {clean(e.note)}" if e.note else ""
        lines.append(
            f"{e.at.isoformat(timespec='seconds')}  {fit(e.actor, 16)}  review {e.item_id:<6} "
            f"{e.old_status or '-'} -> {e.new_status}{note}".rstrip()
        )
    return "\n".join(lines)


def list_claims(config: Config) -> list[Claim]:
    """Who holds which item, and until when."""
    with database(config, create=False) as factory, factory.begin() as session:
        now = utcnow()
        expire_leases(session, now)
        return active_claims(session, now)


def format_claims(claims: Sequence[Claim]) -> str:
    """The claims table: item, holder, expiry (UTC), title."""
    if not claims:
        return "no items are claimed"
    lines = [f"{'ID':>6}  {fit('HOLDER', 16)}  {'EXPIRES (UTC)':<16}  TITLE"]
    for c in claims:
        expires = c.expires_at.strftime("%Y-%m-%d %H:%M") if c.expires_at else "-"
        lines.append(f"{c.item_id:>6}  {fit(c.holder, 16)}  {expires:<16}  {fit(c.title, 60).rstrip()}")
    return "\n".join(lines)


def format_claimed(rows: Sequence[tuple[QueueRow, int]]) -> str:
    """The items just claimed, each with the time its lease expires."""
    if not rows:
        return "nothing to claim: the queue is empty"
    expiry = {r.lease_expires_at for r, _ in rows if r.lease_expires_at}
    until = f"claimed until {min(expiry).strftime('%Y-%m-%d %H:%M')} UTC" if expiry else "claimed"
    return format_list(rows) + f"\n{until} ({len(rows)} item(s)); give one back with: pipeline.py review release ID"
