"""review, export and import-decisions through pipeline.main, in-process, on a temp SQLite file."""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import pipeline
from stages.common import database
from stages.review import analyst_name, mark_runs
from store.exports import COLUMNS
from store.schema import ReviewEvent, ReviewItem
from store.workbook import XLSX_COLUMNS
from tests.store.queue_fixtures import make_ad, score

LURE = "고수익 해외 취업! 감금 절대 없음. \x1b[2J텔레그램 @cambo_hr 로 연락"


@pytest.fixture
def queued(config):
    with database(config) as factory, factory.begin() as s:
        a = make_ad(s, 1, description=LURE, contacts={"telegram": ["@cambo_hr"]})
        b = make_ad(s, 2, contacts={"telegram": ["@cambo_hr"]})
        c = make_ad(s, 3, country="MM", title="=HYPERLINK(\"http://x\")")
        score(s, a, 0.95)
        score(s, b, 0.8)
        score(s, c, 0.6)
        ids = {i.ad_id: i.id for i in s.scalars(select(ReviewItem))}
    return config, [ids[a], ids[b], ids[c]]


def _run(config, *argv: str) -> int:
    return pipeline.main([*argv, "--config", str(config.path)])


def test_list_shows_one_row_per_campaign_and_filters(queued, capsys):
    config, ids = queued
    assert _run(config, "review", "list") == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and "×2 (2 here)" in out[1] and out[1].split()[0] == str(ids[0])
    assert _run(config, "review", "list", "--all-items", "--country", "MM") == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[1].split()[0] == str(ids[2])


def test_list_by_band_riskiest_band_first(queued, capsys):
    """--band filters; the list runs by band severity, then score (0.95 is critical at the
    fixtures' threshold of 0.5, 0.8 and 0.6 are high)."""
    config, ids = queued
    assert _run(config, "review", "list", "--all-items", "--band", "critical,high") == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert [(int(line.split()[0]), line.split()[2]) for line in lines] == [
        (ids[0], "critical"),
        (ids[1], "high"),
        (ids[2], "high"),
    ]
    assert _run(config, "review", "list", "--all-items", "--band", "HIGH") == 0
    assert [int(line.split()[0]) for line in capsys.readouterr().out.splitlines()[1:]] == [ids[1], ids[2]]
    assert _run(config, "review", "list", "--band", "medium") == 0
    assert capsys.readouterr().out.strip() == "no review items match"
    assert _run(config, "review", "list", "--band", "critical,severe") == 2
    assert "unknown band 'severe'" in capsys.readouterr().err


def test_exports_run_by_band_then_score_with_a_band_column(queued, capsys, tmp_path):
    config, ids = queued
    with database(config) as factory, factory.begin() as s:
        # A very severe signal made the 0.6 ad critical: it goes first among the criticals' scores.
        item = s.get(ReviewItem, ids[2])
        score(s, item.ad_id, 0.6, band="critical")
    out = tmp_path / "q.csv"
    assert _run(config, "export", "--format", "csv", "--out", str(out)) == 0
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(int(r["review_id"]), r["band"]) for r in rows] == [
        (ids[0], "critical"),
        (ids[2], "critical"),
        (ids[1], "high"),
    ]
    xlsx = tmp_path / "q.xlsx"
    assert _run(config, "export", "--format", "xlsx", "--band", "critical", "--out", str(xlsx)) == 0
    sheet = load_workbook(xlsx).worksheets[0]
    header = [c.value for c in sheet[1]]
    band_col, id_col = header.index("band"), header.index("review_id")
    got = [(int(r[id_col].value), r[band_col].value) for r in sheet.iter_rows(min_row=2) if r[id_col].value]
    assert got == [(ids[0], "critical"), (ids[2], "critical")]


