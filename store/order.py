"""The queue's one order: band (critical first), then score (highest first), then age (oldest first).

Every view of the queue takes its order from here: the desk's default, "Start reviewing"
and ``review claim`` (which take the first pending item), ``review list``, the exports,
the item page's previous/next, and search results. A severe signal (or a watchlisted
contact) can make an ad critical at a low score; it still comes before every high one.

For review items the keys are columns of ``review_items`` (``band_rank``, the band of
the ad's newest score as a number; ``priority``, its score; ``created_at``, when it
was queued; the id last), so one index walk (``ix_review_items_queue_order``) gives the
queue in order, and keyset paging compares the same four values. Ads that may not be
queued (search results) sort by the same rule on their newest score, age being when the
ad was first seen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.bands import BANDS, band_rank
from store.schema import ReviewItem

UNRANKED = len(BANDS)  # an item whose ad has no score (yet) sorts after every band


def queue_keys(item: Any = ReviewItem) -> list[tuple[Any, bool]]:
    """The queue's order as (column, descending) pairs of ``item`` (ReviewItem or an alias)."""
    return [(item.band_rank, False), (item.priority, True), (item.created_at, False), (item.id, False)]


def queue_order(item: Any = ReviewItem) -> list[Any]:
    """ORDER BY clauses for review items in the queue's order."""
    return [column.desc() if descending else column for column, descending in queue_keys(item)]


def reversed_order(item: Any = ReviewItem) -> list[Any]:
    """The queue's order backwards (for "the item before this one")."""
    return [column if descending else column.desc() for column, descending in queue_keys(item)]


def rank_of(band: str | None) -> int:
    """``band_rank`` for a band name (unknown or missing: after every band)."""
    return band_rank(band)


def sort_key(band: str | None, score: float | None, age: datetime | None, ident: int) -> tuple:
    """The same order for rows already in memory: band, score (highest first), oldest, id."""
    return (
        band_rank(band),
        -(score if score is not None else -1.0),
        age.timestamp() if age is not None else float("inf"),
        ident,
    )
