"""Queue, item, campaign and claims pages, and every decision action with its refusals."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from store.queue import claim as store_claim
from store.queue import item_events
from store.schema import ReviewEvent, ReviewItem
from tests.store.queue_fixtures import make_ad, score
from tests.web.data import HOSTILE_TITLE, give_verdicts, make_queue


def _flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', html)


def _setup(desk, lead=False):
    with desk.factory.begin() as session:
        q = make_queue(session)
    desk.user("ann", "lead" if lead else "analyst")
    desk.user("bob")
    return q, desk.login("ann")


def _item(desk, item_id):
    with desk.factory() as session:
        return session.get(ReviewItem, item_id)


def _post(client, path, **data):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/claims").text).group(1)
    return client.post(path, data={"csrf_token": token, **data})


def _follow(client, response):
    assert response.status_code == 303, response.text[:500]
    return client.get(response.headers["location"])


def test_queue_shows_one_row_per_campaign_highest_priority_first(any_desk):
    q, ann = _setup(any_desk)
    html = ann.get("/queue").text
    rows = re.findall(r'<tr data-href="/items/(\d+)">', html)
    # a, b, c share a campaign: one row (a, the highest); then the hostile ad, d, e
    assert [int(r) for r in rows] == [q.items[n] for n in ("a", "hostile", "d", "e")]
    assert "(3 here)" in html and f'href="/campaigns/{q.campaign}">C{q.campaign} ×3' in html
    assert "pending 6" in html


def test_queue_filters_by_band_source_country_status_and_dates(desk):
    q, ann = _setup(desk)

    def rows(**params):
        html = ann.get("/queue", params=params).text
        return [int(r) for r in re.findall(r'<tr data-href="/items/(\d+)">', html)]

    assert rows(country="MM") == [q.items["d"], q.items["e"]]
    assert rows(source="board") == [q.items["b"], q.items["d"]]
    assert rows(band="medium") == []  # the queue holds flagged ads: every band here is "high"
    assert rows(since="2026-11-30", until="2026-12-05") == [q.items["c"], q.items["d"]]
    assert rows(sort="newest") == [q.items[n] for n in ("e", "d", "c", "hostile")]
    with desk.factory.begin() as session:
        give_verdicts(session, q)
    assert rows(status="scam") == [q.items["a"]]
    assert rows(status="all", country="KH")[:1] == [q.items["a"]]
    html = ann.get("/queue", params={"band": "medium", "sort": "nonsense", "since": "junk", "after": "junk"}).text
    assert "No items match these filters" in html
    assert rows(status="all", band="nonsense") == rows(status="all")  # an unknown band is ignored, like any junk


def test_bands_offered_are_those_the_data_holds(desk):
    with desk.factory.begin() as session:
        ad = make_ad(session, 1)
        score(session, ad, 0.95, band="high")
    desk.user("ann")
    html = desk.login("ann").get("/queue").text
    assert re.findall(
        r'<option value="(\w+)"[^>]*>\1</option>', html.split('id="f-band"')[1].split("</select>")[0]
    ) == ["high"]


def test_critical_is_offered_first_and_filters_the_queue(desk):
    """A critical ad (flagged for a very severe signal) may score below a high one: the
    filter still offers critical first, and the band order puts it first."""
    with desk.factory.begin() as session:
        ids = [make_ad(session, n) for n in range(3)]
        for ad, value in zip(ids, (0.85, 0.7, 0.3)):
            score(session, ad, value, band="critical" if value == 0.7 else None)
    desk.user("ann")
    client = desk.login("ann")
    html = client.get("/queue").text
    options = re.findall(r'<option value="(\w+)"[^>]*>\1</option>', html.split('id="f-band"')[1].split("</select>")[0])
    assert options[0] == "critical" and options.index("critical") < options.index("high")

    def rows(**params):
        return [int(r) for r in re.findall(r'<tr data-href="/items/(\d+)">', client.get("/queue", params=params).text)]

    everything = rows()
    critical = rows(band="critical")
    assert len(critical) == 1 and everything[0] == critical[0] and len(everything) == 2
    assert 'class="band band-critical"' in client.get("/queue", params={"band": "critical"}).text


def test_queue_pages_cover_every_row_once(desk):
    with desk.factory.begin() as session:
        for n in range(130):
            ad = make_ad(session, n, contacts={"telegram": [f"@shared_{n % 40}"]} if n % 3 == 0 else {})
            score(session, ad, 0.5 + (n % 50) / 100)
        from store.campaigns import link_ads
        from store.schema import Ad

        link_ads(session, [a.id for a in session.query(Ad)], desk.clock())
    desk.user("ann")
    client = desk.login("ann")
    seen, url, pages = [], "/queue", 0
    while url:
        html = client.get(url).text
        seen += re.findall(r'<tr data-href="/items/(\d+)">', html)
        nxt = re.search(r'<a rel="next" href="([^"]+)"', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen))
    with desk.factory() as session:
        from store.browse import Browse, queue_page

        everything = queue_page(session, Browse(), 1000)
    assert [str(r.review_id) for r, _ in everything.rows] == seen


def test_empty_queue(desk):
    desk.user("ann")
    client = desk.login("ann")
    assert "Nothing is pending" in client.get("/queue").text
    response = _follow(client, _post(client, "/queue/next"))
    assert "The queue is empty" in response.text


def test_start_claims_the_next_item_and_opens_it(desk):
    q, ann = _setup(desk)
    response = _post(ann, "/queue/next")
    assert response.headers["location"] == f"/items/{q.items['a']}"
    item = _item(desk, q.items["a"])
    assert item.status == "in_review" and item.assignee == "ann"
    assert _post(ann, "/queue/next").headers["location"] == f"/items/{q.items['a']}"  # held: same item


def test_item_page_shows_the_ad_its_reasons_evidence_contacts_pay_campaign_and_history(desk):
    q, ann = _setup(desk)
    with desk.factory.begin() as session:  # the pay the analysis read, as the score stage stores it
        from store.schema import Score

        stored = session.query(Score).filter(Score.ad_id == q.ads["a"]).one()
        pay = {"currency": "USD", "period": "month", "monthly_usd_low": 3000.0, "monthly_usd_high": 3000.0,
               "evidence": "$3000", "start": -1, "end": -1}  # fmt: skip
        stored.analysis = {**stored.analysis, "pay": pay}
    html = ann.get(f"/items/{q.items['a']}").text
    assert '<mark title="reason 1">감금 절대 없음<sup>1</sup></mark>' in html
    assert "<strong>safety denial</strong>: “감금 절대 없음”" in html
    assert 'href="/search?q=%2B855%2012%20345%20678&amp;kind=phone"' in html
    assert "pay read from “$3000”: 3,000 USD a month" in html  # as stored: the page parses nothing
    assert '<code class="link-text">https://jobs.example/ads/0</code>' in html
    assert 'rel="noopener noreferrer nofollow" referrerpolicy="no-referrer"' in html
    assert f'href="/campaigns/{q.campaign}"' in html and "shares phone" in html
    assert "lurewatch</strong> — → pending" in html


def test_a_reason_with_several_words_is_one_line_marking_each_word(desk):
    """One line per signal: the messenger signal fired on two words, both listed and marked."""
    text = "Easy job, message telegram now or kakao 'boss77'"
    first, second = text.index("telegram"), text.index("kakao")
    reason = {
        "signal": "messenger_contact",
        "label": "contact through a messenger app",
        "weight": 1.0,
        "evidence": "telegram",
        "start": first,
        "end": first + 8,
        "more": [{"evidence": "kakao", "start": second, "end": second + 5}],
    }
    with desk.factory.begin() as session:
        ad = make_ad(session, 1, title="", company="", location="", salary="", description=text)  # model text = text
        score(session, ad, 0.8, reasons=[reason])
        from store.schema import ReviewItem

        item_id = session.query(ReviewItem).one().id
    desk.user("ann")
    html = desk.login("ann").get(f"/items/{item_id}").text
    assert html.count('<li id="reason-') == 1
    assert "<strong>contact through a messenger app</strong>: “telegram”, “kakao”" in html
    assert '<mark title="reason 1">telegram<sup>1</sup></mark>' in html
    assert '<mark title="reason 1">kakao<sup>1</sup></mark>' in html


def test_ad_link_opens_its_item_and_unknown_ids_are_404(desk):
    q, ann = _setup(desk)
    assert ann.get(f"/ads/{q.ads['b']}").headers["location"] == f"/items/{q.items['b']}"
    assert ann.get(f"/ads/{q.ads['low']}").status_code == 404
    assert ann.get("/items/9999").status_code == 404
    assert ann.get("/campaigns/9999").status_code == 404
    assert "does not exist" in _follow(ann, _post(ann, "/items/9999/decide", decision="scam")).text


def test_decide_without_a_lease_is_refused(desk):
    q, ann = _setup(desk)
    page = _follow(ann, _post(ann, f"/items/{q.items['d']}/decide", decision="scam"))
    assert any("claim it first" in f for f in _flashes(page.text))
    assert _item(desk, q.items["d"]).status == "pending"


def test_decide_on_another_analysts_claim_is_refused(desk):
    q, ann = _setup(desk)
    with desk.factory.begin() as session:
        store_claim(session, "bob", 1, desk.clock())
    page = _follow(ann, _post(ann, f"/items/{q.items['a']}/decide", decision="scam"))
    assert any("claimed by bob" in f for f in _flashes(page.text))
    assert "Claimed by bob" in page.text
    page = _follow(ann, _post(ann, f"/items/{q.items['a']}/claim"))
    assert any("claimed by bob" in f for f in _flashes(page.text))
    assert _item(desk, q.items["a"]).assignee == "bob"


def test_clearing_a_high_score_needs_a_note(desk):
    q, ann = _setup(desk)
    _post(ann, f"/items/{q.items['a']}/claim")
    page = _follow(ann, _post(ann, f"/items/{q.items['a']}/decide", decision="legit"))
    assert any("needs a note" in f for f in _flashes(page.text))
    assert _item(desk, q.items["a"]).status == "in_review"
    response = _post(ann, f"/items/{q.items['a']}/decide", decision="legit", note="real hotel, called them")
    item = _item(desk, q.items["a"])
    assert item.status == "legit" and item.decided_by == "ann" and item.note == "real hotel, called them"
    assert response.headers["location"].startswith("/items/")


def test_only_the_analyst_who_gave_a_verdict_may_change_it(desk):
    q, ann = _setup(desk)
    with desk.factory.begin() as session:
        give_verdicts(session, q)  # ann: a scam, b legit, c needs info
    bob = desk.login("bob")
    page = _follow(bob, _post(bob, f"/items/{q.items['a']}/decide", decision="legit", note="looks fine"))
    assert any("already decided scam by ann" in f for f in _flashes(page.text))
    assert _item(desk, q.items["a"]).status == "scam"
    _post(bob, f"/items/{q.items['c']}/decide", decision="scam")  # needs_info: anyone may finish it
    assert _item(desk, q.items["c"]).status == "scam" and _item(desk, q.items["c"]).decided_by == "bob"
    _post(ann, f"/items/{q.items['a']}/decide", decision="legit", note="my mistake")
    assert _item(desk, q.items["a"]).status == "legit"


def test_a_decision_is_audited_under_the_account_and_the_desk_moves_on(desk):
    q, ann = _setup(desk)
    first = _post(ann, "/queue/next").headers["location"]
    response = _post(ann, f"{first}/decide", decision="scam", note="same phone as a known lure")
    assert response.headers["location"] == f"/items/{q.items['b']}"
    assert _item(desk, q.items["b"]).assignee == "ann"  # the next one is claimed for her
    with desk.factory() as session:
        events = item_events(session, q.items["a"])
    assert [(e.actor, e.old_status, e.new_status, e.note) for e in events][-1] == (
        "ann",
        "in_review",
        "scam",
        "same phone as a known lure",
    )
    page = ann.get(response.headers["location"])
    assert f"Review item {q.items['a']}: scam (by ann). Next one." in _flashes(page.text)


def test_the_last_decision_returns_to_an_empty_queue(desk):
    with desk.factory.begin() as session:
        ad = make_ad(session, 1)
        score(session, ad, 0.7)
    desk.user("ann")
    ann = desk.login("ann")
    first = _post(ann, "/queue/next").headers["location"]
    page = _follow(ann, _post(ann, f"{first}/decide", decision="skipped"))
    assert "the queue is empty" in " ".join(_flashes(page.text))


def test_unknown_decision_words_are_refused(desk):
    q, ann = _setup(desk)
    _post(ann, f"/items/{q.items['a']}/claim")
    page = _follow(ann, _post(ann, f"/items/{q.items['a']}/decide", decision="delete"))
    assert any("Unknown decision" in f for f in _flashes(page.text))


def test_release_own_claim_and_only_a_lead_releases_anothers(desk):
    q, ann = _setup(desk)
    bob = desk.login("bob")
    _post(bob, f"/items/{q.items['a']}/claim")
    page = _follow(ann, _post(ann, f"/items/{q.items['a']}/release"))
    assert any("claimed by bob" in f for f in _flashes(page.text))
    assert _item(desk, q.items["a"]).assignee == "bob"
    _post(bob, f"/items/{q.items['a']}/release")
    assert _item(desk, q.items["a"]).status == "pending"


def test_claims_page_and_a_lead_releasing_a_claim(desk):
    q, lead = _setup(desk, lead=True)
    bob = desk.login("bob")
    _post(bob, f"/items/{q.items['d']}/claim")
    html = lead.get("/claims").text
    assert f'<a href="/items/{q.items["d"]}">' in html and "<td>bob</td>" in html and "Release" in html
    assert "Release" not in desk.login("bob").get("/claims").text.split("<tbody>")[1].split("bob")[0]
    response = _post(lead, f"/items/{q.items['d']}/release", back="claims")
    assert response.headers["location"] == "/claims"
    assert _item(desk, q.items["d"]).status == "pending"
    with desk.factory() as session:
        note = session.query(ReviewEvent).order_by(ReviewEvent.id.desc()).first().note
    assert note == "released by lead ann (was claimed by bob)"
    assert "Nobody holds a claim" in lead.get("/claims").text


def test_claims_end_by_themselves(desk):
    q, ann = _setup(desk)
    _post(ann, "/queue/next")
    desk.clock.advance(minutes=desk.app.state.config.web.lease_minutes + 1)
    assert "Nobody holds a claim" in ann.get("/claims").text
    page = _follow(ann, _post(ann, f"/items/{q.items['a']}/decide", decision="scam"))
    assert any("claim it first" in f for f in _flashes(page.text))


def test_campaign_page_and_deciding_the_whole_campaign(any_desk):
    q, ann = _setup(any_desk)
    html = ann.get(f"/campaigns/{q.campaign}").text
    assert "3 ads linked" in html and html.count('<rect x=') == 3
    assert html.count('data-href="/items/') == 3 and "shares phone" in html
    page = _follow(ann, _post(ann, f"/campaigns/{q.campaign}/decide", decision="legit"))
    assert any("needs a note" in f for f in _flashes(page.text))
    page = _follow(ann, _post(ann, f"/campaigns/{q.campaign}/decide", decision="scam", note="one recruiter"))
    assert f"Campaign {q.campaign}: 3 ad(s) decided, 0 earlier decision(s) kept." in _flashes(page.text)
    assert {_item(any_desk, q.items[n]).status for n in "abc"} == {"scam"}


def test_campaign_decision_stops_at_another_analysts_claim(desk):
    q, ann = _setup(desk)
    bob = desk.login("bob")
    _post(bob, f"/items/{q.items['b']}/claim")
    page = _follow(ann, _post(ann, f"/campaigns/{q.campaign}/decide", decision="scam"))
    assert any("claimed by bob" in f for f in _flashes(page.text))
    assert {_item(desk, q.items[n]).status for n in "ac"} == {"pending"}


def test_hostile_ad_text_is_text_and_its_links_are_not_links(desk):
    q, ann = _setup(desk)
    html = ann.get(f"/items/{q.items['hostile']}").text
    assert "<script" not in html.split("<main")[1] and "onerror=" not in html.replace("onerror=&#34;", "")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;Hiring" in html
    assert '<code class="link-text">javascript:alert(document.cookie)</code>' in html
    assert 'href="javascript:' not in html and "<iframe" not in html and "<svg" not in html
    assert HOSTILE_TITLE not in html


def test_a_one_megabyte_description_renders(desk):
    with desk.factory.begin() as session:
        q = make_queue(session, hostile_size=1_000_000)
    desk.user("ann")
    ann = desk.login("ann")
    started = time.monotonic()
    response = ann.get(f"/items/{q.items['hostile']}")
    assert response.status_code == 200 and len(response.text) > 1_000_000
    assert time.monotonic() - started < 30  # generous: a loaded CI machine
    assert "&lt;script src=" in response.text


def test_pages_of_other_statuses_show_no_decision_lease(desk):
    q, ann = _setup(desk)
    with desk.factory.begin() as session:
        give_verdicts(session, q)
    html = ann.get(f"/items/{q.items['b']}").text
    assert "Decided <strong>legit</strong> by ann, " in html
    assert re.search(r"Note by <strong>ann</strong>, [\d-]+ [\d:]+ UTC: “real employer, checked”", html)
    assert f"/items/{q.items['b']}/claim" not in html
    assert timedelta  # imported for readers: lease lengths come from config
