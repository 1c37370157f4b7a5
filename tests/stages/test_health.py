"""Health alarms: a source gone quiet, or too many errors, is an alarm in the run."""

from __future__ import annotations

import json

import pytest

import pipeline
from config import HealthConfig
from stages.common import StageResult
from stages.health import health_alarms

LIMITS = HealthConfig(max_error_rate=0.2, min_usual_ads=5, history_runs=3, min_yield_ratio=0.5, yield_history=3)


def row(ads=0, pages=10, errors=0, ad_yield=None):
    counts = {"pages": pages, "new": ads, "updated": 0, "unchanged": 0, "errors": errors}
    if ad_yield is not None:
        counts.update({"yield": ad_yield, "ad_pages": 10, "unreadable": round(10 * (1 - ad_yield))})
    return counts


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
        (  # yield under half its median of the last 3 crawls (the 4th, oldest, is past history_runs)
            {"a": row(ads=4, ad_yield=0.4)},
            [{"a": row(ads=9, ad_yield=y)} for y in (1.0, 0.9, 0.95, 0.1)],
            ["a: 0.4 ads per ad page tonight, usually 0.95 (median of the last 3 crawls); 6 of 10 ad pages unreadable"],
        ),
        ({"a": row(ads=5, ad_yield=0.5)}, [{"a": row(ads=9, ad_yield=1.0)}] * 3, []),  # exactly half: not below
        ({"a": row(ads=1, ad_yield=0.1)}, [{"a": row(ads=9, ad_yield=1.0)}] * 2, []),  # 2 crawls: too little history
        ({"a": row(ads=1, ad_yield=0.1)}, [{"a": row(ads=9)}] * 3, []),  # no yield measured before
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


@pytest.mark.slow
def test_a_site_whose_markup_changes_between_runs_raises_a_yield_alarm(write_config, monkeypatch):
    """Two real crawls of a loopback site: between them, 2 of its 4 ad pages turn into an app
    shell (an empty JobPosting itemscope that JavaScript would fill) and one loses its JSON-LD
    (an ad page by its URL only). Ads still come, fewer: not the 0-ads alarm but the yield
    alarm, with the unreadable pages counted by reason and sampled in the log."""
    from stages.crawl import crawl_stage
    from tests.crawler.loopback import LoopbackServer, html, jobposting_page

    server = LoopbackServer().start()
    try:
        links = "".join(f'<a href="/jobs/{i}.html">job {i}</a>' for i in range(4))
        server.pages["/jobs/index.html"] = html(links)
        for i in range(4):
            server.pages[f"/jobs/{i}.html"] = jobposting_page(i, f"Cook {i}", f"<p>Kitchen work {i}.</p>")
        path = write_config(
            {
                "database": {"url": "sqlite:///h.db"},
                "logging": {"dir": "logs"},
                "crawl": {"autothrottle": False, "download_delay": 0, "allow_private_addresses": True},
                "sources": [
                    {
                        "name": "site",
                        "kind": "jsonld",
                        "start_urls": [f"{server.url}/jobs/index.html"],
                        "ad_urls": r"/jobs/\d+\.html$",
                    }
                ],
                "health": {"yield_history": 1},
            }
        )
        monkeypatch.setattr("stages.run.STAGES", [("crawl", crawl_stage)])
        assert pipeline.main(["run", "--config", str(path)]) == 0
        shell = '<div id="app" itemscope itemtype="https://schema.org/JobPosting"><div class="skeleton"></div></div>'
        server.pages["/jobs/1.html"] = html("<h1>Cook 1</h1><p>Kitchen work 1.</p>")
        for i in (2, 3):
            server.pages[f"/jobs/{i}.html"] = html(shell)
        assert pipeline.main(["run", "--config", str(path)]) == 0
    finally:
        server.stop()
    [summary] = sorted((path.parent / "exports").glob("run-*-2.json"))
    data = json.loads(summary.read_text(encoding="utf-8"))
    row = data["stages"][0]["counts"]["sources"]["site"]
    assert (row["ad_pages"], row["unreadable"], row["yield"]) == (4, 3, 0.25)
    assert row["details"]["dropped/unreadable_structured_data/empty_posting"] == 2
    assert row["details"]["dropped/unreadable_structured_data/no_structured_data"] == 1
    logs = "".join(f.read_text(encoding="utf-8") for f in (path.parent / "logs").iterdir())
    assert logs.count("structured data unreadable (empty_posting), e.g. http://127.0.0.1") == 1  # one sample
    from stages.crawl import format_table

    assert "(unreadable: 3 of 4 ad pages)" in format_table(StageResult("crawl", data["stages"][0]["counts"]))
    assert data["alarms"] == [
        "site: 0.25 ads per ad page tonight, usually 1 (median of the last 1 crawls); 3 of 4 ad pages unreadable"
    ]
