"""classifier.retrain (pure) and the registry's promote / rollback / atomic CURRENT."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import pipeline
from classifier import registry
from classifier.retrain import (
    holdout_split,
    promotion_verdict,
    recall_at_fpr,
)
from classifier.trainset import dedupe_by_content


def _summary(r, pr, fpr=0.05):
    return {"recall_at_max_fpr": r, "pr_auc": pr, "max_fpr": fpr}


def test_promotion_rule_recall_first_then_pr_auc_with_tolerance():
    assert promotion_verdict(_summary(0.5, 0.5), None)[0]
    assert not promotion_verdict(_summary(0.80, 0.99), _summary(0.82, 0.90))[0]  # recall loses by 0.02
    assert promotion_verdict(_summary(0.85, 0.50), _summary(0.80, 0.90))[0]  # recall wins outright
    assert promotion_verdict(_summary(0.815, 0.895), _summary(0.82, 0.90))[0]  # both within 0.01
    ok, why = promotion_verdict(_summary(0.82, 0.85), _summary(0.82, 0.90))  # tie, PR-AUC loses
    assert not ok and "PR-AUC" in why


def test_recall_at_fpr():
    y = np.array([0] * 10 + [1] * 10)
    s = np.r_[np.linspace(0, 0.5, 10), np.linspace(0.3, 1.0, 10)]
    assert recall_at_fpr(y, s, 0.0) == pytest.approx(0.7)  # 7 scams score above every legit ad
    assert recall_at_fpr(y, s, 1.0) == 1.0
    assert recall_at_fpr(np.ones(3), np.ones(3), 0.05) is None


def test_dedupe_keeps_the_last_label_for_the_same_text():
    df = pd.DataFrame(
        {
            "title": ["A", "a ", "B"],
            "description": ["x  y", "X Y", "z"],
            "company": "",
            "location": "",
            "salary": "",
            "label": [1, 0, 1],
            "subset": ["seed", "decision", "seed"],
        }
    )
    out = dedupe_by_content(df)
    assert out["label"].tolist() == [0, 1] and out["subset"].tolist() == ["decision", "seed"]


def test_holdout_split_keeps_groups_whole_and_disjoint():
    y = np.array([0, 1] * 30)
    groups = np.arange(60) // 3
    split = holdout_split(y, groups, 0.2)
    assert not set(split.train) & set(split.test)
    assert sorted([*split.train, *split.test]) == list(range(60))
    assert not set(groups[split.train]) & set(groups[split.test])
    assert set(y[split.test]) == {0, 1}


def _two_versions(tiny_models_dir, tiny_fit):
    first = registry.current_version(tiny_models_dir)
    second = registry.save_model(tiny_models_dir, tiny_fit.pipeline, {"threshold": 0.123, "target_recall": 0.9})
    return first, second


def test_models_promote_rollback_restore_model_and_threshold(write_config, tiny_models_dir, tiny_fit, tmp_path, capsys):
    first, second = _two_versions(tiny_models_dir, tiny_fit)
    cfg = str(
        write_config(
            {
                "models": {"dir": str(tiny_models_dir)},
                "logging": {"dir": "logs"},
                "database": {"url": f"sqlite:///{tmp_path / 'm.db'}"},
            }
        )
    )
    assert pipeline.main(["models", "promote", second, "--config", cfg]) == 0
    assert registry.load_model(tiny_models_dir)[1]["threshold"] == 0.123
    # No database yet: the model is current, nothing is rescored, and no database is created.
    assert "queue not rescored: no database at" in capsys.readouterr().out
    assert not (tmp_path / "m.db").exists()
    assert pipeline.main(["models", "list", "--config", cfg]) == 0
    listing = capsys.readouterr().out
    assert f"* {second}" in listing and f"  {first}" in listing
    assert pipeline.main(["models", "rollback", "--config", cfg]) == 0
    assert registry.current_version(tiny_models_dir) == first
    assert registry.load_model(tiny_models_dir)[1]["threshold"] == pytest.approx(tiny_fit.threshold)
    assert [h["reason"] for h in registry.history(tiny_models_dir)][-2:] == ["models promote", "models rollback"]
    assert pipeline.main(["models", "rollback", "--config", cfg]) == 1  # nothing before the first
    assert "nothing to roll back to" in capsys.readouterr().err


def test_modified_artefact_is_refused_and_current_unchanged(write_config, tiny_models_dir, tiny_fit, tmp_path, capsys):
    first, second = _two_versions(tiny_models_dir, tiny_fit)
    with (tiny_models_dir / second / registry.ARTEFACT).open("ab") as fh:
        fh.write(b"tampered")
    cfg = str(
        write_config(
            {
                "models": {"dir": str(tiny_models_dir)},
                "logging": {"dir": "logs"},
                "database": {"url": f"sqlite:///{tmp_path / 'm.db'}"},
            }
        )
    )
    assert pipeline.main(["models", "promote", second, "--config", cfg]) == 1
    assert "does not match its card" in capsys.readouterr().err
    assert registry.current_version(tiny_models_dir) == first


def test_rollback_is_a_stack_not_a_toggle(tiny_models_dir, tiny_fit):
    a = registry.current_version(tiny_models_dir)
    b = registry.save_model(tiny_models_dir, tiny_fit.pipeline, {"threshold": 0.2})
    c = registry.save_model(tiny_models_dir, tiny_fit.pipeline, {"threshold": 0.3})
    registry.set_current(tiny_models_dir, b)
    registry.set_current(tiny_models_dir, c)
    assert registry.rollback_target(tiny_models_dir) == b
    registry.set_current(tiny_models_dir, b, "models rollback")
    assert registry.rollback_target(tiny_models_dir) == a


def test_training_progress_bar_only_when_asked(capsys):
    from classifier.model import build_pipeline, fit_with_threshold
    from tests.conftest import tiny_training_frame

    X, y, g = tiny_training_frame()
    fit_with_threshold(build_pipeline(calibration_cv=2, min_df=1), X, y, g, n_splits=3, progress=False)
    bar = re.compile(r"training:\s+\d+%\|")
    assert not bar.search(capsys.readouterr().err)
    fit_with_threshold(build_pipeline(calibration_cv=2, min_df=1), X, y, g, n_splits=3, progress=True)
    assert bar.search(capsys.readouterr().err)


def test_training_frame_lets_a_decision_override_the_seed_label(tmp_path):
    from classifier.datasets import KEEP, load_seed
    from classifier.trainset import training_frame

    seed = pd.DataFrame(
        {
            "title": ["t1", "t2", "t3", "t4"],
            "description": ["alpha job", "beta job", "gamma", "delta"],
            "company": "",
            "location": "",
            "salary": "",
            "language": "en",
            "label": [1, 0, 1, 0],
            "group": ["a", "b", "c", "d"],
        }
    )
    seed.to_csv(tmp_path / "s.csv", index=False)
    decision = pd.DataFrame(
        [
            {
                "title": "T1",
                "description": "alpha  job",
                "company": "",
                "location": "",
                "salary": "",
                "language": "en",
                "label": 0,
                "group": "decision:x",
                "subset": "decision:demo",
                "weight": 2.0,
                "short": False,
            }
        ]
    )[KEEP]
    full = training_frame([load_seed(tmp_path), decision])
    full = full[~full["short"]]
    assert len(full) == 4
    row = full[full["description"].str.startswith("alpha")].iloc[0]
    assert (row["label"], row["subset"]) == (0, "decision:demo")
    # A text repeated within one source is a repost, not an override: both rows stay.
    pd.concat([seed, seed.iloc[[1]]]).to_csv(tmp_path / "s.csv", index=False)
    assert len(training_frame([load_seed(tmp_path), decision])[lambda d: ~d["short"]]) == 5
