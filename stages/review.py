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
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from sqlalchemy.orm import Session

from classifier import registry
from classifier.card import threshold_for
from config import Config
from core.evidence import evidence_runs
from core.reasons import neighbour_text, reason_text
from core.spreadsheet import display_width, place_text
from stages.common import database, utcnow
from store.accounts import is_lead
from store.analysis import read_analysis
from store.audit import Claim, LogEntry, active_claims, review_log
from store.campaigns import campaign_of
from store.decisions import ImportResult, UndoResult, import_decisions, undo_import
from store.errors import ImportValidationError, NotFoundError, ReviewError
from store.exportrows import contacts_text
from store.leases import claim_item, release_any, require_own_lease
from store.listing import QueueFilter, QueueRow, collapse_campaigns, list_items, spread_uncertain
from store.queue import (
    OS_USER,
    claim,
    decide,
    decide_campaign,
    expire_leases,
    get_item,
    item_events,
    normalise_decision,
    release,
)
from store.schema import ReviewEvent

Listed = list[tuple[QueueRow, int]]  # a row and how many of its campaign's items it stands for

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MARK_OPEN, MARK_CLOSE = "»", "«"
ANSI_OPEN, ANSI_CLOSE = "\x1b[1;31m", "\x1b[0m"


def os_user() -> str:
    """The operating-system user running this command."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): still record something
        return "unknown"


def analyst_name(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """--analyst, else LUREWATCH_ANALYST, else the operating-system user."""
    env = os.environ if environ is None else environ
    name = (explicit or env.get("LUREWATCH_ANALYST") or "").strip()
    return name or os_user()


@dataclass(frozen=True)
class Actor:
    """Who acts on the queue: a name in the audit log, and whether they act as a lead.

    A lead may change another analyst's scam or legit verdict, undo another analyst's
    import and release anyone's claim; each such act says so in the audit log. The desk
    makes an Actor from the logged-in account; the command line from --analyst (or
    $LUREWATCH_ANALYST, or the OS user), acting as a lead only with --as-lead, and only
    when that name is a lead account of the desk (``users add NAME --role lead``).
    """

    name: str
    lead: bool = False


@contextmanager
def _shell(config: Config) -> Iterator[Session]:
    """One transaction for a command run from a shell: the OS user goes into every audit event."""
    with database(config, create=False) as factory, factory.begin() as session:
        session.info[OS_USER] = os_user()
        yield session


def cli_actor(session: Session, analyst: str | None, as_lead: bool = False) -> Actor:
    """The command line's actor; --as-lead is refused unless the name is a lead account."""
    name = analyst_name(analyst)
    if as_lead and not is_lead(session, name):
        raise ReviewError(
            f"--as-lead: {name} is not a lead account of the desk "
            f"(a lead adds one with: pipeline.py users add {name} --role lead)"
        )
    return Actor(name, lead=as_lead)


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
    # As wide as the longest campaign cell: cutting "C3 ×57 (12 here) scam" would hide "scam".
    campaigns = [_campaign(row, listed) for row, listed in rows]
    width = max([len("CAMPAIGN"), *(display_width(c) for c in campaigns)]) + 1
    lines = [
        f"{'ID':>6}  {'SCORE':>5}  {'BAND':<8}  {'STATUS':<10}  {fit('CAMPAIGN', width)}  "
        f"{fit('SOURCE', 14)}  {'CC':<3} TITLE"
    ]
    for (row, _), campaign in zip(rows, campaigns):
        score = f"{row.score:.2f}" if row.score is not None else "-"
        lines.append(
            f"{row.review_id:>6}  {score:>5}  {row.band:<8}  {row.status:<10}  "
            f"{fit(campaign, width)}  {fit(row.source, 14)}  "
            f"{fit(row.country, 3)} {fit(row.title, 60).rstrip()}"
        )
    return "\n".join(lines)


def mark_runs(runs: Sequence[tuple[str, tuple[int, ...]]], ansi: bool = False) -> str:
    """Text runs with the evidence marked »like this« (or bold red on a TTY), made safe for a terminal."""
    opening, closing = (ANSI_OPEN, ANSI_CLOSE) if ansi else (MARK_OPEN, MARK_CLOSE)
    return "".join(f"{opening}{clean(text)}{closing}" if marks else clean(text) for text, marks in runs)


