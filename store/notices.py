"""What a run's notifications list: the critical items it scored and the ads the watchlist hit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.schema import Ad, ReviewItem, Run, Score


@dataclass(frozen=True)
class Notice:
    """One queued item as a message lists it (the title is scraped text: escape it)."""

    item_id: int
    ad_id: int
    band: str
    score: float
    title: str


def _latest(session: Session, ad_ids: list[int]) -> dict[int, Score]:
    latest: dict[int, Score] = {}
    for s in session.scalars(select(Score).where(Score.ad_id.in_(ad_ids)).order_by(Score.scored_at, Score.id)):
        latest[s.ad_id] = s
    return latest


def notices_for_ads(session: Session, ad_ids: Iterable[int]) -> list[Notice]:
    """The queued items of these ads, riskiest score first."""
    ids = sorted(set(ad_ids))[:500]
    if not ids:
        return []
    scores = _latest(session, ids)
    rows = session.execute(
        select(ReviewItem.id, ReviewItem.ad_id, Ad.title).join(Ad, Ad.id == ReviewItem.ad_id).where(Ad.id.in_(ids))
    ).all()
    out = [
        Notice(item_id, ad_id, scores[ad_id].band, float(scores[ad_id].score), title or "")
        for item_id, ad_id, title in rows
        if ad_id in scores
    ]
    return sorted(out, key=lambda n: (-n.score, n.item_id))


def critical_in_window(session: Session, since: datetime, until: datetime, limit: int = 50) -> tuple[int, list[Notice]]:
    """(how many, the first ``limit``) queued items whose score from ``since`` to ``until`` is critical."""
    window = (Score.scored_at >= since, Score.scored_at <= until, Score.band == "critical")
    ads = select(Score.ad_id).where(*window).distinct().join(ReviewItem, ReviewItem.ad_id == Score.ad_id)
    total = session.scalar(select(func.count()).select_from(ads.subquery())) or 0
    first = list(
        session.scalars(
            select(Score.ad_id)
            .join(ReviewItem, ReviewItem.ad_id == Score.ad_id)
            .where(*window)
            .order_by(Score.score.desc(), Score.ad_id)
            .limit(limit * 2)
        )
    )
    notices = [n for n in notices_for_ads(session, first) if n.band == "critical"][:limit]
    return int(total), notices


def last_success(session: Session) -> datetime | None:
    """When the newest nightly run that completed (ok, or partial: the other sources did) finished."""
    return session.scalar(
        select(func.max(Run.finished_at)).where(Run.command == "run", Run.status.in_(("ok", "partial")))
    )


def run_row(session: Session, run_id: int) -> Run | None:
    """The run, or None."""
    return session.get(Run, run_id)


def newest_run_of(session: Session, pid: int) -> Run | None:
    """This process's newest nightly run (the one a failure just closed)."""
    return session.scalars(
        select(Run).where(Run.command == "run", Run.pid == pid).order_by(Run.id.desc()).limit(1)
    ).first()
