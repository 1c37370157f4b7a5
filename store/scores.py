"""Recording scores and filling the review queue from them.

The score stage reads batches with ``ads_to_score``, runs the classifier on
them and hands the results to ``record_scores``; both take the caller's
Session and never commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterable, Iterator, Mapping

from sqlalchemy import exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.ad import AD_FIELDS
from store.campaigns import link_ads, scam_campaigns
from store.errors import NotFoundError, StoreError
from store.order import rank_of
from store.schema import BANDS, DECISIONS, Ad, CampaignMember, ReviewEvent, ReviewItem, Score

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "lurewatch"


@dataclass(frozen=True)
class ScoreRow:
    """One classifier result for one stored ad."""

    ad_id: int
    score: float
    band: str
    flagged: bool
    reasons: list[dict[str, Any]] = field(default_factory=list)
    # What the analysis read (store.analysis.analysis_record): None for a row without it.
    analysis: dict[str, Any] | None = None
    # The ad's content_hash as scored; None: the ad's current one, read when recording.
    content_hash: str | None = None
    # ISO code of the country the analysis placed the job in ("" when the ad does not say):
    # it fills ads.country where the source gave none, for the desk's filter, exports, trends.
    country: str = ""


@dataclass
class ScoreCounts:
    """What one record_scores call did."""

    scored: int = 0
    queued: int = 0
    reprioritised: int = 0
    kept_decided: int = 0
    campaign_queued: int = 0
    linked: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _row(raw: ScoreRow | Mapping[str, Any]) -> ScoreRow:
    if isinstance(raw, ScoreRow):
        row = raw
    else:
        try:
            row = ScoreRow(
                ad_id=int(raw["ad_id"]),
                score=float(raw["score"]),
                band=str(raw["band"]),
                flagged=bool(raw["flagged"]),
                reasons=list(raw.get("reasons") or []),
                analysis=raw.get("analysis"),
                content_hash=raw.get("content_hash"),
                country=str(raw.get("country") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"bad score row {dict(raw)!r}: {exc}") from None
    if not 0.0 <= row.score <= 1.0:
        raise StoreError(f"ad {row.ad_id}: score {row.score} is outside 0..1")
    if row.band not in BANDS:
        raise StoreError(f"ad {row.ad_id}: unknown band {row.band!r} (expected {', '.join(BANDS)})")
    return row


SCORE_COLUMNS = ("score", "band", "flagged", "reasons", "scored_at", "analysis", "content_hash")


def _upsert_scores(
    session: Session, model_version: str, rows: list[ScoreRow], now: datetime, hashes: Mapping[int, str]
) -> None:
    """Insert or update the rows' scores, a few statements per batch, not one per row."""
    latest = {r.ad_id: r for r in rows}  # a repeated ad: its last row wins
    values = [
        {
            "ad_id": r.ad_id,
            "model_version": model_version,
            "score": r.score,
            "band": r.band,
            "flagged": r.flagged,
            "reasons": r.reasons,
            "scored_at": now,
            "analysis": r.analysis,
            "content_hash": r.content_hash or hashes.get(r.ad_id),
        }
        for r in latest.values()
    ]
    dialect = session.get_bind().dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
    if insert is None:  # other backends: ORM objects, the unique key still guards
        for v in values:
            existing = session.scalars(
                select(Score).where(Score.ad_id == v["ad_id"], Score.model_version == model_version)
            ).one_or_none()
            if existing is None:
                session.add(Score(**v))
            else:
                for k, value in v.items():
                    setattr(existing, k, value)
        return
    # One statement, built once, run over the rows (executemany): a multi-row VALUES
    # statement was compiled anew for every batch, which cost more than the writing.
    session.execute(_upsert_statement(insert), values)


@lru_cache(maxsize=2)
def _upsert_statement(insert: Any) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE of a score, for ``insert``'s dialect (built once)."""
    stmt = insert(Score.__table__)
    return stmt.on_conflict_do_update(
        index_elements=["ad_id", "model_version"],
        set_={k: stmt.excluded[k] for k in SCORE_COLUMNS},
    )


def _insert_item(session: Session, row: ScoreRow, now: datetime) -> int | None:
    """A new pending item's id, or None when the ad already has one (concurrent scorer)."""
    values = {
        "ad_id": row.ad_id,
        "status": "pending",
        "priority": row.score,
        "band_rank": rank_of(row.band),
        "created_at": now,
        "updated_at": now,
    }
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(session.get_bind().dialect.name)
    if insert is None:
        item = ReviewItem(**values)
        session.add(item)
        session.flush()
        return item.id
    stmt = (
        insert(ReviewItem.__table__)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["ad_id"])
        .returning(ReviewItem.id)
    )
    return session.execute(stmt).scalar_one_or_none()


