"""Campaign linking on reposted ads with small edits and shared handles; campaign decisions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from store.campaigns import campaign_ads, campaign_of, contact_keys, link_ads
from store.errors import NoteRequiredError
from store.exports import row_reasons_text
from store.listing import QueueFilter, collapse_campaigns, list_items
from store.queue import decide, decide_campaign
from store.schema import Campaign, ReviewEvent, ReviewItem
from store.scores import record_scores
from tests.store.queue_fixtures import T0, later, make_ad, score

LURE = (
    "캄보디아 프놈펜 고수익 해외 취업. 경력 무관, 항공권과 숙소 제공, 월 500만원 이상 보장. "
    "감금 절대 없음, 안전한 회사입니다. 여권만 준비하세요. 관심 있으면 텔레그램으로 연락 주세요."
)
REPOST = LURE.replace("월 500만원", "월 600만원").replace("프놈펜", "시아누크빌")
OTHER = (
    "서울 강남구 카페 바리스타 모집. 주 5일 근무, 4대 보험, 경력자 우대. "
    "이력서를 이메일로 보내 주시면 면접 일정을 안내해 드리겠습니다. 감사합니다."
)


def test_contact_keys_normalise_the_ways_people_write_them():
    keys = contact_keys(
        {
            "telegram": ["@HR_Cambo", "https://t.me/hr_cambo"],
            "phone": ["+855 12 345 678", "012-345-678"],
            "kakao": ["https://open.kakao.com/o/abc123/"],
            "email": ["Job@Example.ORG"],
            "url": ["https://jobs.example/"],
        }
    )
    assert keys == {"tg:hr_cambo", "phone:12345678", "kakao:open.kakao.com/o/abc123", "email:job@example.org"}


def test_reposts_with_edits_and_shared_handles_form_one_campaign(factory):
    with factory.begin() as s:
        a = make_ad(s, 1, description=LURE, contacts={"telegram": ["@cambo_hr"]})
        b = make_ad(s, 2, description=REPOST, contacts={"telegram": ["@new_handle"]})  # text only
        c = make_ad(s, 3, description=OTHER, contacts={"telegram": ["t.me/new_handle"]})  # handle only
        d = make_ad(
            s, 4, description=OTHER.replace("강남구", "마포구"), contacts={"email": ["hire@cafe.example"]}
        )  # near-duplicate of c
        lone = make_ad(s, 5, description="완전히 다른 내용의 광고입니다. " * 3, contacts={"email": ["x@y.example"]})
        counts = link_ads(s, [a, b, c, d, lone], T0)
        assert counts.fingerprinted == 5
    with factory.begin() as s:
        campaign = campaign_of(s, a)
        assert campaign is not None and campaign_of(s, lone) is None
        assert sorted(campaign_ads(s, campaign)) == sorted([a, b, c, d])
        assert len(s.scalars(select(Campaign)).all()) == 1
    with factory.begin() as s:  # linking again changes nothing
        again = link_ads(s, [a, b, c, d, lone], later(1))
        assert (again.fingerprinted, again.linked, again.campaigns_created) == (0, 0, 0)


def test_bridging_ad_merges_two_campaigns(factory):
    with factory.begin() as s:
        a = make_ad(s, 1, contacts={"telegram": ["@one"]})
        b = make_ad(s, 2, contacts={"telegram": ["@one"]})
        c = make_ad(s, 3, contacts={"phone": ["+82 10-1234-5678"]})
        d = make_ad(s, 4, contacts={"phone": ["010 1234 5678"]})
        link_ads(s, [a, b, c, d], T0)
        assert campaign_of(s, a) != campaign_of(s, c)
        bridge = make_ad(s, 5, contacts={"telegram": ["@one"], "phone": ["01012345678"]})
        counts = link_ads(s, [bridge], later(1))
        assert counts.campaigns_merged == 1
        assert {campaign_of(s, x) for x in (a, b, c, d, bridge)} == {campaign_of(s, a)}


def test_repost_of_a_decided_scam_is_queued_whatever_its_score(factory):
    with factory.begin() as s:
        a = make_ad(s, 1, description=LURE, contacts={"telegram": ["@cambo_hr"]})
        score(s, a, 0.9)
        decide(s, s.scalar(select(ReviewItem.id)), "scam", "kim", later(1))
    with factory.begin() as s:
        b = make_ad(s, 2, description=REPOST, contacts={}, now=later(60))
        counts = record_scores(
            s, "v1", [{"ad_id": b, "score": 0.05, "band": "low", "flagged": False, "reasons": []}], later(61)
        )
        assert counts.campaign_queued == 1
        item = s.scalars(select(ReviewItem).where(ReviewItem.ad_id == b)).one()
        event = s.scalars(select(ReviewEvent).where(ReviewEvent.item_id == item.id)).one()
        assert item.status == "pending" and "already decided scam" in event.note
        [row] = list_items(s)
        assert row.campaign_scam and row.campaign_size == 2
        assert row_reasons_text(row).startswith("campaign: “campaign ")  # shown in exports


def test_queue_collapses_campaigns_and_decides_them_at_once(factory):
    with factory.begin() as s:
        ads = [make_ad(s, n, contacts={"telegram": ["@cambo_hr"]}) for n in range(4)]
        outsider = make_ad(s, 9)
        for ad_id, value in zip(ads, (0.95, 0.8, 0.7, 0.1)):
            score(s, ad_id, value)
        score(s, outsider, 0.6)
    with factory.begin() as s:
        rows = collapse_campaigns(list_items(s))
        assert [(r.ad_id, n, r.campaign_size) for r, n in rows] == [(ads[0], 3, 4), (outsider, 1, 0)]
        campaign = rows[0][0].campaign_id
        with pytest.raises(NoteRequiredError, match="scored 0.95"):
            decide_campaign(s, campaign, "legit", "kim", later(1))
        counts = decide_campaign(s, campaign, "Scam", "kim", later(1), note="same handle")
        assert counts == {"decided": 4, "created": 1, "kept": 0}
    with factory.begin() as s:
        statuses = s.scalars(select(ReviewItem.status).where(ReviewItem.ad_id.in_(ads))).all()
        assert statuses == ["scam"] * 4
        assert [r.ad_id for r in list_items(s)] == [outsider]
        assert list_items(s, QueueFilter(statuses=("scam",), campaign=campaign))[0].campaign_size == 4


def test_templated_reposts_in_separate_batches_form_one_campaign(factory):
    # A recruiter reposting one template (new number each time) across nights: each new
    # ad is checked against a few members of the campaign, yet all end up in it.
    template = (
        "캄보디아 프놈펜 고수익 채팅 상담원 모집 {n}호. 경험 무관, 월 800만원, 항공권 숙소 제공. "
        "여권만 있으면 바로 출국 가능합니다. 문의는 텔레그램으로 주세요"
    )
    ids = []
    for night in range(4):
        with factory.begin() as s:
            batch = [make_ad(s, 100 + night * 15 + k, description=template.format(n=night * 15 + k)) for k in range(15)]
            link_ads(s, batch, later(night))
            ids += batch
    with factory.begin() as s:
        campaigns = {campaign_of(s, ad_id) for ad_id in ids}
        assert len(campaigns) == 1 and None not in campaigns
        assert len(campaign_ads(s, campaigns.pop())) == 60
