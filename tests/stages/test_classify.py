"""stages.classify: files in and out, explanations, evaluation reports, bad input."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil

import pandas as pd
import pytest

from classifier import adfiles, registry
from classifier.errors import AdFileError, ModelError
from config import Config, ScoringConfig, parse_config
from stages.classify import classify, evaluate, explain, format_explanation

ADS = [
    {
        "id": "a1",
        "title": "캄보디아 고수익 알바",
        "description": "월 1000만원, 숙식 제공, 텔레그램 @abc 문의. 감금 절대 없음",
        "extra": "x",
    },
    {
        "id": "a2",
        "title": "Backend engineer",
        "description": "5 years of experience, apply via our website",
        "extra": "y",
    },
    {"id": "a3", "text": "급구 시아누크빌 채팅 상담 월 800 경력무관 텔레 @kk", "extra": "z"},
]


def _config(models_dir, threshold: float | None = None) -> Config:
    """A config whose model is the one in ``models_dir``; ``threshold`` overrides its card's."""
    config = parse_config({"models": {"dir": str(models_dir)}}, models_dir.parent)
    return dataclasses.replace(config, scoring=dataclasses.replace(config.scoring, threshold=threshold))


def _write_jsonl(path, rows) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_classify_csv_keeps_columns(tmp_path, tiny_models_dir) -> None:
    src = tmp_path / "ads.csv"
    pd.DataFrame(ADS).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    counts = classify(_config(tiny_models_dir), src, out, chunksize=2)
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(got.columns[:5]) == ["id", "title", "description", "extra", "text"]
    assert got["id"].tolist() == ["a1", "a2", "a3"] and got["extra"].tolist() == ["x", "y", "z"]
    assert {"score", "band", "flagged", "reasons"} <= set(got.columns)
    assert counts["rows"] == 3
    assert "“" in got.loc[0, "reasons"]  # readable text in CSV
    assert not list(tmp_path.glob(".*.tmp"))  # no half-written file left


def test_classify_jsonl_to_stdout(tmp_path, tiny_models_dir) -> None:
    src = tmp_path / "ads.jsonl"
    _write_jsonl(src, ADS)
    buf = io.StringIO()
    classify(_config(tiny_models_dir), src, None, stdout=buf)
    rows = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert [r["id"] for r in rows] == ["a1", "a2", "a3"] and rows[2]["extra"] == "z"
    assert isinstance(rows[0]["reasons"], list) and {"signal", "weight", "evidence"} <= set(rows[0]["reasons"][0])
    assert rows[0]["band"] in {"critical", "high", "medium", "low"} and isinstance(rows[0]["flagged"], bool)


def test_output_format_follows_out_extension(tmp_path, tiny_models_dir) -> None:
    src = tmp_path / "ads.csv"
    pd.DataFrame(ADS).to_csv(src, index=False)
    out = tmp_path / "out.jsonl"
    classify(_config(tiny_models_dir), src, out)
    assert json.loads(out.read_text().splitlines()[0])["id"] == "a1"


def test_threshold_override(tmp_path, tiny_models_dir) -> None:
    src = tmp_path / "ads.jsonl"
    _write_jsonl(src, ADS)
    buf = io.StringIO()
    classify(_config(tiny_models_dir, threshold=0.0), src, None, stdout=buf)
    assert all(json.loads(line)["flagged"] for line in buf.getvalue().splitlines())


def test_bad_jsonl_names_the_line(tmp_path, tiny_models_dir) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text('{"text": "ok"}\n{"text": "ok"}\n{"text": broken}\n', encoding="utf-8")
    with pytest.raises(AdFileError, match=r"bad\.jsonl:3:\d+: invalid JSON"):
        classify(_config(tiny_models_dir), src, tmp_path / "o.jsonl")
    assert not (tmp_path / "o.jsonl").exists() and not list(tmp_path.glob(".*.tmp"))


def test_bad_csv_names_the_line(tmp_path) -> None:
    src = tmp_path / "bad.csv"
    src.write_text('id,text\n1,"fine"\n2,"fine"\n3,"a","b","c"\n', encoding="utf-8")
    with pytest.raises(AdFileError, match=r"bad\.csv:4: malformed CSV"):
        list(adfiles.read_ads(src))


