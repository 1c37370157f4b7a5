"""`pipeline.py watchlist`: import (CSV, STIX: our own export and MISP-style), list, remove."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

import pipeline
from store.confirmed import confirmed_contacts
from store.db import open_database
from store.queue import claim, decide
from store.schema import ReviewItem, WatchlistEntry
from store.watchlist import watchlist
from store.watchlistfile import normalise_contact
from tests.store.queue_fixtures import T0, make_ad, score

CONTACTS = {
    "telegram": ["@Cambo_HR", "https://t.me/+InviteCode9"],
    "phone": ["+855 12 345 678"],
    "whatsapp": ["010-9876-5432"],
    "kakao": ["https://open.kakao.com/o/sAbCdEf"],
    "line": ["@LineBoss"],
    "email": ["hr@lure-jobs.example"],
    "url": ["https://lure-jobs.example/apply?id=3"],
}


def _config(write_config, name: str, tmp_path):
    return write_config(
        {"database": {"url": f"sqlite:///{tmp_path / name}.db"}, "logging": {"dir": "logs"}}, f"{name}.yaml"
    )


def test_our_stix_export_imported_into_a_fresh_database_is_the_same_watchlist(write_config, tmp_path, capsys):
    first = _config(write_config, "first", tmp_path)
    engine, factory = open_database(f"sqlite:///{tmp_path / 'first'}.db")
    with factory.begin() as s:
        ad = make_ad(s, 1, contacts=CONTACTS)
        score(s, ad, 0.95)
        claim(s, "ann", 1, T0)
        decide(s, s.scalar(select(ReviewItem.id)), "scam", "ann", T0 + timedelta(minutes=5))
    with factory() as s:
        watched = {(r.kind, r.value) for r in watchlist(s)}
        exported = {(c.kind, c.value) for c in confirmed_contacts(s)}
    engine.dispose()
    # The export also shares the domain of the email and link; verdicts do not watch domains
    # (store.watchlist.WATCHED_CONFIRMED_KINDS), a list that names one does.
    assert exported == watched | {("domain", "lure-jobs.example")} and ("telegram", "@cambo_hr") in watched
    out = tmp_path / "contacts.stix.json"
    assert pipeline.main(["export", "--config", str(first), "--format", "stix", "--out", str(out)]) == 0
    second = _config(write_config, "second", tmp_path)
    assert pipeline.main(["watchlist", "import", str(out), "--config", str(second)]) == 0
    engine, factory = open_database(f"sqlite:///{tmp_path / 'second'}.db")
    with factory() as s:
        entries = list(s.scalars(select(WatchlistEntry)))
    engine.dispose()
    # The export keeps a link's scheme as the ad wrote it (partners load it as written); the
    # watchlist keeps its canonical form, the one the ads' contact index is matched on.
    assert {(e.kind, e.value) for e in entries} == {normalise_contact(k, v) for k, v in exported}
    assert {e.source for e in entries} == {"lurewatch"}  # the bundle's identity names the list
    assert f"{len(exported)} added" in capsys.readouterr().out


def test_misp_style_indicators_and_a_bad_one_that_refuses_the_bundle(write_config, tmp_path, capsys):
    config = _config(write_config, "misp", tmp_path)

    def bundle(*patterns: str) -> str:
        objects = [
            {"type": "indicator", "id": f"indicator--{i}", "pattern_type": "stix", "pattern": p, "name": f"n{i}"}
            for i, p in enumerate(patterns)
        ]
        return json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects})

    bad = tmp_path / "bad.json"
    bad.write_text(bundle("[phone-number:value = '+82 10 1234 5678']", "[file:name = 'x.exe']"), encoding="utf-8")
    assert pipeline.main(["watchlist", "import", str(bad), "--config", str(config), "--source", "misp"]) == 1
    err = capsys.readouterr().err
    assert "error: bad.json indicator 2 (indicator--1): file:name = is not a contact we watch" in err
    good = tmp_path / "good.json"
    good.write_text(
        bundle(
            "[phone-number:value = '+82 10 1234 5678']",
            "[url:value = 'https://t.me/Recruit_X'] OR [domain-name:value = 'WWW.Lure.example']",
            "[email-addr:value = 'Boss@Lure.example']",
            "[user-account:account_type = 'telegram' AND user-account:account_login = 'Other_Boss']",
        ),
        encoding="utf-8",
    )
    assert pipeline.main(["watchlist", "import", str(good), "--config", str(config), "--source", "misp"]) == 0
    capsys.readouterr()
    assert pipeline.main(["watchlist", "list", "--config", str(config)]) == 0
    listed = capsys.readouterr().out
    for value in ("+821012345678", "@recruit_x", "lure.example", "boss@lure.example", "@other_boss"):
        assert value in listed
    assert "5 listed entries, 0 confirmed by analysts" in listed
    assert pipeline.main(["watchlist", "remove", "1", "--config", str(config), "--analyst", "lea"]) == 0
    assert "removed watchlist entry 1: phone +821012345678 (listed by misp)" in capsys.readouterr().out


def test_an_import_rescans_stored_ads_without_rescoring(write_config, tmp_path, capsys):
    config = _config(write_config, "rescan", tmp_path)
    engine, factory = open_database(f"sqlite:///{tmp_path / 'rescan'}.db")
    with factory.begin() as s:
        ad = make_ad(s, 1, contacts={"whatsapp": ["+82 10 5555 6666"]})
        score(s, ad, 0.1)
    listfile = tmp_path / "l.csv"
    listfile.write_text("kind,value,source,note\nphone,010-5555-6666,embassy-kh,\n", encoding="utf-8")
    assert pipeline.main(["watchlist", "import", str(listfile), "--config", str(config)]) == 0
    assert "1 stored ad(s) now critical, 1 newly queued" in capsys.readouterr().out
    with factory() as s:
        from store.schema import Score

        scores = s.scalars(select(Score)).all()
    engine.dispose()
    assert len(scores) == 1 and scores[0].band == "critical"  # the same score row: nothing rescored
    assert scores[0].reasons[0]["label"] == "contact on the watchlist: +821055556666 (listed by embassy-kh)"