def format_show(view: ItemView, ansi: bool = False) -> str:
    """One item in full: the ad, its reasons, the text the model read with the evidence
    marked at the offsets stored when it was scored, its history."""
    row, events = view.row, view.events
    analysis = read_analysis(row.__dict__, row.analysis)
    score = f"{row.score:.2f}" if row.score is not None else "not scored"
    lines = [
        f"review {row.review_id}  ({row.status}{', ' + row.assignee if row.assignee else ''})",
        f"score    {score} {row.band} (model {row.model_version or '-'})",
        f"title    {clean(row.title)}",
        f"company  {clean(row.company)}",
        f"location {clean(place_text(row.location, row.country))}".rstrip(),
        f"salary   {clean(row.salary)}",
    ]
    if analysis.pay:
        p = analysis.pay
        lines.append(
            f"pay read {clean(p.get('evidence') or '')!s}: ~US${float(p.get('monthly_usd_high') or 0):,.0f} a month "
            f"({clean(p.get('currency'))} per {clean(p.get('period'))})"
        )
    lines += [
        f"url      {clean(row.url)}",
        f"source   {clean(row.source)}, first seen {row.first_seen.date().isoformat()}",
    ]
    if row.campaign_id is not None:
        lines.append(f"campaign {_campaign(row)}")
    contacts = contacts_text(row.contacts, row.country, row.language)
    if contacts:
        lines.append("contacts " + clean(contacts).replace("\n", "\n         "))
    if row.decided_by:
        when = f" at {row.decided_at.isoformat(timespec='minutes')}" if row.decided_at else ""
        lines.append(f"decided  {row.status} by {clean(row.decided_by)}{when}")
    if row.note:
        at = row.note_at.isoformat(timespec="minutes") if row.note_at else "?"
        lines.append(f"note     by {clean(row.note_by)} at {at}: {clean(row.note)}")
    lines.append("reasons")
    lines += [f"  - {clean(reason_text(r))}" for r in row.reasons if isinstance(r, dict)] or ["  (none)"]
    if analysis.neighbours:
        lines.append("looks like these known lures")
        lines += [f"  - {clean(neighbour_text(n))}" for n in analysis.neighbours]
    lines += ["", "text as the model read it" + ("" if analysis.current else f" ({analysis.why_unmarked})")]
    runs = evidence_runs(analysis.text, row.reasons) if analysis.current else [(analysis.text, ())]
    lines += [mark_runs(runs, ansi), "", "history"]
    for e in events:
        note = f": {clean(e.note)}" if e.note else ""
        who = clean(e.actor) + (f" (os user {clean(e.os_user)})" if e.os_user and e.os_user != e.actor else "")
        lines.append(f"  {e.at.isoformat(timespec='minutes')} {who} {e.old_status or '-'} -> {e.new_status}{note}")
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


def claim_items(config: Config, n: int, minutes: int, analyst: str | None = None, items: Sequence[int] = ()) -> Listed:
    """Lease the first N pending items of the queue (or the ``items`` named) to the analyst."""
    now, lease = utcnow(), timedelta(minutes=minutes)
    with _shell(config) as session:
        who = cli_actor(session, analyst).name
        if items:
            for item_id in dict.fromkeys(items):
                claim_item(session, item_id, who, now, lease)
            ids = list(dict.fromkeys(items))
        else:
            ids = claim(session, who, n, now, lease)
        rows = {r.review_id: r for r in list_items(session, QueueFilter(statuses=None), item_ids=ids)}
        return [(rows[i], 1) for i in ids if i in rows]


def release_in(session: Session, item_id: int, actor: Actor, now: datetime) -> str:
    """Give a claim back: the actor's own (or a lapsed one), or, for a lead, anyone's.

    The one path of every release: `review release` and the desk both call it.
    """
    expire_leases(session, now)
    item = get_item(session, item_id)
    if actor.lead and item.status == "in_review" and item.assignee and item.assignee != actor.name:
        holder = item.assignee
        release_any(session, item_id, actor.name, now)
        return f"review item {item_id} released (it was claimed by {holder})"
    release(session, item_id, actor.name, now)
    return f"review item {item_id} released"


