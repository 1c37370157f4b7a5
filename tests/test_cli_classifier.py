"""pipeline.main in-process for classify, explain, evaluate and train."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import pipeline
from classifier import registry


@pytest.fixture()
def cfg(write_config, tiny_models_dir):
    return write_config({"models": {"dir": str(tiny_models_dir)}})


def test_classify_to_file_and_stdout(cfg, tmp_path, capsys) -> None:
    src = tmp_path / "ads.csv"
    pd.DataFrame(
        {"id": ["x1", "x2"], "text": ["캄보디아 고수익 알바 텔레그램 문의", "Accountant, degree required"]}
    ).to_csv(src, index=False)
    assert pipeline.main(["classify", str(src), "--out", str(tmp_path / "o.jsonl"), "--config", str(cfg)]) == 0
    rows = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["x1", "x2"] and "2 ads scored" in capsys.readouterr().out
    assert pipeline.main(["classify", str(src), "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("id,text,") and "x2" in out


def test_classify_bad_file_is_one_line_error(cfg, tmp_path, capsys) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text('{"text": "a"}\nnot json\n')
    assert pipeline.main(["classify", str(src), "--config", str(cfg)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "bad.jsonl:2" in err and "\n" not in err


def test_explain_text_and_file(cfg, tmp_path, capsys) -> None:
    assert pipeline.main(["explain", "감금 절대 없음, 캄보디아 고수익", "--config", str(cfg)]) == 0
    assert "safety denial" in capsys.readouterr().out
    f = tmp_path / "ad.txt"
    f.write_text("Sihanoukville, no experience, Telegram only", encoding="utf-8")
    assert pipeline.main(["explain", "--file", str(f), "--config", str(cfg)]) == 0
    assert "score" in capsys.readouterr().out
    assert pipeline.main(["explain", "--config", str(cfg)]) == 2  # TEXT or --file: a usage error


def test_evaluate(cfg, tmp_path, capsys) -> None:
    src = tmp_path / "lab.csv"
    pd.DataFrame(
        {"text": ["캄보디아 고수익 텔레그램", "Accountant, degree required"], "label": [1, 0], "language": ["ko", "en"]}
    ).to_csv(src, index=False)
    assert pipeline.main(["evaluate", str(src), "--out-dir", str(tmp_path / "r"), "--config", str(cfg)]) == 0
    assert "PR-AUC" in capsys.readouterr().out and (tmp_path / "r" / "lab.eval.json").is_file()


def test_missing_model_is_a_user_error(write_config, tmp_path, capsys) -> None:
    cfg = write_config({"models": {"dir": str(tmp_path / "empty")}})
    assert pipeline.main(["explain", "hello", "--config", str(cfg)]) == 1
    assert "no current model" in capsys.readouterr().err


@pytest.mark.slow
def test_train_promotes(write_config, tmp_path, monkeypatch, capsys) -> None:
    seed = tmp_path / "seed"
    seed.mkdir()
    from tests.conftest import tiny_training_frame

    X, y, g = tiny_training_frame()
    pd.DataFrame(
        {
            "title": "",
            "description": X["description"],
            "company": "",
            "location": "",
            "salary": "",
            "language": "xx",
            "label": y,
            "provenance": "test",
            "group": g,
        }
    ).to_csv(seed / "s.csv", index=False)
    models = tmp_path / "models"
    cfg = write_config(
        {
            "models": {"dir": str(models)},
            "database": {"url": f"sqlite:///{tmp_path / 't.db'}"},
            "training": {"seed_dir": str(seed), "n_splits": 3},
        }
    )
    assert pipeline.main(["train", "--promote", "--config", str(cfg)]) == 0
    assert "current model: " in capsys.readouterr().out
    assert registry.current_version(models) in registry.list_versions(models)


# ------------------------------------------------ issue 23, probes 14 and 15: one line, never exit 3


def test_hostile_inputs_are_one_line_errors_never_tracebacks(cfg, write_config, tmp_path, capsys) -> None:
    src = tmp_path / "big.jsonl"
    src.write_text('{"text": "a job"}\n{"text": "b", "n": ' + "9" * 5000 + "}\n")  # Python refuses 4,300+ digits
    assert pipeline.main(["classify", str(src), "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "big.jsonl:2: invalid JSON: a number of 5,000 characters (at most 40)" in err and err.count("\n") == 1
    assert pipeline.main(["explain", "--file", "/dev/zero", "--config", str(cfg)]) == 1  # was 2.6 GB and exit 3
    err = capsys.readouterr().err
    assert "/dev/zero: more than 1,000,000 bytes" in err and err.count("\n") == 1
    bad_logs = write_config({"logging": {"dir": "/dev/null/x"}}, name="logs.yaml")
    assert pipeline.main(["score", "--config", str(bad_logs)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: logging.dir: cannot write the log file /dev/null/x/") and err.count("\n") == 1


def test_classify_output_is_valid_json_whatever_the_input_numbers(cfg, tmp_path, capsys) -> None:
    """Issue 23, probe 15: NaN and Infinity in the rows came out as bare Infinity, which JSON parsers reject."""
    src = tmp_path / "nan.jsonl"
    src.write_text(
        '{"text": "Sihanoukville, no experience", "x": NaN, "y": Infinity, "z": -Infinity, "w": 1e999}\n'
        '{"text": "Accountant \\u202edegree\\u202c required", "x": 1.5}\n'
    )
    out = tmp_path / "o.jsonl"
    assert pipeline.main(["classify", str(src), "--out", str(out), "--config", str(cfg)]) == 0
    lines = out.read_text().splitlines()
    rows = [json.loads(line, parse_constant=lambda name: pytest.fail(f"bare {name} in the output")) for line in lines]
    assert [(r["x"], r["y"], r["z"], r["w"]) for r in rows[:1]] == [(None, None, None, None)]
    assert rows[1]["text"] == "Accountant degree required"  # the direction override is gone
