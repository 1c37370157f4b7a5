"""Migration 0010: stored contacts re-extracted by the rules of issue 24, and the campaigns
that rested only on bad ones unlinked (store.contactcheck), on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from core.contacts import index_rows
from store.campaigns import campaign_of, link_ads
from store.db import create_db_engine, current_revision, upgrade
from store.schema import Ad, AdContact, CampaignKey, FreeKey, Score
from store.watchlist import SIGNAL as WATCHLIST
from tests.store.queue_fixtures import T0, make_ad, score

NEWS = "https://m.news.example.com/article/03917724?sid=101 "
# Unrelated ads: texts far apart, so nothing but a contact could link them.
TEXTS = {
    1: "Bakery in Siem Reap needs two cashiers for the morning shift",
    2: "건설 현장 용접공 모집 경력자 우대 숙소 제공 안 함",
    3: "Tutor wanted for high school chemistry, evenings only",
    4: "Nhà hàng cần tuyển phụ bếp làm ca tối tại quận 1",
    5: "Warehouse forklift driver, certificate required, Monday to Friday",
    8: "Garden centre seeks seasonal helpers for spring planting work",
}
BAD = "03917724"  # what the crawler before issue 24 read in that URL, and linked on


def test_upgrade_to_0010_removes_bad_phones_and_the_links_they_made(db_url):
    engine = create_db_engine(db_url)
    upgrade(engine, "0009")
    factory = sessionmaker(engine)
    try:
        with factory.begin() as s:
            # Ads as the old crawler stored them: every one carries the URL's "phone".
            def ad(n: int, **contacts: list[str]) -> int:
                return make_ad(s, n, description=NEWS + TEXTS[n], contacts={"phone": [BAD], **contacts})

            a = ad(1, telegram=["@alpha_team"])
            b = ad(2, telegram=["@alpha_team"])
            c = ad(3)
            d = ad(4, telegram=["@Delta_Team"])  # as another ingestion path may store it
            e = ad(5, telegram=["@delta_team"])
            # A real phone, shared by two ads: it stays, and so does their campaign.
            f = make_ad(s, 6, description="연락처 010-2847-5931", language="ko", contacts={"phone": ["+821028475931"]})
            g = make_ad(s, 7, description="전화 010-2847-5931 로", language="ko", contacts={"phone": ["+821028475931"]})
            link_ads(s, [a, b, c, d, e, f, g], T0)
            # C was marked critical because the URL's "phone" was on the watchlist.
            [(kind, value)] = index_rows({"phone": [BAD]})
            mark = {"signal": WATCHLIST, "weight": 3.0, "evidence": "", "kind": kind, "value": value}
            mark |= {"band_before": "low", "flagged_before": False}  # what the model gave it
            score(s, c, 0.2, band="critical", reasons=[mark, {"signal": "vague job", "weight": 0.2, "evidence": ""}])
            one = campaign_of(s, a)
            assert one is not None and {campaign_of(s, x) for x in (b, c, d, e)} == {one}
            real = campaign_of(s, f)
            assert real is not None and campaign_of(s, g) == real
        upgrade(engine)
        assert current_revision(engine) == "0010"
        with factory.begin() as s:
            assert not s.scalars(select(AdContact).where(AdContact.value == BAD)).all()
            assert all(
                "phone" not in (x.contacts or {}) or not x.contacts["phone"]
                for x in s.scalars(select(Ad).where(Ad.id.in_([a, b, c, d, e])))
            )
            # A and B still share a handle, D and E theirs: two campaigns; C rested on the URL only.
            assert campaign_of(s, a) == campaign_of(s, b) == one
            assert campaign_of(s, d) == campaign_of(s, e) not in (None, one)
            assert campaign_of(s, c) is None
            newest = s.scalars(select(Score).where(Score.ad_id == c).order_by(Score.id.desc())).first()
            assert [r["signal"] for r in newest.reasons] == ["vague job"]
            assert (newest.band, newest.flagged) == ("low", False)  # the mark gone, its band back
            assert s.get(Ad, d).contacts["telegram"] == ["@delta_team"]
            assert campaign_of(s, f) == campaign_of(s, g) == real
            assert s.get(Ad, f).contacts["phone"] == ["+821028475931"]
            # Linking carries on from the keys left: no campaign or free key names the bad number.
            keys = [k.key for k in s.scalars(select(CampaignKey))] + [k.key for k in s.scalars(select(FreeKey))]
            assert keys and not [k for k in keys if "3917724" in k]
            assert "tg:alpha_team" not in {k.key for k in s.scalars(select(FreeKey))}
            assert any(k.key.startswith("band") for k in s.scalars(select(FreeKey).where(FreeKey.ad_id == c)))
            # A new ad with the same news link joins nothing; one with @delta_team joins D and E.
            h = make_ad(s, 8, description=NEWS + TEXTS[8], contacts={})
            i = make_ad(s, 9, description="Telegram @delta_team", contacts={"telegram": ["@delta_team"]})
            link_ads(s, [h, i], T0)
            assert campaign_of(s, h) is None and campaign_of(s, i) == campaign_of(s, d)
    finally:
        engine.dispose()
