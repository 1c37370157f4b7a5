"""The search page: any way of writing a contact finds its ads, with links to ads and campaigns."""

from __future__ import annotations

import html

from tests.web.data import HOSTILE_TITLE, make_queue


def _client(desk):
    with desk.factory.begin() as session:
        q = make_queue(session)
    desk.user("ann")
    return desk.login("ann"), q


def test_a_phone_number_in_another_format_finds_every_ad_with_it(any_desk):
    client, q = _client(any_desk)
    page = client.get("/search", params={"q": "012-345-678"}).text
    assert "+85512345678" in page and "3 ads" in page
    for name in "abc":
        assert f'href="/ads/{q.ads[name]}"' in page
    assert f'href="/campaigns/{q.campaign}"' in page


def test_handles_emails_domains_and_words(desk):
    client, q = _client(desk)
    assert f'/ads/{q.ads["a"]}"' in client.get("/search", params={"q": "https://t.me/Lure_Boss"}).text
    assert f'/ads/{q.ads["d"]}"' in client.get("/search", params={"q": "HR3@jobs3.example"}).text
    page = client.get("/search", params={"q": "jobs4.example", "kind": "domain"}).text
    assert f'/ads/{q.ads["e"]}"' in page and f'/ads/{q.ads["d"]}"' not in page
    page = client.get("/search", params={"q": "Forklift Licence", "kind": "text"}).text
    assert f'/ads/{q.ads["d"]}"' in page and "1 ad." in page
    assert "1 ad." in client.get("/search", params={"q": "company 4", "kind": "company"}).text


def test_empty_states(desk):
    client, _ = _client(desk)
    assert "No ads found" in client.get("/search", params={"q": "+1 202 555 0100"}).text
    assert "type at least two characters" in client.get("/search", params={"q": "x"}).text
    page = client.get("/search", params={"q": "anything", "kind": "no-such-kind", "page": "-3"})
    assert page.status_code == 200


def test_hostile_text_is_shown_as_text(desk):
    client, q = _client(desk)
    page = client.get("/search", params={"q": "Hiring", "kind": "text"}).text
    assert html.escape(HOSTILE_TITLE, quote=False) in page.replace("&#34;", '"').replace("&#39;", "'")
    assert "<script>window" not in page and "<img src=x" not in page


def test_results_are_paged(desk):
    from tests.store.queue_fixtures import make_ad

    with desk.factory.begin() as session:
        for n in range(60):
            make_ad(session, 100 + n, contacts={"telegram": ["@many_ads"]})
    desk.user("ann")
    client = desk.login("ann")
    first = client.get("/search", params={"q": "@many_ads"}).text
    assert "60 ads" in first and first.count("<tr data-href") == 50 and 'rel="next"' in first
    second = client.get("/search", params={"q": "@many_ads", "page": 2}).text
    assert second.count("<tr data-href") == 10 and 'rel="next"' not in second
