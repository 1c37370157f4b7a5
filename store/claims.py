"""Claiming batches of ads to score, so several processes (or machines) share one scoring.

PostgreSQL only: a worker locks up to ``limit`` ads that lack a score from the model
with ``FOR NO KEY UPDATE SKIP LOCKED``; others skip the locked rows, and once the
worker commits its scores the ads no longer match. No work table, no migration: the
scores themselves say what is done. The caller owns the transaction and must record
the scores in the same one, so the lock lasts until they are committed.
"""

from __future__ import annotations

from typing import Any, Iterator

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from core.ad import AD_FIELDS
from store.campaigns import hold_linking_lock as hold_lock
from store.errors import StoreError
from store.schema import DECISIONS, Ad, AdFingerprint, ReviewItem
from store.scores import scored_as_is

# The linking pass of parallel scorers is serialised by store.campaigns' linking lock: two
# linkers at once could each miss the other's uncommitted campaigns, or deadlock.


def _pending(model_version: str, rescore: bool) -> Any:
    """The ads still to score: no score from this model (and, rescoring, not decided)."""
    condition = ~scored_as_is(model_version)
    if rescore:
        condition = condition & ~exists().where(ReviewItem.ad_id == Ad.id, ReviewItem.status.in_(DECISIONS))
    return condition


def claim_ads(session: Session, model_version: str, rescore: bool, limit: int) -> list[dict[str, Any]]:
    """Lock and return up to ``limit`` ads (dicts with ``ad_id`` and the ad fields) to score.

    An empty list means nothing is left that no one else holds.
    """
    if session.get_bind().dialect.name != "postgresql":
        raise StoreError("claiming ads for parallel scoring needs PostgreSQL")
    if limit <= 0:
        raise StoreError(f"batch size must be positive, got {limit}")
    ids = list(
        session.scalars(
            select(Ad.id)
            .where(_pending(model_version, rescore))
            .order_by(Ad.id)
            .limit(limit)
            .with_for_update(skip_locked=True, key_share=True, of=Ad)
        )
    )
    if not ids:
        return []
    # The claim's snapshot may predate another worker's commit of some of these ads (it
    # held them, committed, and released them while this query ran); a new statement sees
    # that commit, and the rows are ours now, so what is still unscored stays unscored.
    done = set(session.scalars(select(Ad.id).where(Ad.id.in_(ids), scored_as_is(model_version))))
    columns = [getattr(Ad, name) for name in AD_FIELDS]
    rows = session.execute(select(Ad.id, *columns).where(Ad.id.in_(sorted(set(ids) - done))).order_by(Ad.id)).all()
    return [{"ad_id": r[0], **dict(zip(AD_FIELDS, r[1:]))} for r in rows]


def count_pending(session: Session, model_version: str, rescore: bool) -> int:
    """How many ads are still to score (for progress and the benchmark)."""
    return int(session.scalar(select(func.count()).select_from(Ad).where(_pending(model_version, rescore))) or 0)


def ads_to_link(session: Session, model_version: str, rescore: bool, batch_size: int) -> Iterator[list[int]]:
    """Batches of ids of ads to score that were never fingerprinted (so never linked)."""
    last = 0
    while True:
        ids = list(
            session.scalars(
                select(Ad.id)
                .where(
                    _pending(model_version, rescore),
                    ~exists().where(AdFingerprint.ad_id == Ad.id),
                    Ad.id > last,
                )
                .order_by(Ad.id)
                .limit(batch_size)
            )
        )
        if not ids:
            return
        last = ids[-1]
        yield ids


def hold_linking_lock(session: Session, ad_ids: list[int]) -> list[int]:
    """Wait for the linking lock (held until the transaction ends); the ads still unlinked then.

    Another scorer may have linked some of them while this one waited: linking them
    again would compare them a second time, which one scorer alone never does.
    """
    hold_lock(session)
    done = set(session.scalars(select(AdFingerprint.ad_id).where(AdFingerprint.ad_id.in_(ad_ids))))
    return [a for a in ad_ids if a not in done]
