"""The command line's authority and order (issue 24), through pipeline.main in-process.

One order (band, score, age) for review claim, review list and the exports; one decision
rule with the desk (an open item needs your own claim, needs_info too); another analyst's
verdict or import only as a lead, on the record; the OS user beside --analyst.
"""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import select

import pipeline
from stages.common import database
from store.accounts import add_user
from store.campaigns import link_ads
from store.queue import claim, decide
from store.schema import ReviewEvent, ReviewItem
from tests.store.queue_fixtures import T0, make_ad, score


def _run(config, *argv: str) -> int:
    return pipeline.main([*argv, "--config", str(config.path)])


@pytest.fixture
def bands(config):
    """Pending items of three bands: critical at 0.13, high at 0.85, medium at 0.4 (rescored)."""
    with database(config) as factory, factory.begin() as s:
        critical, high, medium = (make_ad(s, n) for n in range(3))
        score(s, high, 0.85)
        score(s, critical, 0.13, threshold=0.1, band="critical")
        score(s, medium, 0.8)
        score(s, medium, 0.4, version="v2")
        items = {i.ad_id: i.id for i in s.scalars(select(ReviewItem))}
    return config, {"critical": items[critical], "high": items[high], "medium": items[medium]}


def _os_user(monkeypatch, name: str = "mallory") -> None:
    monkeypatch.setattr("stages.review.getpass.getuser", lambda: name)


def test_claim_list_and_exports_share_one_order_critical_first(bands, capsys, tmp_path):
    config, items = bands
    order = [items["critical"], items["high"], items["medium"]]
    assert _run(config, "review", "list", "--all-items") == 0
    assert [int(line.split()[0]) for line in capsys.readouterr().out.splitlines()[1:]] == order
    out = tmp_path / "q.csv"
    assert _run(config, "export", "--format", "csv", "--out", str(out)) == 0
    with out.open(encoding="utf-8-sig", newline="") as f:
        assert [int(r["review_id"]) for r in csv.DictReader(f)] == order
    capsys.readouterr()
    assert _run(config, "review", "claim", "--analyst", "ann") == 0
    claimed = capsys.readouterr().out.splitlines()[1]
    assert int(claimed.split()[0]) == items["critical"] and "critical" in claimed


def test_needs_info_on_an_unclaimed_item_is_refused_as_on_the_desk(bands, capsys):
    config, items = bands
    assert _run(config, "review", "decide", str(items["high"]), "needs_info", "--analyst", "ann") == 1
    assert "claim it first" in capsys.readouterr().err
    assert _run(config, "review", "claim", "--item", str(items["high"]), "--analyst", "ann") == 0
    assert _run(config, "review", "decide", str(items["high"]), "needs_info", "--analyst", "bob") == 1
    assert "claimed by ann" in capsys.readouterr().err
    assert _run(config, "review", "decide", str(items["high"]), "needs_info", "--analyst", "ann") == 0


def test_anothers_verdict_changes_only_as_a_lead_and_the_os_user_is_on_record(bands, capsys, monkeypatch):
    config, items = bands
    item = items["high"]
    with database(config) as factory, factory.begin() as s:
        claim(s, "ana", 3, T0)
        decide(s, item, "scam", "ana", T0, "same handle as campaign 3")
        add_user(s, "lea", "correct horse battery staple", T0, "lead")
    _os_user(monkeypatch)
    assert _run(config, "review", "decide", str(item), "legit", "--analyst", "bob", "--note", "fine") == 1
    assert "already decided scam by ana: only ana or a lead may change that verdict" in capsys.readouterr().err
    assert _run(config, "review", "decide", str(item), "legit", "--analyst", "bob", "--as-lead", "--note", "x") == 1
    assert "--as-lead: bob is not a lead account" in capsys.readouterr().err
    assert _run(config, "review", "decide", str(item), "legit", "--analyst", "lea", "--as-lead", "--note", "ok") == 0
    with database(config) as factory, factory() as s:
        row = s.get(ReviewItem, item)
        event = s.scalars(
            select(ReviewEvent).where(ReviewEvent.item_id == item).order_by(ReviewEvent.id.desc())
        ).first()
    assert (row.status, row.decided_by) == ("legit", "lea")
    assert (event.actor, event.os_user, event.note) == ("lea", "mallory", "as lead, over ana's scam verdict | ok")
    capsys.readouterr()
    assert _run(config, "review", "log", "--item", str(item)) == 0
    assert "[os user mallory]" in capsys.readouterr().out.splitlines()[-1]


