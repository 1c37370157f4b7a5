"""Retraining, the details a data scientist meets (issues 14 and 16): arguments checked before any
data is loaded, files refused with their line, identical retrains, which rows a comparison
uses, progress lines without a terminal, rounded figures in logs."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import pipeline
import stages.train as stage
from classifier import registry
from config import load_config
from stages.comparison import row_keys, seen_by
from tests.stages.test_train import small_seed


@pytest.fixture
def cfg(write_config, tmp_path):
    seed = small_seed(tmp_path / "seed", per_class=12)
    path = write_config(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'none' / 'r.db'}"},
            "models": {"dir": str(tmp_path / "models")},
            "training": {"seed_dir": str(seed), "n_splits": 2, "max_data_mb": 0.001},
            "logging": {"dir": "logs"},
        }
    )
    return load_config(path)


def _train(cfg, *argv: str) -> int:
    return pipeline.main(["train", *argv, "--config", str(cfg.path)])


def test_arguments_are_checked_before_any_data_is_loaded(cfg, monkeypatch, capsys, tmp_path):
    def no_loading(*args, **kwargs):
        raise AssertionError("training data loaded before the arguments were checked")

    monkeypatch.setattr(stage, "gather", no_loading)
    assert _train(cfg, "--eval", "/nope.csv") == 1
    assert capsys.readouterr().err.strip() == "error: --eval /nope.csv: no such file"
    big = tmp_path / "big.csv"
    big.write_text("text,label\n" + "a long enough ad,0\n" * 200, encoding="utf-8")
    assert _train(cfg, "--data", str(big)) == 1
    err = capsys.readouterr().err
    assert "is more than training.max_data_mb (0.001)" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "content,message",
    [
        ("text,label\n", "labelled.csv: no rows below the header"),
        ("title,description,label\nKK Park job,telegram only,1\n,,0\n", "labelled.csv:3: a row without text"),
    ],
)
def test_labelled_files_without_rows_or_text_are_refused(cfg, tmp_path, capsys, content, message):
    data = tmp_path / "labelled.csv"
    data.write_text(content, encoding="utf-8")
    config = load_config(cfg.path)
    big_enough = cfg.path.read_text().replace("max_data_mb: 0.001", "max_data_mb: 10")
    cfg.path.write_text(big_enough)
    assert _train(config, "--no-decisions", "--data", str(data)) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1


@pytest.mark.slow
def test_an_identical_retrain_saves_nothing_and_the_summary_lists_every_source(cfg, capsys):
    cfg.path.write_text(cfg.path.read_text().replace("max_data_mb: 0.001", "max_data_mb: 10"))
    assert _train(cfg) == 0
    first = capsys.readouterr().out
    assert "analysts' decisions" in first and "no database at sqlite:///" in first  # said, not created
    assert not (cfg.path.parent.parent / "none").exists()
    [version] = registry.list_versions(cfg.models.dir)
    card = registry.read_card(cfg.models.dir, version)
    assert len(card["training"]["fitted_row_keys"]) > 0
    # Logs give rounded figures: no FPR like 0.10655737704918032.
    [log_file] = cfg.logging.dir.glob("lurewatch-train-*.log")
    lines = [line for line in log_file.read_text().splitlines() if "for target recall" in line]
    numbers = re.findall(r"\b\d+\.\d+\b", " ".join(line.split(": ", 1)[1] for line in lines))
    assert lines and numbers and all(len(n) <= 6 for n in numbers), lines
    assert _train(cfg) == 0
    again = capsys.readouterr().out
    assert f"identical to {version}: same data" in again and "nothing saved" in again
    assert registry.list_versions(cfg.models.dir) == [version]


def test_rows_a_model_was_fitted_on_are_recognised_by_hash_or_by_source():
    rows = pd.DataFrame(
        {"title": ["a", "b", "c"], "company": "", "location": "", "salary": "", "description": ["x", "y", "z"],
         "subset": ["seed", "decision:board", "seed"]}
    )  # fmt: skip
    keyed = {"training": {"fitted_row_keys": list(row_keys(rows.iloc[[1]]))}}
    mask, how = seen_by(keyed, rows)
    assert mask.tolist() == [False, True, False] and how == "by the row hashes in its card"
    older = {"training": {"per_subset": {"seed": 382}}}  # a card from before the hashes: by source
    mask, how = seen_by(older, rows)
    assert mask.tolist() == [True, False, True] and how.startswith("by data source")
