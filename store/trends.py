"""How many lures were flagged and confirmed: per week, source, destination country and signal.

"Flagged" is an ad entering the review queue (its item's ``created_at``),
"confirmed" an analyst's ``scam`` verdict and "cleared" a ``legit`` one (their
``decided_at``). The share confirmed, scam / (scam + legit), is the model's
precision in practice: only what analysts actually judged counts. Everything is
counted in the database (weeks as whole days since the window's first Monday),
so a year of 100,000 ads costs a few grouped queries, not a row per ad in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal_column, select, true
from sqlalchemy.orm import Session, aliased

from store.schema import Ad, ReviewItem, Score

WEEK = timedelta(days=7)
NO_SIGNAL = ("text",)   # words the model weighed, not indicators: no trend of their own


@dataclass(frozen=True)
class Counts:
    """Flagged, confirmed (scam) and cleared (legit) for one week, source, country or signal."""

    key: str
    flagged: int
    confirmed: int
    cleared: int
    label: str = ""

    @property
    def precision(self) -> float | None:
        """Share of analysts' verdicts that were scam; None before any verdict."""
        judged = self.confirmed + self.cleared
        return self.confirmed / judged if judged else None


@dataclass(frozen=True)
class Trends:
    """Every table of the trends page for one window of weeks."""

    start: datetime
    end: datetime
    weeks: list[Counts]
    sources: list[Counts]
    countries: list[Counts]
    signals: list[Counts]

    @property
    def total(self) -> Counts:
        return Counts("total", sum(w.flagged for w in self.weeks), sum(w.confirmed for w in self.weeks),
                      sum(w.cleared for w in self.weeks))


def window_start(now: datetime, weeks: int) -> datetime:
    """Monday 00:00 UTC of the first of the ``weeks`` weeks that end with the current one."""
    today = now.astimezone(timezone.utc).date()
    monday = today - timedelta(days=today.weekday()) - (weeks - 1) * WEEK
    return datetime.combine(monday, time(), tzinfo=timezone.utc)


def _week_of(session: Session, when: Any, start: datetime) -> Any:
    """SQL: the whole weeks between ``start`` and ``when``."""
    if session.get_bind().dialect.name == "sqlite":
        origin = start.replace(tzinfo=None).isoformat(sep=" ")
        return cast((func.julianday(when) - func.julianday(origin)) / 7, Integer)
    return cast(func.floor(func.extract("epoch", when - start) / 604800), Integer)


def trends(session: Session, now: datetime, weeks: int = 12) -> Trends:
    """Counts for the ``weeks`` weeks up to ``now``."""
    start = window_start(now, weeks)
    flagged_week = _week_of(session, ReviewItem.created_at, start)
    decided_week = _week_of(session, ReviewItem.decided_at, start)
    per_week = {i: [0, 0, 0] for i in range(weeks)}
    for week, n in session.execute(select(flagged_week, func.count())
                                   .where(ReviewItem.created_at >= start).group_by(flagged_week)):
        if week in per_week:
            per_week[week][0] = n
    for week, status, n in session.execute(
            select(decided_week, ReviewItem.status, func.count())
            .where(ReviewItem.decided_at >= start, ReviewItem.status.in_(("scam", "legit")))
            .group_by(decided_week, ReviewItem.status)):
        if week in per_week:
            per_week[week][1 if status == "scam" else 2] += n
    week_rows = [Counts((start + i * WEEK).date().isoformat(), *per_week[i]) for i in range(weeks)]
    return Trends(start, now, week_rows, _by_ad_field(session, Ad.source, start),
                  _by_ad_field(session, Ad.country, start), _by_signal(session, start))


def _in_window(start: datetime) -> Any:
    """Items flagged in the window, or judged in it."""
    return (ReviewItem.created_at >= start) | (ReviewItem.decided_at >= start)


def _tallies(start: datetime) -> tuple[Any, Any, Any]:
    flagged = func.sum(case((ReviewItem.created_at >= start, 1), else_=0))
    confirmed = func.sum(case((and_(ReviewItem.status == "scam", ReviewItem.decided_at >= start), 1), else_=0))
    cleared = func.sum(case((and_(ReviewItem.status == "legit", ReviewItem.decided_at >= start), 1), else_=0))
    return flagged, confirmed, cleared


def _by_ad_field(session: Session, field: Any, start: datetime) -> list[Counts]:
    query = (select(field, *_tallies(start)).join(Ad, Ad.id == ReviewItem.ad_id)
             .where(_in_window(start)).group_by(field))
    rows = [Counts(str(key or "—"), int(f or 0), int(c or 0), int(x or 0))
            for key, f, c, x in session.execute(query)]
    return sorted(rows, key=lambda r: (-r.flagged, -r.confirmed, r.key))


def _by_signal(session: Session, start: datetime) -> list[Counts]:
    """Items per indicator that fired in their ad's latest score (an item counts once per signal)."""
    newer = aliased(Score)
    latest = (select(newer.id).where(newer.ad_id == ReviewItem.ad_id)
              .order_by(newer.scored_at.desc(), newer.id.desc()).limit(1)
              .correlate(ReviewItem).scalar_subquery())
    if session.get_bind().dialect.name == "sqlite":
        each = func.json_each(Score.reasons).table_valued("value").alias("reason")
        signal = func.json_extract(each.c.value, "$.signal")
        label = func.json_extract(each.c.value, "$.label")
    else:
        each = func.json_array_elements(Score.reasons).table_valued("value").alias("reason")
        signal = each.c.value.op("->>")(literal_column("'signal'"))
        label = each.c.value.op("->>")(literal_column("'label'"))
    per_item = (select(ReviewItem.id.label("item"), ReviewItem.created_at, ReviewItem.status,
                       ReviewItem.decided_at, signal.label("signal"), func.max(label).label("label"))
                .select_from(ReviewItem).join(Score, Score.id == latest).join(each, true())
                .where(_in_window(start)).group_by(ReviewItem.id, ReviewItem.created_at,
                                                   ReviewItem.status, ReviewItem.decided_at, signal)
                .subquery())
    t = per_item.c
    query = (select(t.signal, func.max(t.label),
                    func.sum(case((t.created_at >= start, 1), else_=0)),
                    func.sum(case((and_(t.status == "scam", t.decided_at >= start), 1), else_=0)),
                    func.sum(case((and_(t.status == "legit", t.decided_at >= start), 1), else_=0)))
             .where(t.signal.is_not(None), t.signal.not_in(NO_SIGNAL)).group_by(t.signal))
    rows = [Counts(str(sig), int(f or 0), int(c or 0), int(x or 0), str(lab or sig))
            for sig, lab, f, c, x in session.execute(query)]
    return sorted(rows, key=lambda r: (-r.flagged, -r.confirmed, r.key))
