"""The analyst's terminal (issue 14): claims, the audit log, usage, pipes, mistyped databases, undo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

import pipeline
from stages.common import database
from store.schema import ReviewItem
from tests.store.queue_fixtures import make_ad, score

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queued(config):
    with database(config) as factory, factory.begin() as s:
        for n, value in ((1, 0.95), (2, 0.8), (3, 0.6)):
            score(s, make_ad(s, n, location="Bangkok, TH", country="TH"), value)
        ids = sorted(s.scalars(select(ReviewItem.id)))
    return config, ids


def _run(config, *argv: str) -> int:
    return pipeline.main([*argv, "--config", str(config.path)])


def test_claim_shows_the_expiry_and_claims_lists_holders(queued, capsys):
    config, ids = queued
    assert _run(config, "review", "claim", "2", "--analyst", "kim", "--minutes", "45") == 0
    out = capsys.readouterr().out
    assert "claimed until " in out and " UTC (2 item(s))" in out
    assert _run(config, "review", "claims") == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["ID", "HOLDER", "EXPIRES", "(UTC)", "TITLE"]
    assert [line.split()[:2] for line in table[1:]] == [[str(ids[0]), "kim"], [str(ids[1]), "kim"]]
    # claimed items left `review list`; `review claims` is where they are
    assert _run(config, "review", "list", "--all-items") == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]] == [str(ids[2])]


def test_uncertain_with_decided_statuses_is_refused(queued, capsys):
    config, _ = queued
    assert _run(config, "review", "list", "--uncertain", "2", "--status", "all") == 1
    assert "--uncertain ranks pending items only" in capsys.readouterr().err


def test_subcommand_help_and_usage(queued, capsys):
    config, _ = queued
    assert pipeline.main(["review", "decide", "--help"]) == 0
    assert "--analyst NAME" in capsys.readouterr().out
    assert _run(config, "review", "list", "--bogus") == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: pipeline.py review list ") and "unrecognized arguments: --bogus" in err


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["review", "claim", "99999999999999999999"], "not a whole number from 1 to 1,000,000"),
        (["review", "show", "99999999999999999999"], "not an id"),
        (["review", "list", "--limit", "-1"], "not a whole number"),
        (["classify", "x.csv", "--jobs", "0"], "not a whole number"),
    ],
)
def test_out_of_range_numbers_are_usage_errors(queued, capsys, argv, needle):
    config, _ = queued
    assert _run(config, *argv) == 2
    assert needle in capsys.readouterr().err


def test_read_only_commands_refuse_a_missing_database(config, tmp_path, monkeypatch, capsys):
    typo = tmp_path / "typo" / "lurewatch.db"
    monkeypatch.setenv("LUREWATCH_DATABASE_URL", f"sqlite:///{typo}")
    for argv in (["review", "list"], ["review", "claims"], ["export"], ["import-decisions", "--undo", "1"]):
        assert _run(config, *argv) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"error: database {typo} does not exist") and len(err.splitlines()) == 1
    assert not typo.parent.exists()


def test_a_non_numeric_port_is_a_one_line_error(config, monkeypatch, capsys):
    monkeypatch.setenv("LUREWATCH_DATABASE_URL", "postgresql+psycopg://u:secret@127.0.0.1:abc/db")
    assert _run(config, "review", "list") == 1
    err = capsys.readouterr().err
    # Config validation catches it before the store is opened, naming the variable it came from.
    assert err.startswith(
        "error: config.yaml: LUREWATCH_DATABASE_URL: postgresql+psycopg://u:***@127.0.0.1:abc/db: Port"
    )
    assert len(err.splitlines()) == 1 and "secret" not in err


def test_review_log_filters_and_show_prints_the_location_once(queued, capsys):
    config, ids = queued
    # A decision on an open item needs the analyst's own claim, from the terminal as in the desk.
    assert _run(config, "review", "claim", "--item", str(ids[0]), "--analyst", "kim") == 0
    assert _run(config, "review", "decide", str(ids[0]), "scam", "--analyst", "kim") == 0
    assert _run(config, "review", "claim", "--item", str(ids[1]), "--analyst", "lee") == 0
    assert _run(config, "review", "decide", str(ids[1]), "needs_info", "--analyst", "lee") == 0
    capsys.readouterr()
    assert _run(config, "review", "log", "--analyst", "kim") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(f"review {ids[0]}" in line for line in lines)
    assert "pending -> in_review" in lines[0] and "in_review -> scam" in lines[1]
    assert _run(config, "review", "log", "--item", str(ids[1]), "--since", "2000-01-01") == 0
    out = capsys.readouterr().out.splitlines()
    assert (
        len(out) == 3 and "- -> pending" in out[0] and "in_review -> needs_info" in out[2]
    )  # queued, claimed, decided
    assert _run(config, "review", "log", "--since", "2999-01-01") == 0
    assert capsys.readouterr().out.strip() == "no events match"
    assert _run(config, "review", "show", str(ids[0])) == 0
    assert "location Bangkok, TH\n" in capsys.readouterr().out


def test_import_then_undo_through_the_command_line(queued, tmp_path, capsys):
    config, ids = queued
    path = tmp_path / "decisions.csv"
    path.write_text(f"review_id,decision,note\n{ids[1]},scam,\n{ids[0]},legit,\n", encoding="utf-8")
    assert _run(config, "import-decisions", str(path), "--analyst", "park") == 1  # 0.95 needs a note to clear
    path.write_text(f"review_id,decision,note\n{ids[2]},scam,\n{ids[1]},needs_info,\n", encoding="utf-8")
    capsys.readouterr()
    assert _run(config, "import-decisions", str(path), "--analyst", "park") == 0
    out = capsys.readouterr().out
    assert out.startswith("import 1 (utf-8-sig (utf-8)): 2 decision(s) recorded as park")
    assert "pipeline.py import-decisions --undo 1" in out
    assert _run(config, "import-decisions", "--undo", "1", "--analyst", "park") == 0
    assert "import 1 (decisions.csv) undone: 2 item(s) put back" in capsys.readouterr().out
    with database(config) as factory, factory() as s:
        assert set(s.scalars(select(ReviewItem.status))) == {"pending"}
    assert _run(config, "import-decisions", "--undo", "1") == 1
    assert "already undone" in capsys.readouterr().err


def test_output_into_a_closed_pipe_ends_quietly(queued):
    config, _ = queued
    command = f"{sys.executable} pipeline.py review list --all-items --config {config.path} | head -1"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.startswith("    ID")
    assert done.returncode == 0 and done.stderr == ""


def test_explain_refuses_an_empty_text(config, capsys, tmp_path):
    assert _run(config, "explain", "  ") == 1
    assert capsys.readouterr().err.startswith("error: nothing to explain: the text is empty")
    (tmp_path / "empty.txt").write_text("\n", encoding="utf-8")
    assert _run(config, "explain", "--file", str(tmp_path / "empty.txt")) == 1
    assert "empty.txt is empty" in capsys.readouterr().err


def test_an_unexpected_error_names_a_log_file_that_exists(queued, capsys, monkeypatch):
    config, _ = queued
    from stages import review

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(review, "list_queue", broken)
    assert _run(config, "review", "list") == 3
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unexpected error: RuntimeError: a bug (traceback in ") and "\n" not in err
    log_file = Path(err.split("(traceback in ")[1].rstrip(")"))
    assert log_file.is_file() and "Traceback" in log_file.read_text() and "a bug" in log_file.read_text()
    assert os.path.commonpath([log_file, config.logging.dir]) == str(config.logging.dir)
