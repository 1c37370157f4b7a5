"""Files from users through classify and evaluate (issues 14 and 16): BOMs, inputs kept safe,
rows without text, structured values, header-only files, evaluation in batches."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

import pipeline
from classifier.errors import AdFileError, ClassifierError
from stages.classify import NO_TEXT, classify, evaluate
from tests.stages.test_classify import ADS, _config, _write_jsonl


@pytest.fixture
def ads_csv(tmp_path):
    src = tmp_path / "ads.csv"
    pd.DataFrame(ADS).to_csv(src, index=False)
    return src


def test_a_csv_for_people_has_a_bom_and_stdout_has_none(ads_csv, tmp_path, tiny_models_dir):
    out = tmp_path / "out.csv"
    classify(_config(tiny_models_dir), ads_csv, out)
    assert out.read_bytes().startswith("\ufeffid,".encode())
    jsonl = tmp_path / "out.jsonl"
    classify(_config(tiny_models_dir), ads_csv, jsonl)
    assert jsonl.read_bytes().startswith(b'{"id"')
    buf = io.StringIO()
    classify(_config(tiny_models_dir), ads_csv, None, stdout=buf)
    assert buf.getvalue().startswith("id,")


def test_out_equal_to_the_input_is_refused_and_the_input_kept(ads_csv, tiny_models_dir):
    before = ads_csv.read_bytes()
    with pytest.raises(ClassifierError, match="is the input file"):
        classify(_config(tiny_models_dir), ads_csv, ads_csv.parent / "." / ads_csv.name)
    assert ads_csv.read_bytes() == before


def test_out_into_a_missing_folder_is_created(ads_csv, tmp_path, tiny_models_dir):
    out = tmp_path / "new" / "folder" / "out.csv"
    assert classify(_config(tiny_models_dir), ads_csv, out)["rows"] == 3 and out.is_file()


def test_rows_without_text_get_an_error_and_no_score(tmp_path, tiny_models_dir):
    src = tmp_path / "ads.csv"
    src.write_text("id,title,description\n1,,\n2,Cashier,Shop in Seoul\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    counts = classify(_config(tiny_models_dir), src, out)
    got = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert got["error"].tolist() == [NO_TEXT, ""]
    assert got.loc[0, "score"] == "" and got.loc[1, "score"] != ""
    assert counts["no_text"] == 1


def test_dict_and_list_values_stay_json(tmp_path, tiny_models_dir):
    src = tmp_path / "ads.jsonl"
    _write_jsonl(src, [{"id": 1, "title": {"ko": "캄보디아 채용"}, "description": "Cambodia job", "tags": ["a", "b"]}])
    out = tmp_path / "out.csv"
    classify(_config(tiny_models_dir), src, out)
    got = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert json.loads(got.loc[0, "title"]) == {"ko": "캄보디아 채용"} and json.loads(got.loc[0, "tags"]) == ["a", "b"]
    assert "{'" not in out.read_text(encoding="utf-8-sig")


def test_a_header_only_file_is_a_one_line_error(tmp_path, tiny_models_dir, write_config, capsys):
    src = tmp_path / "labelled.csv"
    src.write_text("text,label\n", encoding="utf-8")
    with pytest.raises(ClassifierError, match="labelled.csv: no rows below the header"):
        evaluate(_config(tiny_models_dir), src, out_dir=tmp_path)
    cfg = write_config({"models": {"dir": str(tiny_models_dir)}, "logging": {"dir": "logs"}})
    assert pipeline.main(["evaluate", str(src), "--config", str(cfg), "--out-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no rows below the header" in err and len(err.splitlines()) == 1


def test_evaluation_streams_in_chunks_with_the_same_figures(tmp_path, tiny_models_dir):
    src = tmp_path / "lab.jsonl"
    rows = [dict(a, label=y) for a, y in zip(ADS, [1, 0, 1])] * 5
    _write_jsonl(src, rows)
    whole = evaluate(_config(tiny_models_dir), src, out_dir=tmp_path / "a", chunksize=10_000)
    parts = evaluate(_config(tiny_models_dir), src, out_dir=tmp_path / "b", chunksize=2)
    assert whole["overall"] == parts["overall"] and whole["overall"]["n"] == 15


def test_a_row_without_text_is_refused_in_evaluation_with_its_line(tmp_path, tiny_models_dir):
    src = tmp_path / "lab.csv"
    src.write_text("title,description,label\nKK Park job,telegram only,1\n,,0\n", encoding="utf-8")
    with pytest.raises(ClassifierError, match=r"lab\.csv:3: no text"):
        evaluate(_config(tiny_models_dir), src, out_dir=tmp_path)


@pytest.mark.parametrize(
    "content,message",
    [
        ('id,text\n1,"fine"\n2,"never closed\n3,x\n', r"bad\.csv:3: malformed CSV: unterminated quote"),
        ("id,text\n1," + "x" * 1_000_001 + "\n", r"bad\.csv:2: malformed CSV: a cell is longer than 1,000,000"),
        ("id,text\n1,a\x00b\n", r"bad\.csv:2: NUL byte"),
    ],
)
def test_broken_csv_names_the_line(tmp_path, content, message):
    from classifier import adfiles

    src = tmp_path / "bad.csv"
    src.write_text(content, encoding="utf-8")
    with pytest.raises(AdFileError, match=message):
        list(adfiles.read_ads(src))