def release_item(config: Config, item_id: int, analyst: str | None = None, as_lead: bool = False) -> str:
    """Give a claimed item back to the pool (anyone's, acting as a lead)."""
    with _shell(config) as session:
        return release_in(session, item_id, cli_actor(session, analyst, as_lead), utcnow())


def decide_item(
    config: Config,
    item_id: int,
    decision: str,
    *,
    note: str | None = None,
    campaign: bool = False,
    analyst: str | None = None,
    as_lead: bool = False,
) -> str:
    """Record a decision on one item, or (``campaign``) on every ad of its campaign."""
    now = utcnow()
    with _shell(config) as session:
        actor = cli_actor(session, analyst, as_lead)
        if not campaign:
            return decide_in(session, item_id, decision, actor, now, note)
        campaign_id = campaign_of(session, get_item(session, item_id).ad_id)
        if campaign_id is None:
            raise ReviewError(f"review item {item_id} is not part of a campaign")
        return decide_campaign_in(session, campaign_id, decision, actor, now, note)


def decide_in(session: Session, item_id: int, decision: str, actor: Actor, now: datetime, note: str | None) -> str:
    """Record a decision on one item; what happened, in one line.

    The one path, and the one set of rules, of every decision on an item: `review decide`
    and the desk both call it. An open item (pending or in review) is decided only under
    the actor's own unexpired claim, whatever the decision (`needs_info` too), so two
    analysts never work on one item. A `scam` or `legit` verdict is changed only by its
    author, or by a lead acting as one (audited). Clearing a score of 0.9 or more needs a
    note. A decision the item already carries changes nothing.
    """
    normalise_decision(decision)  # an unknown word is the first thing to say
    expire_leases(session, now)
    require_own_lease(get_item(session, item_id), actor.name, now)
    item = decide(session, item_id, decision, actor.name, now, note, as_lead=actor.lead)
    return f"review item {item_id}: {item.status} (by {item.decided_by})"


def decide_campaign_in(
    session: Session, campaign_id: int, decision: str, actor: Actor, now: datetime, note: str | None
) -> str:
    """Decide every ad of a campaign not yet judged scam or legit (those keep their verdict,
    whoever decides); an ad someone else holds stops the whole decision. What happened."""
    expire_leases(session, now)
    counts = decide_campaign(session, campaign_id, decision, actor.name, now, note)
    return f"campaign {campaign_id}: {counts['decided']} ad(s) decided, {counts['kept']} earlier decision(s) kept"


@dataclass(frozen=True)
class Imported:
    """What importing a filled-in export did, and as whom."""

    analyst: str
    result: ImportResult


def import_file(config: Config, path: Path, analyst: str | None = None, encoding: str | None = None) -> Imported:
    """Apply the decisions typed into an export (CSV or XLSX), all or nothing; recorded as an import.

    Each row passes the verdict rules of store.queue.check_decision (an item someone else
    holds is refused, and so is a change to another analyst's verdict); a spreadsheet's
    rows need no claim of their own, since the analyst worked them from the export."""
    who = analyst_name(analyst)
    with database(config, create=False) as factory:
        try:
            with factory.begin() as session:
                session.info[OS_USER] = os_user()
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


def undo_file_import(config: Config, import_id: int, analyst: str | None = None, as_lead: bool = False) -> UndoResult:
    """Revert one import's changes, except on items touched since (listed, left alone).
    Only the analyst who made the import may undo it, or a lead acting as one."""
    with _shell(config) as session:
        actor = cli_actor(session, analyst, as_lead)
        return undo_import(session, import_id, actor.name, utcnow(), as_lead=actor.lead)


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
        # --analyst is a name anyone can type: the OS user who ran the command stands beside it.
        ran = f"  [os user {clean(e.os_user)}]" if e.os_user and e.os_user != e.actor else ""
        lines.append(
            f"{e.at.isoformat(timespec='seconds')}  {fit(e.actor, 16)}  review {e.item_id:<6} "
            f"{e.old_status or '-'} -> {e.new_status}{note}{ran}".rstrip()
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