def _fill_countries(session: Session, scored: list[ScoreRow]) -> None:
    """ads.country from the analysis, where the source gave none: a country the poster or the
    site stated is theirs to state, and is never overwritten."""
    by_country: dict[str, list[int]] = {}
    for r in scored:
        if r.country:
            by_country.setdefault(r.country.upper()[:8], []).append(r.ad_id)
    for country, ids in by_country.items():
        for start in range(0, len(ids), 500):
            session.execute(
                update(Ad)
                .where(Ad.id.in_(ids[start : start + 500]), or_(Ad.country == "", Ad.country.is_(None)))
                .values(country=country)
                .execution_options(synchronize_session=False)
            )


def record_scores(
    session: Session,
    model_version: str,
    rows: Iterable[ScoreRow | Mapping[str, Any]],
    now: datetime,
    *,
    link_campaigns: bool = True,
) -> ScoreCounts:
    """Store one model's scores and queue what needs an analyst.

    Each row (a ScoreRow or a dict with ad_id, score, band, flagged, reasons)
    is upserted on (ad_id, model_version). A flagged ad gets a pending review
    item (one per ad, priority = score); rescoring an undecided item updates
    its priority; decided items (scam, legit, needs_info, skipped) are never
    reopened. With ``link_campaigns`` the ads are first linked into campaigns,
    and an ad in a campaign already decided as scam is queued whatever its score.
    """
    counts = ScoreCounts()
    scored = [_row(r) for r in rows]
    if not scored:
        return counts
    known = dict(session.execute(select(Ad.id, Ad.content_hash).where(Ad.id.in_({r.ad_id for r in scored}))).all())
    missing = sorted({r.ad_id for r in scored} - known.keys())
    if missing:
        raise NotFoundError(f"scores for unknown ad id(s): {', '.join(map(str, missing[:10]))}")
    _upsert_scores(session, model_version, scored, now, known)
    _fill_countries(session, scored)
    counts.scored = len(scored)
    ad_ids = [r.ad_id for r in scored]
    if link_campaigns:
        counts.linked = link_ads(session, ad_ids, now).linked
    membership = dict(
        session.execute(
            select(CampaignMember.ad_id, CampaignMember.campaign_id).where(CampaignMember.ad_id.in_(ad_ids))
        ).all()
    )
    scam = scam_campaigns(session, membership.values())
    items = {i.ad_id: i for i in session.scalars(select(ReviewItem).where(ReviewItem.ad_id.in_(ad_ids)))}
    for row in scored:
        item = items.get(row.ad_id)
        campaign = membership.get(row.ad_id)
        by_campaign = campaign in scam
        if item is not None:
            # The order's keys follow the newest score, decided or not (a decided item is out of
            # the queue, but lists of every status use the same order).
            if item.status in DECISIONS:
                counts.kept_decided += 1
                item.band_rank = rank_of(row.band)
            elif item.priority != row.score or item.band_rank != rank_of(row.band):
                item.priority, item.band_rank, item.updated_at = row.score, rank_of(row.band), now
                counts.reprioritised += 1
            continue
        if not (row.flagged or by_campaign):
            continue
        note = (
            f"joined campaign {campaign}, already decided scam (score {row.score:.2f})"
            if by_campaign and not row.flagged
            else f"score {row.score:.2f} at or above threshold"
        )
        item_id = _insert_item(session, row, now)
        if item_id is None:  # another scorer queued it a moment ago: one item per ad
            continue
        session.add(
            ReviewEvent(
                item_id=item_id,
                actor=SYSTEM_ACTOR,
                at=now,
                old_status=None,
                new_status="pending",
                note=note,
                model_version=model_version,
            )
        )
        counts.queued += 1
        counts.campaign_queued += by_campaign and not row.flagged
    session.flush()
    log.info("scores recorded for %s: %s", model_version, counts.as_dict())
    return counts


def scored_as_is(model_version: str) -> Any:
    """SQL: the ad has a score from this model on its current content (an ad edited since it
    was scored, or scored before lurewatch kept the content hash, has none)."""
    return exists().where(
        Score.ad_id == Ad.id, Score.model_version == model_version, Score.content_hash == Ad.content_hash
    )


def ads_to_score(
    session: Session, model_version: str, rescore: bool = False, batch_size: int = 1000
) -> Iterator[list[dict[str, Any]]]:
    """Batches of ads (dicts with ``ad_id`` and the ad fields) for a model to score.

    Without ``rescore``: ads this model version has not scored as they are now (new, edited
    since, or scored before the analysis was kept with scores). With it: every
    ad whose review item is not decided (including ads never queued). Batches
    follow ad id (keyset), so recording scores between batches is safe.
    """
    if batch_size <= 0:
        raise StoreError(f"batch size must be positive, got {batch_size}")
    columns = [getattr(Ad, name) for name in AD_FIELDS]
    if rescore:
        condition = ~exists().where(ReviewItem.ad_id == Ad.id, ReviewItem.status.in_(DECISIONS))
    else:
        condition = ~scored_as_is(model_version)
    last = 0
    while True:
        rows = session.execute(
            select(Ad.id, *columns).where(condition, Ad.id > last).order_by(Ad.id).limit(batch_size)
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        yield [{"ad_id": r[0], **dict(zip(AD_FIELDS, r[1:]))} for r in rows]
