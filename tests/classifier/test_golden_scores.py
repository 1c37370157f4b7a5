"""The shipped model's outputs on 60 of our own ads are exactly the recorded ones.

Guards speed work on the analysis and explanation code: scores (4 decimals), flags, bands
and every reason (signal, weight, evidence, offsets) must not move. If the shipped model
is deliberately replaced, rewrite the file with `python tests/classifier/golden_ads.py`.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from classifier.scoring import score_frame
from tests.classifier.golden_ads import GOLDEN, golden_ads


@pytest.fixture(scope="module")
def golden(shipped) -> dict:
    data = json.loads(GOLDEN.read_text(encoding="utf-8"))
    # Fail, not skip: a reshipped model without a rewritten file would silently turn this
    # guard off.
    assert data["model"] == shipped[1]["version"], (
        "golden outputs were recorded for another model: run python tests/classifier/golden_ads.py"
    )
    return data


def _outputs(frame: pd.DataFrame) -> list[dict]:
    return [
        {"score": float(r.score), "flagged": bool(r.flagged), "band": r.band, "reasons": r.reasons}
        for r in frame.itertuples()
    ]


def test_batch_scoring_matches_golden(shipped, golden) -> None:
    pipeline, card = shipped
    got = _outputs(score_frame(pipeline, golden_ads(), float(card["threshold"])))
    assert len(got) == len(golden["outputs"])
    for i, (g, want) in enumerate(zip(got, golden["outputs"])):
        assert g == want, f"ad {i} changed"


def test_small_batches_match_golden(shipped, golden) -> None:
    """Batch boundaries must not change anything (ads are joined into one string per batch)."""
    pipeline, card = shipped
    ads = golden_ads()
    parts = [score_frame(pipeline, ads.iloc[i : i + 7], float(card["threshold"])) for i in range(0, len(ads), 7)]
    assert _outputs(pd.concat(parts)) == golden["outputs"]


def test_text_reasons_are_words_an_analyst_can_read(shipped) -> None:
    """Stop words can carry weight in the model but explain nothing ("mentions 'in'")."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    pipeline, card = shipped
    frame = score_frame(pipeline, golden_ads(), float(card["threshold"]))
    texts = [r["evidence"].lower() for reasons in frame["reasons"] for r in reasons if r["signal"] == "text"]
    assert texts and not [t for t in texts if t in ENGLISH_STOP_WORDS]