def test_show_marks_evidence_and_strips_terminal_escapes(queued, capsys):
    config, ids = queued
    assert _run(config, "review", "show", str(ids[0])) == 0
    out = capsys.readouterr().out
    assert "»감금 절대 없음«" in out and "\x1b" not in out
    assert "safety denial: “감금 절대 없음”" in out and "None -> pending" not in out
    assert "- -> pending" in out


def test_claim_decide_release_as_the_named_analyst(queued, capsys, monkeypatch):
    config, ids = queued
    monkeypatch.setenv("LUREWATCH_ANALYST", "kim")
    assert _run(config, "review", "claim", "2") == 0
    assert _run(config, "review", "decide", str(ids[0]), "legit") == 1
    assert "needs a note" in capsys.readouterr().err
    assert _run(config, "review", "--analyst", "lee", "decide", str(ids[1]), "scam") == 1
    assert "claimed by kim" in capsys.readouterr().err
    assert _run(config, "review", "release", str(ids[1])) == 0
    assert _run(config, "review", "decide", str(ids[0]), "SCAM", "--campaign", "--note", "same handle") == 0
    assert "2 ad(s) decided" in capsys.readouterr().out
    assert _run(config, "review", "decide", str(ids[2]), "maybe") == 1
    assert "error: unknown decision 'maybe'" in capsys.readouterr().err
    with database(config) as factory, factory() as s:
        statuses = dict(s.execute(select(ReviewItem.id, ReviewItem.status)).all())
        actors = set(s.scalars(select(ReviewEvent.actor).where(ReviewEvent.new_status == "scam")))
    assert statuses == {ids[0]: "scam", ids[1]: "scam", ids[2]: "pending"} and actors == {"kim"}


def test_export_then_import_through_the_command_line(queued, capsys, tmp_path):
    config, ids = queued
    assert _run(config, "export") == 0  # default: first of export.formats (xlsx), dated
    [path] = list(config.export.dir.glob("flagged-*.xlsx"))
    assert str(path) in capsys.readouterr().out
    wb = load_workbook(path)
    ws = wb.active
    assert ws.cell(row=4, column=XLSX_COLUMNS.index("title") + 1).value == '=HYPERLINK("http://x")'
    ws.cell(row=2, column=XLSX_COLUMNS.index("decision") + 1, value="scam")
    ws.cell(row=3, column=XLSX_COLUMNS.index("decision") + 1, value="nope")
    wb.save(path)
    assert _run(config, "import-decisions", str(path), "--analyst", "park") == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (f"error: {path.name} line 3: unknown decision 'nope' (expected scam, legit, needs_info, skipped)")
    ws.cell(row=3, column=XLSX_COLUMNS.index("decision") + 1, value="")
    wb.save(path)
    assert _run(config, "import-decisions", str(path), "--analyst", "park") == 0
    assert "1 decision(s) recorded as park" in capsys.readouterr().out
    out = tmp_path / "scam.csv"
    assert _run(config, "export", "--format", "csv", "--status", "scam", "--out", str(out)) == 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert [r[0] for r in table[1:]] == [str(ids[0])] and table[1][COLUMNS.index("status")] == "scam"


def test_bad_options_are_usage_errors(queued):
    config, _ = queued
    assert _run(config, "export", "--min-score", "2") == 2
    assert _run(config, "export", "--since", "yesterday") == 2
    assert _run(config, "import-decisions", "/nonexistent.csv") == 1


def test_analyst_name_order():
    assert analyst_name("cli", {"LUREWATCH_ANALYST": "env"}) == "cli"
    assert analyst_name(None, {"LUREWATCH_ANALYST": "env"}) == "env"
    assert analyst_name(None, {}) != ""


def test_marked_runs_with_ansi_and_without():
    runs = [("the ", ()), ("Passport KEPT", (1,)), ("\x1b[2J.", ())]
    # The escape in the ad is stripped (its printable rest stays, harmless); only ours remain.
    assert mark_runs(runs, ansi=True) == "the \x1b[1;31mPassport KEPT\x1b[0m[2J."
    assert mark_runs(runs) == "the »Passport KEPT«[2J."
