"""Helpers for queue tests: ads and scores as plain rows, the store's real input."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session

from classifier.scoring import band_for
from core.ad import TEXT_FIELDS, model_text
from store.ads import upsert_ad
from store.analysis import analysis_record
from store.schema import Ad
from store.scores import record_scores

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


def make_ad(session: Session, n: int, now: datetime = T0, **fields: Any) -> int:
    """Store ad number ``n`` (distinct text and contacts unless overridden); its id."""
    ad = {
        "source": fields.pop("source", "demo-board"),
        "external_id": f"ad-{n}",
        "url": f"https://jobs.example/ads/{n}",
        "title": f"Job {n}",
        "company": f"Company {n}",
        "location": "Phnom Penh",
        "country": "KH",
        "salary": "$3000",
        "description": f"Ordinary vacancy number {n} " + "x" * (n % 7),
        "contacts": {"email": [f"hr{n}@example.org"]},
    }
    ad.update(fields)
    return upsert_ad(session, ad, now)[1]


def score(
    session: Session,
    ad_id: int,
    value: float,
    version: str = "v1",
    now: datetime = T0,
    threshold: float = 0.5,
    reasons: list | None = None,
    band: str | None = None,
):
    """Record one score row the way the score stage will (``band``: as if a severe signal, or a
    watchlisted contact, had given it; otherwise from the score)."""
    band = band or band_for(value, threshold)
    reasons = (
        reasons if reasons is not None else [{"signal": "safety denial", "weight": 0.4, "evidence": "감금 절대 없음"}]
    )
    # As the score stage stores them: each reason's evidence at its place in the ad's model
    # text (where it is one), and the analysis with the sha256 of that text.
    ad = session.get(Ad, ad_id)
    text = model_text({f: getattr(ad, f) for f in TEXT_FIELDS})
    placed = []
    for r in reasons:
        r = dict(r)
        at = text.find(str(r.get("evidence") or "")) if r.get("evidence") and "start" not in r else -1
        if at >= 0:
            r["start"], r["end"] = at, at + len(r["evidence"])
        placed.append(r)
    row = {
        "ad_id": ad_id,
        "score": value,
        "band": band,
        "flagged": value >= threshold,
        "reasons": placed,
        "analysis": analysis_record(ad.__dict__, None, None, {"listed": dict(ad.contacts or {}), "mentioned": []}),
    }
    return record_scores(session, version, [row], now)


def later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)
