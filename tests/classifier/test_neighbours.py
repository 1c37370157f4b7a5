"""Nearest known lures (classifier.neighbours): the index saved in the model, and queries on it."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from classifier import registry
from classifier.errors import ModelError
from classifier.neighbours import INDEX_ATTR, KnownLure, build_index, model_index, nearest
from classifier.scoring import score_frame
from tests.conftest import SEED_ROWS


def test_the_index_saved_in_the_model_finds_the_closest_lures_one_per_group(lure_models_dir):
    pipeline, card = registry.load_model(lure_models_dir)  # skops, with no new trusted type
    index = model_index(pipeline)
    assert index is not None and index.kind == "seed"
    assert [x.ref for x in index.lures] == [r[0] for r in SEED_ROWS if r[2] == "1"]  # lures only
    assert index.lures[0].source == "data/seed/seed.csv" and index.lures[0].detail == "written by us, variant 1"
    probe = SEED_ROWS[1][1]  # variant 2 of group g1, word for word
    found = nearest(pipeline, [probe, "Data analyst at a bank in Kuala Lumpur"], [index])
    first = found[0]
    assert first[0]["ref"] == "s-2" and first[0]["similarity"] == pytest.approx(1.0, abs=1e-3)
    assert "s-1" not in [n["ref"] for n in first]  # its twin variant shares the group: shown once
    assert [n["similarity"] for n in first] == sorted((n["similarity"] for n in first), reverse=True)
    assert found[1] == []  # nothing like a bank analyst: no neighbour rather than a misleading one
    # A query's own entry is skipped (an ad is never its own neighbour).
    assert [n["ref"] for n in nearest(pipeline, [probe], [index], skip=["seed:s-2"])[0]][:1] == ["s-1"]


def test_a_model_without_an_index_scores_as_before_and_one_with_a_malformed_index_is_refused(
    tiny_models_dir, tiny_fit, tmp_path
):
    old, card = registry.load_model(tiny_models_dir)
    assert model_index(old) is None and nearest(old, ["anything"], [model_index(old)]) == [[]]
    assert len(score_frame(old, pd.DataFrame([{"description": "캄보디아 고수익 알바"}]), card["threshold"])) == 1

    bad = copy.copy(tiny_fit.pipeline)
    state = build_index(bad, [KnownLure("캄보디아 고수익 알바", "s.csv", "r1")], "seed").state()
    state["shape"] = [1, state["shape"][1] + 5]  # vectors wider than the model's vocabulary
    setattr(bad, INDEX_ATTR, state)
    folder = tmp_path / "bad-models"
    version = registry.save_model(folder, bad, {"threshold": 0.5})
    with pytest.raises(ModelError, match=rf"model {version}: the model's known-lure index is malformed \(1 rows"):
        registry.load_model(folder, version)
