"""The nightly export stage: one dated file per configured format, inside a recorded run."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from openpyxl import load_workbook

from stages.common import database
from stages.export import default_path, export_nightly, export_queue
from stages.run import STAGES, run_nightly
from store.listing import QueueFilter
from tests.store.queue_fixtures import make_ad, score


def test_nightly_run_writes_one_dated_export_per_format(write_config):
    from config import load_config

    config = load_config(
        write_config(
            {"database": {"url": "sqlite:///t.db"}, "export": {"dir": "out", "formats": ["xlsx", "csv", "jsonl"]}}
        )
    )
    assert ("export", export_nightly) in STAGES
    with database(config) as factory:
        with factory.begin() as s:
            score(s, make_ad(s, 1), 0.9)
            score(s, make_ad(s, 2), 0.2)
        # Only the export stage: the shipped model would otherwise rescore these fixture ads.
        result = run_nightly(config, factory, stages=[("export", export_nightly)])
    assert result.status == "ok"
    [stage] = [r for r in result.stages if r.name == "export"]
    assert stage.counts["items"] == 1 and len(stage.counts["files"]) == 3
    names = sorted(p.name for p in config.export.dir.iterdir())
    day = result.started_at.date().isoformat()
    # The run's JSON summary sits beside the exports.
    run = result.run_id
    assert names == [f"flagged-{day}-run{run}.{ext}" for ext in ("csv", "jsonl", "xlsx")] + [f"run-{day}-{run}.json"]


def test_export_queue_defaults_and_filters(config):
    now = datetime(2026, 11, 25, 23, 59, tzinfo=timezone.utc)
    with database(config) as factory:
        with factory.begin() as s:
            score(s, make_ad(s, 1), 0.9)
        path, n = export_queue(config, factory, now=now)
        assert path == default_path(config, "xlsx", now) and path.name == "flagged-2026-11-25.xlsx"
        assert n == 1
        _, none = export_queue(
            config, factory, "csv", QueueFilter(statuses=("scam",)), out=config.export.dir / "scam.csv"
        )
        assert none == 0 and (config.export.dir / "scam.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_an_ad_hoc_export_never_replaces_a_file_without_force(config, capsys):
    """Issue 14: an ad-hoc export on the nightly's day overwrote it (4 items became 1)."""
    import pipeline

    now = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)
    with database(config) as factory:
        with factory.begin() as s:
            for n in range(4):
                score(s, make_ad(s, n), 0.9)
        nightly = export_nightly(config, factory, run_id=7)
        [nightly_xlsx] = [p for p in map(Path, nightly.counts["files"]) if p.suffix == ".xlsx"]
        assert nightly_xlsx.name.endswith("-run7.xlsx")
        first, _ = export_queue(config, factory, now=now)
        second, one = export_queue(config, factory, filters=QueueFilter(campaign=999), now=now)
        assert (first.name, second.name) == ("flagged-2026-11-25.xlsx", "flagged-2026-11-25-2.xlsx") and one == 0
        assert len(load_workbook(first)["flagged"]["A"]) == 5  # header + 4, untouched by the second
    out = config.export.dir / "mine.csv"
    argv = ["export", "--out", str(out), "--config", str(config.path)]
    assert pipeline.main(argv) == 0 and out.read_bytes().startswith(b"\xef\xbb\xbfreview_id,")
    before = out.read_bytes()
    assert pipeline.main([*argv, "--status", "scam"]) == 1
    assert "already exists; choose another --out, or add --force" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert pipeline.main([*argv, "--status", "scam", "--force"]) == 0
    assert out.read_bytes().count(b"\n") == 1  # replaced: header only
