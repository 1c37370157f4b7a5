"""Confirmed contacts: only analysts' scam verdicts, no shared or cleared domains, safe files."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest
import stix2

import pipeline
from store.confirmed import ConfirmedContact, confirmed_contacts, contacts_csv, contacts_stix, stix_pattern
from store.db import open_database
from store.queue import claim, decide
from tests.store.queue_fixtures import T0, make_ad, score


def _decided(factory, contacts_by_verdict):
    with factory.begin() as s:
        ids = {}
        for n, (verdict, contacts) in enumerate(contacts_by_verdict):
            ad = make_ad(s, n, contacts=contacts)
            score(s, ad, 0.8)
            ids[n] = verdict
        claim(s, "ann", len(ids), T0)
        for item_id, verdict in zip(range(1, len(ids) + 1), ids.values()):
            if verdict:
                decide(s, item_id, verdict, "ann", T0, "checked")


def test_only_scam_verdicts_count_and_shared_or_cleared_domains_are_left_out(db_url):
    engine, factory = open_database(db_url)
    try:
        _decided(
            factory,
            [
                (
                    "scam",
                    {
                        "email": ["boss@gmail.com", "hr@lure-jobs.example"],
                        "url": ["https://lure-jobs.example/a"],
                        "kakao": ["open.kakao.com/o/gLure01"],
                    },
                ),
                ("scam", {"email": ["hr@shared-host.example"]}),
                ("legit", {"url": ["https://shared-host.example/real-job"]}),
                ("needs_info", {"phone": ["+855 99 888 777"]}),
                (None, {"telegram": ["@pending_only"]}),
            ],
        )
        with factory() as s:
            found = {(c.kind, c.value): c for c in confirmed_contacts(s)}
        assert set(found) == {
            ("email", "boss@gmail.com"),
            ("email", "hr@lure-jobs.example"),
            ("domain", "lure-jobs.example"),
            ("url", "https://lure-jobs.example/a"),  # as the ad wrote it, scheme and all
            ("kakao", "open.kakao.com/o/gLure01"),
            ("email", "hr@shared-host.example"),
        }
        assert found[("domain", "lure-jobs.example")].scam_ads == 1
    finally:
        engine.dispose()


def test_csv_cells_cannot_become_formulas():
    when = T0
    rows = [
        ConfirmedContact(kind, value, 1, 0, (3,), when, when, when, when)
        for kind, value in [
            ("url", "=cmd|' /C calc'!A0"),
            ("phone", "+85512345678"),
            ("telegram", "@boss_hr"),
            ("email", "-2+3@x.example"),
            ("line", "@SUM(1)"),
        ]
    ]
    values = [r["value"] for r in csv.DictReader(io.StringIO(contacts_csv(rows)))]
    assert values == ["'=cmd|' /C calc'!A0", "tel:+85512345678", "@boss_hr", "'-2+3@x.example", "'@SUM(1)"]


def test_stix_bundle_is_valid_and_stable():
    rows = [
        ConfirmedContact(kind, value, 2, 0, (1,), T0, T0, T0, T0)
        for kind, value in [
            ("phone", "+85512345678"),
            ("whatsapp", "+66812345678"),
            ("telegram", "@boss"),
            ("telegram", "t.me/+Inv1te"),
            ("kakao", "open.kakao.com/o/gX"),
            ("kakao", "bosskakao"),
            ("email", "a@b.example"),
            ("domain", "b.example"),
            ("url", "http://b.example/x'y"),
            ("ipv4", "203.0.113.9"),
        ]
    ]
    first, second = contacts_stix(rows), contacts_stix(rows)
    bundle = stix2.parse(first, allow_custom=False)  # strict: nothing custom in the bundle
    indicators = [o for o in bundle.objects if o.type == "indicator"]
    assert len(indicators) == len(rows)

    def by_id(text):
        return {o["id"]: o for o in json.loads(text)["objects"]}

    assert by_id(first) == by_id(second)  # same contacts, same objects (only the bundle id differs)
    assert stix_pattern("url", "http://b.example/x'y") == "[url:value = 'http://b.example/x\\'y']"
    assert stix_pattern("url", "b.example/x") is None  # no scheme written: STIX cannot hold it as a URL
    assert stix_pattern("ipv4", "203.0.113.9") == "[ipv4-addr:value = '203.0.113.9']"
    assert stix_pattern("kakao", "open.kakao.com/o/gX") == "[url:value = 'https://open.kakao.com/o/gX']"
    assert (
        stix_pattern("whatsapp", "+6681")
        == "[user-account:account_type = 'whatsapp' AND user-account:account_login = '+6681']"
    )
    assert all(o.object_marking_refs == [stix2.TLP_AMBER.id] for o in indicators)


def test_export_command_writes_both_formats(config, capsys):
    _decided(open_database(config.database.url)[1], [("scam", {"telegram": ["@boss_hr"]})])
    assert pipeline.main(["export", "--config", str(config.path), "--format", "contacts-csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("exported 1 confirmed contact(s) to ") and out.strip().endswith(".csv")
    path = config.export.dir / out.strip().rsplit("/", 1)[1]
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") and "@boss_hr" in path.read_text("utf-8-sig")
    target = config.base_dir / "c.stix.json"
    assert pipeline.main(["export", "--config", str(config.path), "--format", "stix", "--out", str(target)]) == 0
    assert "user-account:account_login = 'boss_hr'" in target.read_text()


def test_export_refuses_queue_filters_with_contact_formats(config, capsys):
    assert pipeline.main(["export", "--config", str(config.path), "--format", "stix", "--status", "scam"]) == 1
    assert "--status: queue filters do not apply to --format stix" in capsys.readouterr().err


def test_contacts_export_never_replaces_a_file_without_force(config, capsys):
    """Like every ad-hoc export (issue 14): a second run gets a new name, --out needs --force."""
    _decided(open_database(config.database.url)[1], [("scam", {"telegram": ["@boss_hr"]})])
    argv = ["export", "--config", str(config.path), "--format", "contacts-csv"]
    assert pipeline.main(argv) == 0 and pipeline.main(argv) == 0
    names = sorted(p.name for p in config.export.dir.glob("confirmed-contacts-*.csv"))
    assert len(names) == 2 and sum(n.endswith("-2.csv") for n in names) == 1
    target = config.base_dir / "c.csv"
    target.write_text("keep me", encoding="utf-8")
    assert pipeline.main([*argv, "--out", str(target)]) == 1
    assert "already exists" in capsys.readouterr().err and target.read_text(encoding="utf-8") == "keep me"
    assert pipeline.main([*argv, "--out", str(target), "--force"]) == 0
    assert "@boss_hr" in target.read_text("utf-8-sig")


def test_exported_values_are_decoded_validated_typed_and_keep_their_scheme(db_url):
    """Issue 24: http stays http, an IP is an ipv4-addr (not a domain-name), a value with
    undecoded entities or digits that are no phone is left out with its reason, and each
    indicator carries its evidence count and first/last seen; the bundle is strict STIX."""
    engine, factory = open_database(db_url)
    try:
        _decided(
            factory,
            [
                ("scam", {"url": ["http://lure-jobs.example/apply"], "phone": ["+855 12 345 678", "+659800"]}),
                ("scam", {"url": ["http://203.0.113.7/join", "127.0.0.1/x&quot;,&quot;open&quot"]}),
                ("scam", {"phone": ["+855 12 345 678"], "email": ["hr&#64;lure-jobs.example"]}),
            ],
        )
        left_out: list = []
        with factory() as s:
            found = {(c.kind, c.value): c for c in confirmed_contacts(s, left_out)}
    finally:
        engine.dispose()
    assert ("url", "http://lure-jobs.example/apply") in found  # not https://
    assert ("ipv4", "203.0.113.7") in found and ("domain", "203.0.113.7") not in found
    assert found[("phone", "+85512345678")].scam_ads == 2
    assert not [k for k in found if "&quot;" in k[1] or '"' in k[1] or k[1] == "+659800"]
    reasons = {(x.kind, x.value): x.problem for x in left_out}
    assert reasons[("url", '127.0.0.1/x","open"')].startswith("holds characters a link cannot")
    assert reasons[("phone", "+659800")] == "is not a valid phone number with its country code"
    bundle = stix2.parse(contacts_stix(list(found.values())), allow_custom=False)
    patterns = {o.pattern for o in bundle.objects if o.type == "indicator"}
    assert "[ipv4-addr:value = '203.0.113.7']" in patterns
    assert "[url:value = 'http://lure-jobs.example/apply']" in patterns
    assert not [p for p in patterns if "domain-name:value = '203." in p]
    sightings = {o.sighting_of_ref: o for o in bundle.objects if o.type == "sighting"}
    phone = next(o for o in bundle.objects if o.type == "indicator" and "x-phone-number" in o.pattern)
    assert sightings[phone.id].count == 2 and sightings[phone.id].first_seen <= sightings[phone.id].last_seen
    assert len(sightings) == len(patterns)


@pytest.mark.slow
def test_phones_in_the_csv_stay_text_in_a_spreadsheet(tmp_path):
    """LibreOffice, like Excel, turns a bare +85512345678 into the number 85512345678; the
    CSV's tel: form stays the text the receiver needs."""
    from openpyxl import load_workbook

    from tests.conftest import require_program

    soffice = require_program("soffice", "libreoffice-calc-nogui", "LUREWATCH_REQUIRE_LIBREOFFICE")
    rows = [
        ConfirmedContact(k, v, 1, 0, (), T0, T0, T0, T0)
        for k, v in [("phone", "+85512345678"), ("whatsapp", "+66812345678")]
    ]
    (tmp_path / "contacts.csv").write_text(contacts_csv(rows), encoding="utf-8-sig")
    (tmp_path / "bare.csv").write_text("kind,value\nphone,+85512345678\n", encoding="utf-8")
    subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(tmp_path), str(tmp_path / "contacts.csv"), str(tmp_path / "bare.csv")],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    sheet = load_workbook(tmp_path / "contacts.xlsx").active
    assert [(c.value, c.data_type) for c in sheet["B"][1:]] == [("tel:+85512345678", "s"), ("tel:+66812345678", "s")]
    assert load_workbook(tmp_path / "bare.xlsx").active["B2"].data_type == "n"  # what the tel: form avoids
