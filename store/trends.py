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
from typing import Any, Iterable

from sqlalchemy import Integer, and_, case, cast, func, literal_column, select, true
from sqlalchemy.orm import Session

from store.schema import Ad, ReviewItem, Score

WEEK = timedelta(days=7)
NO_SIGNAL = ("text",)  # words the model weighed, not indicators: no trend of their own


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
        return Counts(
            "total",
            sum(w.flagged for w in self.weeks),
            sum(w.confirmed for w in self.weeks),
            sum(w.cleared for w in self.weeks),
        )


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
    for week, n in session.execute(
        select(flagged_week, func.count()).where(ReviewItem.created_at >= start).group_by(flagged_week)
    ):
        if week in per_week:
            per_week[week][0] = n
    for week, status, n in session.execute(
        select(decided_week, ReviewItem.status, func.count())
        .where(ReviewItem.decided_at >= start, ReviewItem.status.in_(("scam", "legit")))
        .group_by(decided_week, ReviewItem.status)
    ):
        if week in per_week:
            per_week[week][1 if status == "scam" else 2] += n
    week_rows = [Counts((start + i * WEEK).date().isoformat(), *per_week[i]) for i in range(weeks)]
    w = _window(start)
    sources, countries = _by_source_and_country(session, w)
    return Trends(start, now, week_rows, sources, countries, _by_signal(session, w))


def _window(start: datetime) -> Any:
    """CTE of the items flagged or judged in the window, with 0/1 columns saying which,
    materialised so the database walks these (by the created_at and decided_at indexes)
    rather than every ad of a source."""

    def flag(condition: Any) -> Any:
        return case((condition, 1), else_=0)

    return (
        select(
            ReviewItem.id,
            ReviewItem.ad_id,
            flag(ReviewItem.created_at >= start).label("flagged"),
            flag(and_(ReviewItem.status == "scam", ReviewItem.decided_at >= start)).label("confirmed"),
            flag(and_(ReviewItem.status == "legit", ReviewItem.decided_at >= start)).label("cleared"),
        )
        .where((ReviewItem.created_at >= start) | (ReviewItem.decided_at >= start))
        .cte("in_window")
        .prefix_with("MATERIALIZED")
    )


def _sums(t: Any) -> tuple[Any, Any, Any]:
    return func.sum(t.flagged), func.sum(t.confirmed), func.sum(t.cleared)


def _sorted(rows: Iterable[Counts]) -> list[Counts]:
    return sorted(rows, key=lambda r: (-r.flagged, -r.confirmed, r.key))


def _by_source_and_country(session: Session, w: Any) -> tuple[list[Counts], list[Counts]]:
    """One pass over the window's ads, added up both ways."""
    by_source: dict[str, list[int]] = {}
    by_country: dict[str, list[int]] = {}
    query = (
        select(Ad.source, Ad.country, *_sums(w.c))
        .select_from(w)
        .join(Ad, Ad.id == w.c.ad_id)
        .group_by(Ad.source, Ad.country)
    )
    for source, country, *counts in session.execute(query):
        for table, key in ((by_source, source), (by_country, country)):
            total = table.setdefault(str(key or "—"), [0, 0, 0])
            for i, n in enumerate(counts):
                total[i] += int(n or 0)
    return (_sorted(Counts(k, *v) for k, v in by_source.items()), _sorted(Counts(k, *v) for k, v in by_country.items()))


def _by_signal(session: Session, w: Any) -> list[Counts]:
    """Items per indicator that fired in their ad's newest score (an item counts once per signal
    and label)."""
    newest = (
        select(Score.id)
        .where(Score.ad_id == w.c.ad_id)
        .order_by(Score.scored_at.desc(), Score.id.desc())
        .limit(1)
        .correlate(w)
        .scalar_subquery()
    )
    if session.get_bind().dialect.name == "sqlite":
        each = func.json_each(Score.reasons).table_valued("value").alias("reason")
        signal = func.json_extract(each.c.value, "$.signal")
        label = func.json_extract(each.c.value, "$.label")
    else:
        each = func.json_array_elements(Score.reasons).table_valued("value").alias("reason")
        signal = each.c.value.op("->>")(literal_column("'signal'"))
        label = each.c.value.op("->>")(literal_column("'label'"))
    pairs = (
        select(w.c.id, signal.label("signal"), label.label("label"), w.c.flagged, w.c.confirmed, w.c.cleared)
        .distinct()
        .select_from(w)
        .join(Score, Score.id == newest)
        .join(each, true())
        .subquery()
    )
    # One row per signal *and* label: the destination signal has two ("high-risk destination"
    # and "transit point, agent hub or vague region"), which one row would merge under either.
    query = (
        select(pairs.c.signal, pairs.c.label, *_sums(pairs.c))
        .where(pairs.c.signal.is_not(None), pairs.c.signal.not_in(NO_SIGNAL))
        .group_by(pairs.c.signal, pairs.c.label)
    )
    rows = list(session.execute(query))
    labels: dict[str, set[str]] = {}
    for sig, lab, *_ in rows:
        labels.setdefault(str(sig), set()).add(str(lab or sig))
    return _sorted(
        Counts(
            str(sig) if len(labels[str(sig)]) == 1 else f"{sig}: {lab}",
            int(f or 0),
            int(c or 0),
            int(x or 0),
            str(lab or sig),
        )
        for sig, lab, f, c, x in rows
    )
