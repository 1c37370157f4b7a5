"""A queue database of N generated ads for benchmarks/web.py: bulk rows, realistic shapes.

Writing 100,000 ads through the crawler and the scorer would take an hour and
measure those, not the desk; here rows go in with bulk INSERTs, shaped like what
the nightly job stores: templated lures and ordinary ads in Korean and English,
contacts drawn from pools so that numbers repeat and campaigns form (sizes 2 to
40, most ads in one), one score per ad (a second model version for one in ten),
every ad queued (most pending, some claimed, some decided), flagged over a year.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session, sessionmaker

from core.contacts import index_rows
from store.accounts import add_user
from store.order import rank_of
from store.schema import Ad, AdContact, Campaign, CampaignMember, ReviewEvent, ReviewItem, Score

SOURCES = ("kr-board-a", "kr-board-b", "telegram-jobs", "feed-overseas", "jobs-kh", "jobs-th", "jobs-vn", "jsonld-x")
COUNTRIES = ("KH", "KH", "KH", "MM", "MM", "LA", "TH", "VN", "PH", "KR", "MY")
SIGNALS = [
    ("safety_denial", "safety denial", "감금 절대 없음"),
    ("pay_very_high", "pay far above the job", "월 1000만원"),
    ("no_experience", "no experience needed", "경력 무관"),
    ("messenger_only", "contact by messenger only", "텔레그램 문의"),
    ("flights_paid", "flights and housing paid", "항공권 숙소 제공"),
    ("passport", "passport kept", "여권 보관"),
]
LURE = (
    "캄보디아 시아누크빌 고수익 채팅 상담원 모집. 월 1000만원 보장, 경력 무관, 항공권 숙소 제공. "
    "감금 절대 없음, 안전한 회사입니다. 텔레그램 문의 {handle} 전화 {phone}. "
)
PLAIN = (
    "Hotel front desk staff wanted in {city}. Two years of experience, English required, work visa "
    "sponsored, salary {pay} per month. Apply with your CV to {email}. "
)
CITIES = ("Phnom Penh", "Bangkok", "Ho Chi Minh City", "Kuala Lumpur", "Manila", "Vientiane", "Yangon")
BATCH = 5000


def _phone(rnd: random.Random) -> str:
    country = rnd.choice(("+855 1", "+855 9", "+66 8", "+82 10-", "+95 9 ", "+856 20 "))
    return f"{country}{rnd.randrange(1000, 9999)} {rnd.randrange(1000, 9999)}"


def generate(
    factory: sessionmaker[Session], n: int, now: datetime, seed: int = 13, user: tuple[str, str] | None = None
) -> dict[str, Any]:
    """Fill an empty, migrated database with ``n`` queued ads; a few facts about them."""
    rnd = random.Random(seed)
    phones = [_phone(rnd) for _ in range(max(n // 6, 10))]
    handles = [f"@recruit_{i:05d}" for i in range(max(n // 8, 10))]
    year = timedelta(days=364)
    campaign_of: dict[str, int] = {}
    campaign_id, ad_id = 0, 0
    facts = {"phones": [], "ad_ids": []}
    with factory.begin() as session:
        if user:
            add_user(session, user[0], user[1], now, "lead")
        session.execute(
            insert(Campaign), [{"id": c, "created_at": now, "updated_at": now} for c in range(1, n // 8 + 2)]
        )
        for start in range(0, n, BATCH):
            ads, scores, items, contacts, members, events = [], [], [], [], [], []
            for i in range(start, min(start + BATCH, n)):
                ad_id += 1
                seen = now - year + timedelta(seconds=rnd.randrange(int(year.total_seconds())))
                lure = rnd.random() < 0.7
                # Skewed draws: a few numbers and handles recur in dozens of ads, most in a few.
                phone = phones[int(len(phones) * rnd.random() ** 2)]
                handle = handles[int(len(handles) * rnd.random() ** 2)]
                contact = (
                    {"phone": [phone], "telegram": [handle]} if lure else {"email": [f"hr{i}@hotel{i % 500}.example"]}
                )
                body = (
                    LURE.format(handle=handle, phone=phone)
                    if lure
                    else PLAIN.format(city=rnd.choice(CITIES), pay=f"${rnd.randrange(800, 3000)}", email=f"hr{i}@x")
                )
                body = body * rnd.randint(2, 4)
                ads.append(
                    {
                        "id": ad_id,
                        "source": rnd.choice(SOURCES),
                        "external_id": str(i),
                        "url": f"https://jobs.example/{i}",
                        "title": f"{'고수익 해외 알바' if lure else 'Hotel staff'} {i}",
                        "company": f"Company {i % 3000}",
                        "location": rnd.choice(CITIES),
                        "country": rnd.choice(COUNTRIES),
                        "salary": "월 1000만원" if lure else "$1500",
                        "description": body,
                        "contacts": contact,
                        "language": "ko" if lure else "en",
                        "content_hash": f"{i:064x}",
                        "extra": {},
                        "first_seen_at": seen,
                        "last_seen_at": seen,
                        "content_changes": 0,
                    }
                )
                value = round(min(0.9999, max(0.3, rnd.gauss(0.78 if lure else 0.45, 0.1))), 4)
                fired = [s for s in SIGNALS if lure and rnd.random() < 0.6][:4] or [SIGNALS[2]]
                reasons = [
                    {"signal": sig, "label": label, "weight": 0.3, "evidence": ev, "start": -1, "end": -1}
                    for sig, label, ev in fired
                ]
                band = "high" if value >= 0.6 else "medium" if value >= 0.45 else "low"
                for version, delta in (("20261001T000000Z", -0.05), ("20261125T075130Z", 0.0)):
                    if version.startswith("202610") and rnd.random() > 0.1:
                        continue
                    scores.append(
                        {
                            "ad_id": ad_id,
                            "model_version": version,
                            "score": round(max(0.0, value + delta), 4),
                            "band": band,
                            "flagged": value >= 0.4,
                            "reasons": reasons,
                            "scored_at": seen + timedelta(hours=1 if delta else 2),
                        }
                    )
                roll = rnd.random()
                status = (
                    "pending"
                    if roll < 0.85
                    else "in_review"
                    if roll < 0.87
                    else "scam"
                    if roll < 0.95
                    else "legit"
                    if roll < 0.98
                    else "needs_info"
                )
                decided = status in ("scam", "legit", "needs_info")
                items.append(
                    {
                        "id": ad_id,
                        "ad_id": ad_id,
                        "status": status,
                        "priority": value,
                        "band_rank": rank_of(band),
                        "assignee": "bench" if status == "in_review" else None,
                        "lease_expires_at": now + timedelta(minutes=30) if status == "in_review" else None,
                        "decided_by": "bench" if decided else None,
                        "decided_at": seen + timedelta(days=1) if decided else None,
                        "note": None,
                        "created_at": seen + timedelta(hours=2),
                        "updated_at": seen,
                    }
                )
                events.append(
                    {
                        "item_id": ad_id,
                        "actor": "lurewatch",
                        "at": seen + timedelta(hours=2),
                        "old_status": None,
                        "new_status": "pending",
                        "note": "queued",
                        "model_version": "20261125T075130Z",
                    }
                )
                contacts += [{"ad_id": ad_id, "kind": k, "value": v} for k, v in sorted(index_rows(contact))]
                if lure:
                    campaign = campaign_of.get(phone)
                    if campaign is None and campaign_id < n // 8:
                        campaign_id += 1
                        campaign = campaign_of[phone] = campaign_id
                    if campaign is not None:
                        members.append(
                            {
                                "ad_id": ad_id,
                                "campaign_id": campaign,
                                "reason": f"shares phone {phone}",
                                "joined_at": seen,
                            }
                        )
                    if len(facts["phones"]) < 200:
                        facts["phones"].append(phone)
                facts["ad_ids"].append(ad_id)
            for table, rows in (
                (Ad, ads),
                (Score, scores),
                (ReviewItem, items),
                (ReviewEvent, events),
                (AdContact, contacts),
                (CampaignMember, members),
            ):
                if rows:
                    session.execute(insert(table), rows)
        if session.get_bind().dialect.name == "postgresql":  # ids were given: move the sequences on
            for table in ("ads", "review_items", "campaigns"):
                session.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
    facts["campaigns"] = campaign_id
    return facts
