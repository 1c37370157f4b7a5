"""A batch of stored ads scored: one ScoreRow per ad, with everything the views need.

Used by the score stage in one process and by each parallel scoring worker. The
classifier's ``score_frame`` reads every ad once; its reasons (evidence offsets in the
ad's model text), pay, destination and contacts are kept with the score
(store.analysis), with the sha256 of that text and the ad's content hash, so no view
has to analyse the ad again.

A flagged ad also keeps the known lures most like it (classifier.neighbours): the seed
lures stored in the model, and the ads analysts had decided scam when it was scored
(``confirmed_index``, built once per score run). Both are found here, at score time,
because comparing at read time would mean vectorising every confirmed ad on every page
view; the price is that an ad keeps the confirmed neighbours of the day it was scored.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd
from sklearn.pipeline import Pipeline
from sqlalchemy.orm import Session

from classifier.neighbours import KnownLure, LureIndex, build_index, has_text_space, model_index, nearest
from classifier.scoring import score_frame
from core.ad import model_text
from store.analysis import analysis_record
from store.scores import ScoreRow
from store.training import confirmed_scams


def confirmed_index(pipeline: Pipeline, session: Session) -> LureIndex | None:
    """The ads decided scam (the newest store.training.CONFIRMED_SHOWN) as an index in the
    model's text space; None when there are none (or the model has no text space)."""
    if not has_text_space(pipeline):
        return None
    lures = [
        KnownLure(
            model_text(r),
            str(r["source"] or ""),
            str(r["ad_id"]),
            str(r["title"] or ""),
            f"decided scam {r['decided_at']:%Y-%m-%d}" if r["decided_at"] else "decided scam",
            f"campaign:{r['campaign_id']}" if r["campaign_id"] is not None else "",
        )
        for r in confirmed_scams(session)
    ]
    return build_index(pipeline, lures, "confirmed") if lures else None


def score_rows(
    pipeline: Pipeline,
    batch: Sequence[Mapping[str, Any]],
    threshold: float,
    confirmed: LureIndex | None = None,
) -> list[ScoreRow]:
    """Score ``batch`` (dicts with ``ad_id`` and the ad fields, as store.scores.ads_to_score gives them);
    flagged ads get their nearest known lures (the model's seed lures and ``confirmed``)."""
    frame = pd.DataFrame(list(batch)).set_index("ad_id")
    scored = score_frame(pipeline, frame, threshold)
    ads = {int(ad["ad_id"]): ad for ad in batch}
    flagged = [int(i) for i, f in zip(scored.index, scored["flagged"]) if f]
    near = nearest(
        pipeline,
        [model_text(ads[i]) for i in flagged],
        [model_index(pipeline), confirmed],
        skip=[f"confirmed:{i}" for i in flagged],  # an ad is not its own neighbour
    )
    neighbours = dict(zip(flagged, near))
    rows = []
    for ad_id, r in zip(scored.index, scored.itertuples(index=False)):
        ad = ads[int(ad_id)]
        rows.append(
            ScoreRow(
                int(ad_id),
                float(r.score),
                str(r.band),
                bool(r.flagged),
                list(r.reasons),
                analysis=analysis_record(ad, r.pay, r.destination, r.contacts, neighbours.get(int(ad_id))),
                content_hash=str(ad.get("content_hash") or "") or None,
                country=str(r.country or ""),
            )
        )
    return rows
