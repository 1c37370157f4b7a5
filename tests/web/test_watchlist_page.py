"""The desk's Watchlist page: everyone reads it, leads add, import and remove; hits link to ads."""

from __future__ import annotations

from sqlalchemy import select

from store.schema import Score, WatchlistEntry, WatchlistEvent
from tests.web.data import give_verdicts, make_queue


def _entries(desk):
    with desk.factory() as s:
        return [(e.kind, e.value, e.source) for e in s.scalars(select(WatchlistEntry).order_by(WatchlistEntry.id))]


def test_an_analyst_reads_the_watchlist_but_cannot_change_it(desk):
    with desk.factory.begin() as s:
        give_verdicts(s, make_queue(s))
    desk.user("bob")
    client = desk.login("bob")
    page = client.get("/watchlist")
    assert page.status_code == 200
    assert "@lure_boss" in page.text and "analysts" in page.text  # confirmed by ann's scam verdict
    assert 'action="/watchlist/add"' not in page.text and "Remove</button>" not in page.text
    token = desk.token(client, "/watchlist")
    response = client.post("/watchlist/add", data={"csrf_token": token, "kind": "telegram", "value": "@x_boss"})
    assert response.status_code == 303 and _entries(desk) == []
    assert "Only a lead can change the watchlist" in client.get("/watchlist").text


def test_a_lead_adds_imports_and_removes_and_every_change_is_audited(desk):
    with desk.factory.begin() as s:
        q = make_queue(s)
    desk.user("lea", role="lead")
    client = desk.login("lea")
    token = desk.token(client, "/watchlist")
    assert client.post("/watchlist/add", data={"kind": "telegram", "value": "@nope"}).status_code == 403  # no CSRF
    client.post(
        "/watchlist/add",
        data={"csrf_token": token, "kind": "telegram", "value": "https://t.me/Lure_Boss", "note": "<b>embassy</b>"},
    )
    assert _entries(desk) == [("telegram", "@lure_boss", "lea")]
    page = client.get("/watchlist").text
    assert "now critical" in page and "&lt;b&gt;embassy&lt;/b&gt;" in page and "<b>embassy</b>" not in page
    with desk.factory() as s:  # the ads carrying it were rescanned: critical, reason first
        latest = s.scalars(select(Score).where(Score.ad_id == q.ads["a"]).order_by(Score.id.desc()))
        assert latest.first().band == "critical"
    item = client.get(f"/items/{q.items['a']}").text
    assert "contact on the watchlist: @lure_boss (listed by lea)" in item
    bad = b"kind,value,source,note\nphone,+82 10 1111 2222,police,\nfax,123,police,\n"
    files = {"file": ("list.csv", bad, "text/csv")}
    client.post("/watchlist/import", data={"csrf_token": token}, files=files)
    assert "list.csv line 3: unknown kind" in client.get("/watchlist").text
    assert len(_entries(desk)) == 1  # all or nothing
    good = b"kind,value,source,note\nphone,+82 10 1111 2222,police,\nemail,HR@Jobs3.example,,\n"
    client.post("/watchlist/import", data={"csrf_token": token, "source": "kr-police"}, files={"file": ("l.csv", good)})
    assert _entries(desk)[1:] == [("phone", "+821011112222", "police"), ("email", "hr@jobs3.example", "kr-police")]
    hits = client.get("/watchlist/hits", params={"kind": "telegram", "value": "@lure_boss"}).text
    for name in "abc":
        assert f'href="/items/{q.items[name]}"' in hits
    with desk.factory() as s:
        entry_id = s.scalar(select(WatchlistEntry.id).where(WatchlistEntry.source == "police"))
    client.post(f"/watchlist/{entry_id}/remove", data={"csrf_token": token})
    assert ("phone", "+821011112222", "police") not in _entries(desk)
    with desk.factory() as s:
        audit = [(e.action, e.actor) for e in s.scalars(select(WatchlistEvent).order_by(WatchlistEvent.id))]
    assert audit == [("added", "lea")] * 3 + [("removed", "lea")]
