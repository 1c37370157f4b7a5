"""Trends, runs, models and share pages: charts drawn on the server, numbers beside them."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import time
from datetime import timedelta

import stix2

from store.runs import finish_run, start_run
from store.trends import trends
from tests.store.queue_fixtures import T0
from tests.web.data import give_verdicts, make_queue


def _queue(desk, verdicts=True):
    with desk.factory.begin() as session:
        q = make_queue(session)
        if verdicts:
            give_verdicts(session, q)
    return q


def test_trends_count_flags_and_verdicts_per_week_source_country_and_signal(any_desk):
    _queue(any_desk)
    with any_desk.factory() as session:
        t = trends(session, T0 + timedelta(days=13), weeks=4)
    # T0 is a Wednesday: a, b and the hostile ad that week, c and d the next, e the one after
    assert [w.key for w in t.weeks] == ["2026-11-16", "2026-11-23", "2026-11-30", "2026-12-07"]
    assert [w.flagged for w in t.weeks] == [0, 3, 2, 1]
    assert [w.confirmed for w in t.weeks] == [0, 1, 0, 0]
    assert t.total.confirmed == 1 and t.total.cleared == 1 and t.total.precision == 0.5
    assert {r.key: (r.flagged, r.confirmed, r.cleared) for r in t.countries} == {"KH": (4, 1, 1), "MM": (2, 0, 0)}
    assert {r.key: r.flagged for r in t.sources} == {"feed": 3, "board": 2, "demo-board": 1}
    signals = {r.key: r for r in t.signals}
    assert set(signals) == {"safety_denial", "messenger_contact"}  # "text" is no signal
    assert signals["safety_denial"].label == "safety denial" and signals["safety_denial"].flagged == 6


def test_trends_page_draws_svg_charts_with_tables(desk):
    _queue(desk)
    desk.user("ann")
    desk.clock.now = T0 + timedelta(days=13)
    page = desk.login("ann").get("/trends", params={"weeks": 4}).text
    charts = re.findall(r'<img class="chart" src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert len(charts) == 4
    assert all(base64.b64decode(c).lstrip().startswith(b"<?xml") for c in charts)
    assert "<td>safety denial</td>" in page and "50%" in page
    assert "last 4" in page


def test_old_trends_are_shown_at_once_and_counted_again_behind(desk):
    desk.clock.now = T0 + timedelta(days=13)
    desk.user("ann")
    client = desk.login("ann")
    assert "0 ads flagged" in client.get("/trends").text  # the first view counts
    _queue(desk)
    counted_at, figures = desk.app.state.trends[12]
    desk.app.state.trends[12] = (counted_at - 120, figures)  # two minutes old
    assert "0 ads flagged" in client.get("/trends").text  # shown as they were ...
    deadline = time.monotonic() + 30
    while desk.app.state.trends[12][0] < counted_at and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "6 ads flagged" in client.get("/trends").text  # ... and counted again meanwhile


def test_trends_page_with_nothing_yet(desk):
    desk.user("ann")
    page = desk.login("ann").get("/trends").text
    assert "Nothing flagged or judged in these weeks." in page


def test_runs_page_shows_per_source_counts_and_alarms(desk):
    with desk.factory.begin() as session:
        run = start_run(session, "run", T0)
        finish_run(
            session,
            run.id,
            "partial",
            {
                "stages": {
                    "crawl": {
                        "sources": {"board": {"pages": 12, "new": 5, "errors": 3, "failed": True}},
                        "seconds": 4.5,
                    },
                    "export": {"files": ["exports/flagged.csv"]},
                },
                "alarms": ["board: error rate 20% (3 errors, 12 pages) is above 20%"],
            },
            T0 + timedelta(minutes=3),
        )
    desk.user("ann")
    client = desk.login("ann")
    page = client.get("/runs").text
    assert f'href="/runs/{run.id}"' in page and "ALARM board: error rate" in page
    assert "<td>board</td>" in page and "partial" in page
    detail = client.get(f"/runs/{run.id}").text
    assert "exports/flagged.csv" in detail and "180 s" in detail
    assert client.get("/runs/999").status_code == 404


def test_runs_page_empty(desk):
    desk.user("ann")
    assert "No runs yet" in desk.login("ann").get("/runs").text


def test_models_page_lists_versions_and_draws_a_heldout_pr_curve(desk):
    root = desk.app.state.config.models.dir
    version = (root / "CURRENT").read_text().strip()
    (root / version / "heldout.json").write_text(
        json.dumps(
            {
                "new_version": version,
                "current_version": None,
                "verdict": "promoted: no current model",
                "rows": 40,
                "new": {"recall": 0.9, "precision": 0.8, "pr_auc": 0.85, "threshold": 0.4},
                "current": None,
                "pr_curves": {f"new {version}": {"recall": [1, 0.9, 0.5, 0], "precision": [0.5, 0.8, 0.9, 1]}},
            }
        )
    )
    desk.user("ann")
    page = desk.login("ann").get("/models").text
    assert version in page and "current" in page and "promoted: no current model" in page
    assert 'src="data:image/svg+xml;base64,' in page and "0.850" in page


def test_models_page_without_a_heldout_report_says_why(desk):
    desk.user("ann")
    page = desk.login("ann").get("/models").text
    assert "has no held-out report" in page


def test_share_exports_only_contacts_of_ads_analysts_decided_scam(any_desk):
    _queue(any_desk)
    any_desk.user("ann")
    client = any_desk.login("ann")
    page = client.get("/share").text
    assert "Download CSV" in page and "+85512345678" in page  # E.164 on the page; tel: in the CSV
    body = client.get("/share/confirmed-contacts.csv")
    assert body.headers["content-disposition"].startswith('attachment; filename="confirmed-contacts-')
    rows = list(csv.DictReader(io.StringIO(body.content.decode("utf-8-sig"))))
    # a (scam) shares the phone and handle with b (cleared legit) and c (needs info): reported with the count
    assert {(r["kind"], r["value"], r["scam_ads"], r["cleared_ads"]) for r in rows} == {
        ("phone", "tel:+85512345678", "1", "1"),
        ("telegram", "@lure_boss", "1", "1"),
    }
    bundle = stix2.parse(client.get("/share/confirmed-contacts.stix.json").text, allow_custom=True)
    patterns = sorted(o.pattern for o in bundle.objects if o.type == "indicator")
    assert patterns == [
        "[user-account:account_type = 'telegram' AND user-account:account_login = 'lure_boss']",
        "[x-phone-number:value = '+85512345678']",
    ]


def test_share_with_no_verdicts_yet(desk):
    _queue(desk, verdicts=False)
    desk.user("ann")
    client = desk.login("ann")
    assert "No contacts confirmed yet" in client.get("/share").text
    assert client.get("/share/confirmed-contacts.csv").content.decode("utf-8-sig").splitlines() == [
        "kind,value,scam_ads,cleared_ads,campaigns,first_seen,last_seen,first_confirmed,last_confirmed"
    ]
