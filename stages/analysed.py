"""A batch of stored ads scored: one ScoreRow per ad, with everything the views need.

Used by the score stage in one process and by each parallel scoring worker. The
classifier's ``score_frame`` reads every ad once; its reasons (evidence offsets in the
ad's model text), pay, destination and contacts are kept with the score
(store.analysis), with the sha256 of that text and the ad's content hash, so no view
has to analyse the ad again.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd
from sklearn.pipeline import Pipeline

from classifier.scoring import score_frame
from store.analysis import analysis_record
from store.scores import ScoreRow


def score_rows(pipeline: Pipeline, batch: Sequence[Mapping[str, Any]], threshold: float) -> list[ScoreRow]:
    """Score ``batch`` (dicts with ``ad_id`` and the ad fields, as store.scores.ads_to_score gives them)."""
    frame = pd.DataFrame(list(batch)).set_index("ad_id")
    scored = score_frame(pipeline, frame, threshold)
    ads = {int(ad["ad_id"]): ad for ad in batch}
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
                analysis=analysis_record(ad, r.pay, r.destination, r.contacts),
                content_hash=str(ad.get("content_hash") or "") or None,
                country=str(r.country or ""),
            )
        )
    return rows