@pytest.mark.parametrize(
    "name,content,fragment",
    [
        ("x.txt", "hello", "unknown ad file type"),
        ("x.jsonl", "[1, 2]\n", "expected a JSON object"),
        ("x.csv", "", "empty file"),
        ("x.csv", "id,label\n1,0\n", "no text column"),
        ("x.jsonl", '{"id": 1}\n', "no text column"),
    ],
)
def test_bad_files(tmp_path, name, content, fragment) -> None:
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    with pytest.raises(AdFileError, match=fragment):
        list(adfiles.read_ads(p))


def test_one_legacy_encoding_is_read_and_a_mixed_file_names_the_line(tmp_path) -> None:
    p = tmp_path / "x.csv"
    p.write_bytes("text\n캄보디아\n".encode("cp949"))
    assert list(adfiles.read_ads(p))[0]["text"].tolist() == ["캄보디아"]
    # Rows pasted from a CP949 file into a UTF-8 one: neither encoding reads it all.
    p.write_bytes("text\n캄보디아\n".encode() + "라오스\n".encode("cp949"))
    with pytest.raises(AdFileError, match=r"x\.csv:3: the file mixes encodings \(line 2 is UTF-8, line 3 is not\)"):
        list(adfiles.read_ads(p))


def test_bad_label(tmp_path, tiny_models_dir) -> None:
    p = tmp_path / "lab.csv"
    pd.DataFrame({"text": ["a", "b"], "label": ["1", "scam"]}).to_csv(p, index=False)
    with pytest.raises(AdFileError, match=r"lab\.csv:3: label 'scam' is not 0 or 1"):
        evaluate(_config(tiny_models_dir), p, out_dir=tmp_path)


def test_explain_text(tiny_models_dir) -> None:
    text = "캄보디아 고수익 알바, 감금 절대 없음, 텔레그램 @abc"
    out = format_explanation(explain(_config(tiny_models_dir), text))
    assert out.startswith("score ") and "band" in out and "threshold" in out
    assert "safety denial: “감금 절대”" in out
    assert "[[감금 절대]]" in out


def test_evaluate_file_writes_json_and_png(tmp_path, tiny_models_dir) -> None:
    p = tmp_path / "lab.jsonl"
    rows = [dict(a, label=y, language=g) for a, y, g in zip(ADS, [1, 0, 1], ["ko", "en", "ko"])]
    _write_jsonl(p, rows + [{"text": "Cashier wanted, apply at the counter", "label": 0, "language": "en"}])
    rep = evaluate(_config(tiny_models_dir), p, out_dir=tmp_path / "rep")
    o = rep["overall"]
    assert {"pr_auc", "roc_auc", "precision", "recall", "f1", "confusion"} <= set(o)
    assert set(rep["per_language"]) == {"en", "ko"}
    assert json.loads((tmp_path / "rep" / "lab.eval.json").read_text())["model"] == rep["model"]
    assert (tmp_path / "rep" / "lab.pr.png").read_bytes()[:4] == b"\x89PNG"


def test_parallel_classify_keeps_order(tmp_path, tiny_models_dir) -> None:
    src = tmp_path / "ads.jsonl"
    _write_jsonl(src, ADS * 3)
    one, two = io.StringIO(), io.StringIO()
    classify(_config(tiny_models_dir), src, None, stdout=one, chunksize=2)
    classify(_config(tiny_models_dir), src, None, stdout=two, chunksize=2, n_jobs=2)
    assert one.getvalue() == two.getvalue()


def test_parallel_classify_refuses_a_modified_model_before_reading(tmp_path, tiny_models_dir) -> None:
    """With --jobs the parent does not load the model, but still checks it is the one its
    card names, and an unknown version is named with the known ones, as with one job."""
    models = tmp_path / "modified"
    shutil.copytree(tiny_models_dir, models)
    version = registry.current_version(models)
    with (models / version / registry.ARTEFACT).open("ab") as fh:
        fh.write(b"x")
    src, empty = tmp_path / "ads.jsonl", tmp_path / "none.jsonl"
    _write_jsonl(src, ADS)
    _write_jsonl(empty, [])  # no chunk reaches a worker: only the parent can refuse the model
    for ads in (src, empty):
        with pytest.raises(ModelError, match="does not match its card"):
            classify(_config(models), ads, tmp_path / "out.jsonl", n_jobs=2)
        assert not (tmp_path / "out.jsonl").exists()
    pinned = dataclasses.replace(_config(tiny_models_dir), scoring=ScoringConfig(model="20000101T000000Z"))
    for jobs in (1, 2):
        with pytest.raises(ModelError, match=r"no model 20000101T000000Z in .*\(known: "):
            classify(pinned, src, tmp_path / "out.jsonl", n_jobs=jobs)
