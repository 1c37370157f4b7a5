"""Health alarms: a source gone quiet, or too many errors, is an alarm in the run."""

from __future__ import annotations

import json

import pytest

import pipeline
from config import HealthConfig
from stages.common import StageResult
from stages.health import health_alarms

LIMITS = HealthConfig(max_error_rate=0.2, min_usual_ads=5, history_runs=3)


def row(ads=0, pages=10, errors=0):
    return {"pages": pages, "new": ads, "updated": 0, "unchanged": 0, "errors": errors}


@pytest.mark.parametrize(
    "current,history,expected",
    [
        (
            {"a": row(ads=0)},
            [{"a": row(ads=40)}, {"a": row(ads=35)}, {"a": row(ads=50)}],
            ["a: 0 ads tonight, usually 40 (median of the last 3 runs)"],
        ),
        ({"a": row(ads=0)}, [{"a": row(ads=2)}, {"a": row(ads=3)}], []),  # usually few: quiet is normal
        ({"a": row(ads=0)}, [], []),  # no history yet
        ({"a": row(ads=12)}, [{"a": row(ads=40)}], []),  # fewer, not none
        ({"a": row(ads=5, pages=6, errors=4)}, [], ["a: error rate 40% (4 errors, 6 pages) is above 20%"]),
        ({"a": row(ads=5, pages=8, errors=2)}, [], []),  # exactly 20%: not above
        ({"a": row(ads=0, pages=0, errors=0)}, [{"b": row(ads=50)}], []),  # history of another source
        ({"a": row(ads=0)}, [{"a": row(ads=0)}, {"a": row(ads=0)}, {"a": row(ads=0)}, {"a": row(ads=90)}], []),
    ],
)
def test_health_alarms(current, history, expected):
    assert health_alarms(current, history, LIMITS) == expected


def test_run_reports_an_alarm_when_a_source_goes_quiet(write_config, monkeypatch, capsys):
    path = write_config({"database": {"url": "sqlite:///t.db"}, "logging": {"dir": "logs"}})
    ads = iter([30, 28, 0])

    def crawl(config, factory, run_id):
        return StageResult("crawl", {"sources": {"board": row(ads=next(ads))}})

    monkeypatch.setattr("stages.run.STAGES", [("crawl", crawl)])
    for _ in range(2):
        assert pipeline.main(["run", "--config", str(path)]) == 0
    capsys.readouterr()
    assert pipeline.main(["run", "--config", str(path)]) == 0
    captured = capsys.readouterr()
    assert "ALARM board: 0 ads tonight, usually 29" in captured.out
    assert "ALARM board: 0 ads tonight" in captured.err  # and in the log
    summaries = sorted((path.parent / "exports").glob("run-*-3.json"))
    assert len(summaries) == 1
    data = json.loads(summaries[0].read_text(encoding="utf-8"))
    assert data["status"] == "ok" and data["alarms"] == ["board: 0 ads tonight, usually 29 (median of the last 2 runs)"]
    assert data["stages"][0]["counts"]["sources"]["board"]["new"] == 0
