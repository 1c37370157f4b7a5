"""Crash safety: a run killed (SIGKILL) during crawl, scoring or export, then restarted,
ends with the same database as an uninterrupted run: same ads, scores and review items."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.nightly.sitegen import write_site

PROJECT = Path(__file__).resolve().parents[2]
N_ADS = 400


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return write_site(tmp_path_factory.mktemp("site"), N_ADS)


def _config(folder: Path, site: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": {"url": "sqlite:///lw.db"},
                "crawl": {"max_pages_per_source": 10_000},
                "sources": [{"name": "site", "kind": "jsonld", "start_urls": [site.as_uri()]}],
                "scoring": {"batch_size": 20},
                "export": {"dir": "exports", "formats": ["xlsx", "csv", "jsonl"]},
                "logging": {"dir": "logs"},
            }
        ),
        encoding="utf-8",
    )
    return path


def _count(config: Path, sql: str) -> int:
    db = config.parent / "lw.db"
    if not db.exists():
        return 0
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar() or 0)
    except Exception:  # schema not created yet
        return 0
    finally:
        engine.dispose()


def _run(config: Path, kill_when: str | None = None) -> None:
    """Run the nightly job; with kill_when, SIGKILL its whole process group once that is true."""
    proc = subprocess.Popen(
        [sys.executable, str(PROJECT / "pipeline.py"), "run", "-q", "--config", str(config)],
        cwd=config.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    if kill_when is None:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        return
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        if KILL_POINTS[kill_when](config):
            os.killpg(proc.pid, signal.SIGKILL)  # the machine died: no cleanup of any kind
            break
        time.sleep(0.02)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"


# Each kill point is true part-way through its stage (asserted after the kill).
KILL_POINTS = {
    "crawl": lambda c: _count(c, "SELECT count(*) FROM ads") > 0,
    "score": lambda c: _count(c, "SELECT count(*) FROM scores") > 0,
    "export": lambda c: any((c.parent / "exports").glob("*.tmp")) or any((c.parent / "exports").glob("flagged-*")),
}


def _state(config: Path) -> dict[str, object]:
    engine = create_engine(f"sqlite:///{config.parent / 'lw.db'}")
    with engine.connect() as conn:
        state = {
            "ads": sorted(conn.execute(text("SELECT source, external_id, content_hash FROM ads")).all()),
            "scores": sorted(
                conn.execute(
                    text(
                        "SELECT a.external_id, s.model_version, s.score, s.band, s.flagged FROM scores s "
                        "JOIN ads a ON a.id = s.ad_id"
                    )
                ).all()
            ),
            "items": sorted(
                conn.execute(
                    text("SELECT a.external_id, r.status FROM review_items r JOIN ads a ON a.id = r.ad_id")
                ).all()
            ),
            "runs": conn.execute(text("SELECT status FROM runs ORDER BY id")).scalars().all(),
        }
    engine.dispose()
    return state


@pytest.fixture(scope="module")
def reference(site, tmp_path_factory):
    config = _config(tmp_path_factory.mktemp("reference"), site)
    _run(config)
    state = _state(config)
    assert len(state["ads"]) == N_ADS and state["items"], "the reference run must crawl, score and queue"
    return state


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["crawl", "score", "export"])
def test_killed_run_restarts_to_the_same_database(site, reference, tmp_path, stage):
    config = _config(tmp_path / "crashed", site)
    _run(config, stage)
    if stage == "crawl":
        assert 0 < _count(config, "SELECT count(*) FROM ads") < N_ADS, "killed mid-crawl"
    if stage == "score":
        assert 0 < _count(config, "SELECT count(*) FROM scores") < N_ADS, "killed mid-scoring"
    _run(config)
    state = _state(config)
    assert state["ads"] == reference["ads"]
    assert state["scores"] == reference["scores"]
    assert state["items"] == reference["items"]
    assert state["runs"] == ["interrupted", "ok"]
    exports = config.parent / "exports"
    assert not list(exports.glob(".*tmp*")), "no half-written export may be left behind"
    assert all(p.stat().st_size > 0 for p in exports.glob("flagged-*"))
