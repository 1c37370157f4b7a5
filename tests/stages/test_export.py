"""The nightly export stage: one dated file per configured format, inside a recorded run."""

from __future__ import annotations

import json
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


def test_export_out_symlinks_devices_stdout_and_mkdir(config, capsys, tmp_path):
    """Issue 23, probe 4: --force --out to a symlink, a FIFO, /dev/stdout or /dev/full replaced
    each with a regular file, and a missing folder was created silently."""
    import os

    import pipeline

    with database(config) as factory:
        with factory.begin() as s:
            score(s, make_ad(s, 1), 0.9)
    base = ["export", "--format", "csv", "--config", str(config.path), "--force"]
    real = tmp_path / "real.csv"
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    assert pipeline.main([*base, "--out", str(link)]) == 0
    assert link.is_symlink() and real.read_text(encoding="utf-8-sig").startswith("review_id,")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/full"), Path("/dev/stdout")):
        capsys.readouterr()
        assert pipeline.main([*base, "--out", str(path)]) == 1, path
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "not a file" in err and "Traceback" not in err
    assert Path("/dev/full").is_char_device() and fifo.is_fifo()
    assert pipeline.main([*base, "--out", str(tmp_path / "new" / "x.csv")]) == 1
    assert "add --mkdir" in capsys.readouterr().err and not (tmp_path / "new").exists()
    assert pipeline.main([*base, "--out", str(tmp_path / "new" / "x.csv"), "--mkdir"]) == 0
    capsys.readouterr()
    assert pipeline.main([*base, "--out", "-", "--format", "jsonl"]) == 0
    out = capsys.readouterr().out
    assert [json.loads(line)["review_id"] for line in out.splitlines()] == [1]  # only the data on stdout
    assert pipeline.main([*base, "--out", str(tmp_path / ("x" * 300 + ".csv"))]) == 1
    assert "file name too long" in capsys.readouterr().err
