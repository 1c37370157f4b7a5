"""Linking a batch gives what linking its ads one at a time, by the per-ad paths, gives.

link_ads reads each ad's campaign once per batch and writes new ads' fingerprints ahead of
the loop (fewer round trips); an ad linked, or a campaign merged, earlier in the batch must
still be seen by the ads after it, exactly as when every ad was its own batch.
"""

from __future__ import annotations

import functools
import random
from collections import Counter
from dataclasses import asdict

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from store import campaigns
from store.campaigns import link_ads
from tests.store.queue_fixtures import later, make_ad

A = "Warehouse assistant wanted {n}: full time contract with insurance benefits and a pension plan"
B = "캄보디아 고수익 채팅 상담 {n}, 경험 무관, 월 800만원, 항공권 숙소 제공 연락 바랍니다"
WORDS = "alpha bravo cedar delta ember fjord gravel harbor indigo jasper kettle lumen meadow nickel orchid".split()


def _ads() -> dict[int, dict]:
    """Two campaigns (near-duplicates sharing a handle each) and ten ads alike to nothing."""
    rng = random.Random(5)
    ads = {n: {"description": A.format(n=n), "contacts": {"telegram": ["@camp_a"]}} for n in range(1, 6)}
    ads |= {n: {"description": B.format(n=n), "contacts": {"telegram": ["@camp_b"]}} for n in range(6, 11)}
    for n in range(11, 21):
        ads[n] = {"description": " ".join(rng.sample(WORDS, 12)) + f" posting {n}", "contacts": {}}
    return ads


def _link(factory: sessionmaker[Session], together: bool) -> dict[str, list]:
    """Link the ads, then edit two of the first ones and link every ad again (a rescore):
    ad 1 now copies free ad 15, which joins its campaign; ad 2 now gives campaign B's handle,
    which merges B into A. Ads 6-15 come after 1 and 2 in the second pass: the batch must
    know that they have joined or moved. In one batch, or one ad per batch."""
    ads = _ads()
    with factory.begin() as s:
        link_ads(
            s, [make_ad(s, n, description=a["description"], contacts=a["contacts"]) for n, a in ads.items()], later(0)
        )
    ads[1] = {**ads[1], "description": ads[15]["description"] + " again"}
    ads[2] = {**ads[2], "contacts": {"telegram": ["@camp_a", "@camp_b"]}}
    with factory.begin() as s:
        for n in (1, 2):
            make_ad(s, n, later(5), description=ads[n]["description"], contacts=ads[n]["contacts"])
        every = sorted(s.scalars(text("SELECT id FROM ads")))
    counts = Counter()
    for batch in [every] if together else [[i] for i in every]:
        with factory.begin() as s:
            counts.update(asdict(link_ads(s, batch, later(10))))
    with factory() as s:
        return {
            "counts": dict(counts),
            "members": s.execute(text("SELECT ad_id, reason FROM campaign_members ORDER BY ad_id")).all(),
            # campaign ids are the database's own: compare who is linked with whom
            "groups": sorted(
                tuple(sorted(s.scalars(text(f"SELECT ad_id FROM campaign_members WHERE campaign_id = {c}"))))
                for c in s.scalars(text("SELECT id FROM campaigns"))
            ),
            "free": s.execute(text("SELECT ad_id, key FROM free_keys ORDER BY ad_id, key")).all(),
            "keys": s.execute(text("SELECT ad_id, key FROM fingerprint_keys ORDER BY ad_id, key")).all(),
            "campaign_keys": sorted(
                (key, tuple(sorted(s.scalars(text(f"SELECT ad_id FROM campaign_members WHERE campaign_id = {c}")))))
                for key, c in s.execute(text("SELECT key, campaign_id FROM campaign_keys"))
            ),
        }


def test_a_batch_links_as_its_ads_one_by_one(factory, monkeypatch):
    whole = _link(factory, together=True)
    assert (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15) in whole["groups"], whole["groups"]
    with factory.begin() as s:  # a clean database for the second way, ids from 1 again (reasons name them)
        tables = ("campaign_members", "campaign_keys", "free_keys", "fingerprint_keys", "ad_fingerprints", "campaigns")
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text(f"TRUNCATE {', '.join(tables)}, ads RESTART IDENTITY CASCADE"))
        else:
            for table in (*tables, "ads"):
                s.execute(text(f"DELETE FROM {table}"))
    # The reference takes the per-ad paths all the way: each new ad fingerprinted as it comes
    # (refresh_fingerprint), and candidates by the portable UNION ALL on every backend.
    monkeypatch.setattr(campaigns, "fingerprint_new", lambda session, ads: {})
    monkeypatch.setattr(campaigns, "candidate_rows", functools.partial(campaigns.candidate_rows, portable=True))
    one_by_one = _link(factory, together=False)
    assert whole == one_by_one