def test_only_the_importer_or_a_lead_undoes_an_import(bands, capsys, tmp_path, monkeypatch):
    config, items = bands
    with database(config) as factory, factory.begin() as s:
        add_user(s, "lea", "correct horse battery staple", T0, "lead")
    path = tmp_path / "d.csv"
    assert _run(config, "export", "--format", "csv", "--out", str(path)) == 0
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    rows[0]["decision"], rows[1]["decision"] = "scam", "legit"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    _os_user(monkeypatch, "ana-laptop")
    capsys.readouterr()
    assert _run(config, "import-decisions", str(path), "--analyst", "ana") == 0
    import_id = int(capsys.readouterr().out.split()[1])
    assert _run(config, "import-decisions", "--undo", str(import_id), "--analyst", "bob") == 1
    assert f"import {import_id} was made by ana: only ana or a lead may undo it" in capsys.readouterr().err
    with database(config) as factory, factory() as s:
        assert s.get(ReviewItem, int(rows[0]["review_id"])).status == "scam"
    assert _run(config, "import-decisions", "--undo", str(import_id), "--analyst", "lea", "--as-lead") == 0
    with database(config) as factory, factory() as s:
        assert s.get(ReviewItem, int(rows[0]["review_id"])).status == "pending"
        notes = {e.note for e in s.scalars(select(ReviewEvent).where(ReviewEvent.actor == "lea"))}
    assert notes == {f"undo of import {import_id} (d.csv), as lead, of ana's import"}
    with database(config) as factory, factory() as s:
        from store.schema import DecisionImport

        assert s.get(DecisionImport, import_id).os_user == "ana-laptop"


def test_list_keeps_the_scam_mark_of_a_big_campaign(config, capsys):
    with database(config) as factory, factory.begin() as s:
        ads = [make_ad(s, n, contacts={"telegram": ["@one_recruiter"]}) for n in range(12)]
        for ad in ads:
            score(s, ad, 0.8)
        link_ads(s, ads, T0)
        claim(s, "ann", 1, T0)
        decide(s, 1, "scam", "ann", T0)
    assert _run(config, "review", "list") == 0
    line = capsys.readouterr().out.splitlines()[1]
    assert "×12 (11 here) scam" in line


def test_jsonl_current_note_belongs_to_the_decision_that_holds(bands, tmp_path):
    config, items = bands
    item = items["high"]
    with database(config) as factory, factory.begin() as s:
        claim(s, "bob", 3, T0)
        decide(s, item, "needs_info", "bob", T0, "Looks like a genuine post")
        decide(s, item, "scam", "cid", T0)
    out = tmp_path / "q.jsonl"
    assert _run(config, "export", "--format", "jsonl", "--status", "all", "--out", str(out)) == 0
    row = next(r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines()) if r["review_id"] == item)
    assert (row["decided_by"], row["current_note"], row["current_note_by"]) == ("cid", None, None)
    with database(config) as factory, factory.begin() as s:
        decide(s, items["critical"], "needs_info", "bob", T0, "ask the board for the employer")
    assert _run(config, "export", "--format", "jsonl", "--status", "all", "--out", str(out), "--force") == 0
    rows = {r["review_id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    asked = rows[items["critical"]]
    assert (asked["current_note"], asked["current_note_by"]) == ("ask the board for the employer", "bob")
    assert asked["current_note_at"].startswith("2026-11-25T02:00")
