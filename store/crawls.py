"""Crawl bookkeeping: crawls per source, Telegram channel progress, removed ads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.errors import NotFoundError
from store.schema import Ad, ChannelState, Crawl


def start_crawl(session: Session, source: str, run_id: int | None, now: datetime) -> Crawl:
    """A new crawl of ``source``, flushed so it has an id."""
    crawl = Crawl(source=source, run_id=run_id, started_at=now, complete=False, failed=False, counts={})
    session.add(crawl)
    session.flush()
    return crawl


def finish_crawl(
    session: Session,
    crawl_id: int,
    *,
    complete: bool,
    failed: bool,
    counts: dict[str, Any],
    now: datetime,
    error: str | None = None,
) -> Crawl:
    """Close a crawl with its outcome and counts."""
    crawl = session.get(Crawl, crawl_id)
    if crawl is None:
        raise NotFoundError(f"crawl {crawl_id} does not exist")
    crawl.complete, crawl.failed, crawl.counts = complete and not failed, failed, dict(counts)
    crawl.finished_at, crawl.error = now, error
    return crawl


def known_external_ids(session: Session, source: str) -> set[str]:
    """The external ids already stored for ``source`` (removed ones included)."""
    return set(session.scalars(select(Ad.external_id).where(Ad.source == source)))


def channel_states(session: Session, source: str) -> dict[str, ChannelState]:
    """The stored state of every channel of ``source``, by channel name."""
    rows = session.scalars(select(ChannelState).where(ChannelState.source == source))
    return {row.channel: row for row in rows}


def save_channel_state(
    session: Session, source: str, channel: str, *, available: bool, last_message_id: int | None, now: datetime
) -> ChannelState:
    """Record a channel's availability; the last message id only ever moves forward."""
    row = session.scalars(
        select(ChannelState).where(ChannelState.source == source, ChannelState.channel == channel)
    ).one_or_none()
    if row is None:
        row = ChannelState(source=source, channel=channel, last_message_id=None)
        session.add(row)
    row.available, row.checked_at = available, now
    if last_message_id is not None and (row.last_message_id or 0) < last_message_id:
        row.last_message_id = last_message_id
    session.flush()
    return row


def mark_removed(session: Session, source: str, runs: int, now: datetime) -> int:
    """Mark ads of ``source`` unseen in its last ``runs`` complete crawls as removed.

    An ad seen during any of those crawls has ``last_seen_at`` after that crawl
    started, so the cut-off is the start of the oldest of them. Nothing is
    marked until the source has had ``runs`` complete crawls. Returns the count.
    """
    starts = list(
        session.scalars(
            select(Crawl.started_at)
            .where(Crawl.source == source, Crawl.complete.is_(True))
            .order_by(Crawl.started_at.desc(), Crawl.id.desc())
            .limit(runs)
        )
    )
    if len(starts) < runs:
        return 0
    cutoff = starts[-1]
    result = session.execute(
        update(Ad)
        .where(Ad.source == source, Ad.removed_at.is_(None), Ad.last_seen_at < cutoff)
        .values(removed_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def recent_crawls(session: Session, source: str | None = None, limit: int = 20) -> list[Crawl]:
    """The newest crawls first, of one source or of all."""
    query = select(Crawl).order_by(Crawl.id.desc()).limit(limit)
    if source is not None:
        query = query.where(Crawl.source == source)
    return list(session.scalars(query))
