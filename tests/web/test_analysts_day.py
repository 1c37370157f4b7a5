"""What the desk shows an analyst is right (issue 24): sessions, order, authority, notes, small things."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from store.queue import claim as store_claim
from store.queue import decide as store_decide
from store.schema import ReviewEvent, ReviewItem
from store.trends import trends
from tests.store.queue_fixtures import T0, make_ad, score
from web.app import SESSION_COOKIE
from web.charts import timeline


def _csrf(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/claims").text).group(1)


def _post(client, path, **data):
    return client.post(path, data={"csrf_token": _csrf(client), **data})


def _three_bands(session) -> dict[str, int]:
    """Pending items of three bands: critical at 0.13 (a severe signal), high at 0.85, and
    medium at 0.4 (queued at 0.8, then rescored below the threshold: it stays pending)."""
    critical, high, medium = (make_ad(session, n) for n in range(3))
    score(session, high, 0.85)
    score(session, critical, 0.13, threshold=0.1, band="critical")
    score(session, medium, 0.8)
    score(session, medium, 0.4, version="v2")
    items = {i.ad_id: i.id for i in session.scalars(select(ReviewItem))}
    return {"critical": items[critical], "high": items[high], "medium": items[medium]}


def test_logout_revokes_the_session_on_the_server(desk):
    desk.user("ann")
    client = desk.login("ann")
    assert client.get("/queue").status_code == 200
    old = client.cookies.get(SESSION_COOKIE)
    assert _post(client, "/logout").status_code == 303
    replay = desk.client()
    replay.cookies.set(SESSION_COOKIE, old)
    response = replay.get("/queue")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    assert desk.login("ann").get("/queue").status_code == 200  # a new login works


def test_start_reviewing_and_the_default_order_take_the_critical_item_first(desk):
    with desk.factory.begin() as session:
        items = _three_bands(session)
    desk.user("ann")
    client = desk.login("ann")
    rows = [int(r) for r in re.findall(r'<tr data-href="/items/(\d+)">', client.get("/queue").text)]
    assert rows == [items["critical"], items["high"], items["medium"]]
    started = _post(client, "/queue/next")
    assert started.headers["location"] == f"/items/{items['critical']}"


def test_buttons_on_anothers_verdict_are_disabled_and_a_lead_overrides_on_the_record(desk):
    with desk.factory.begin() as session:
        ad = make_ad(session, 1)
        score(session, ad, 0.8)
        item = session.scalar(select(ReviewItem.id))
        store_claim(session, "ana", 1, T0)
        store_decide(session, item, "scam", "ana", T0, "same handle as campaign 3")
    desk.user("bob")
    desk.user("lea", "lead")
    bob = desk.login("bob")
    page = bob.get(f"/items/{item}").text
    assert "only ana or a lead may change that verdict" in page
    assert len(re.findall(r'<button type="submit" name="decision" value="\w+" disabled>', page)) == 4
    assert 'name="as_lead"' not in page
    refused = _post(bob, f"/items/{item}/decide", decision="legit", note="looks fine")
    assert refused.status_code == 303
    lea = desk.login("lea")
    page = lea.get(f"/items/{item}").text
    assert 'name="as_lead"' in page and " disabled>" not in page
    _post(lea, f"/items/{item}/decide", decision="legit", note="employer verified")  # without the box: refused
    with desk.factory() as session:
        assert session.get(ReviewItem, item).status == "scam"
    _post(lea, f"/items/{item}/decide", decision="legit", note="employer verified", as_lead="1")
    with desk.factory() as session:
        row = session.get(ReviewItem, item)
        event = session.scalars(select(ReviewEvent).order_by(ReviewEvent.id.desc())).first()
    assert (row.status, row.decided_by) == ("legit", "lea")
    assert event.note == "as lead, over ana's scam verdict | employer verified" and event.os_user is None


def test_a_note_is_shown_with_its_own_event_never_under_a_later_decision(desk, tmp_path):
    with desk.factory.begin() as session:
        ad = make_ad(session, 1)
        score(session, ad, 0.8)
        item = session.scalar(select(ReviewItem.id))
        store_claim(session, "bob", 1, T0)
        store_decide(session, item, "needs_info", "bob", T0, "Looks like a genuine post, check the company")
        store_decide(session, item, "scam", "cid", T0 + timedelta(hours=1))  # anyone may finish needs_info
    desk.user("ann")
    page = desk.login("ann").get(f"/items/{item}").text
    panel = page.split('aria-label="decision"')[1]
    assert "Decided <strong>scam</strong> by cid" in panel
    assert "Looks like a genuine post" not in panel and "data-note" not in panel
    history = page.split("<h2>History</h2>")[1]
    assert re.search(r"<strong>bob</strong> in_review → needs_info: Looks like a genuine post", history)


def test_dates_the_wrong_way_round_say_so(desk):
    desk.user("ann")
    client = desk.login("ann")
    html = client.get("/queue", params={"since": "2026-12-01", "until": "2026-11-01"}).text
    assert "data-dates-reversed" in html and "swap them" in html and "No items match" not in html
    assert "data-dates-reversed" not in client.get("/queue", params={"since": "2026-11-01", "until": "2026-12-01"}).text


def test_a_phone_is_shown_in_international_form(desk):
    with desk.factory.begin() as session:
        ad = make_ad(session, 1, language="ko", contacts={"phone": ["1012345678"]})
        score(session, ad, 0.8)
        item = session.scalar(select(ReviewItem.id))
    desk.user("ann")
    page = desk.login("ann").get(f"/items/{item}").text
    assert "<code>+82 10-1234-5678</code>" in page and "<code>1012345678</code>" not in page


def test_text_search_comes_riskiest_first(desk):
    with desk.factory.begin() as session:
        low = make_ad(session, 1, description="chat agent wanted, low risk")
        high = make_ad(session, 2, description="chat agent wanted, high risk")
        score(session, low, 0.04)
        score(session, high, 0.92)
    desk.user("ann")
    html = desk.login("ann").get("/search", params={"q": "chat agent", "kind": "text"}).text
    found = [int(a) for a in re.findall(r'href="/ads/(\d+)"', html)]
    assert found.index(high) < found.index(low)


def test_a_one_day_campaign_axis_shows_each_label_once():
    start = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
    drawn = timeline(
        ["ad 1", "ad 2"], [start, start], [start + timedelta(hours=3), start + timedelta(hours=5)], ["", ""]
    )
    labels = [label for _, label in drawn.ticks]
    assert len(labels) == len(set(labels)) >= 3 and labels[0] == "11-25 02:00"
    long = timeline(["ad 1"], [start], [start + timedelta(days=40)], [""])
    assert [label for _, label in long.ticks][0] == "2026-11-25"


def test_trends_keep_both_destination_labels(desk):
    reasons = {
        "high": [{"signal": "destination", "label": "high-risk destination", "weight": 2, "evidence": "KK Park"}],
        "transit": [
            {
                "signal": "destination",
                "label": "transit point, agent hub or vague region",
                "weight": 0.5,
                "evidence": "Bangkok",
            }
        ],
    }
    with desk.factory.begin() as session:
        for n, kind in enumerate(("high", "high", "transit")):
            score(session, make_ad(session, n), 0.8, reasons=reasons[kind])
        figures = trends(session, T0 + timedelta(days=1), weeks=2)
    by_label = {c.label: c.flagged for c in figures.signals}
    assert by_label == {"high-risk destination": 2, "transit point, agent hub or vague region": 1}
