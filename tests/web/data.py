"""A small queue for desk tests: scored ads, a campaign, hostile text, analysts' verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from store.campaigns import campaign_of, link_ads
from store.queue import claim, decide
from store.schema import ReviewItem
from tests.store.queue_fixtures import T0, make_ad, score

HOSTILE_TITLE = '<script>window.__pwned=1</script>Hiring <img src=x onerror="window.__pwned=2">'
PIXEL = "/lure-pixel.png?who=analyst"


# Texts unlike each other and the lures above, so near-duplicate linking leaves d and e alone.
OTHER_TEXTS = {
    "d": "Warehouse night shift in Yangon, forklift licence required, 감금 절대 없음 they say, "
    "contract in Burmese and English, pay weekly in kyat",
    "e": "Call centre team lead for a bank in Mawlamyine; Thai and English, three years of "
    "experience, health insurance and a work permit are provided",
}


def hostile_description(pixel_url: str = PIXEL, size: int = 0) -> str:
    """An ad written to attack the analyst's browser (and phone home if anything ran)."""
    body = (
        f'Easy job in Sihanoukville <img src="{pixel_url}"> <script src="{pixel_url}"></script>'
        f'<a href="javascript:alert(1)">apply</a> <iframe src="{pixel_url}"></iframe>'
        f'<style>body{{background:url("{pixel_url}")}}</style> <svg onload="window.__pwned=3"></svg>'
        f' 감금 절대 없음 telegram @lure_boss'
    )
    return body + (" filler" * (size // 7) if size else "")


@dataclass
class Queue:
    """Ids of what was made."""

    ads: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    campaign: int | None = None


REASON = [
    {"signal": "safety_denial", "label": "safety denial", "weight": 0.4, "evidence": "감금 절대 없음"},
    {
        "signal": "messenger_contact",
        "label": "asks to move to a messenger",
        "weight": 0.3,
        "evidence": "telegram @lure_boss",
    },
    {"signal": "text", "label": "mentions 'sihanoukville'", "weight": 0.2, "evidence": "Sihanoukville"},
]


def make_queue(session, hostile_size: int = 0, pixel_url: str = PIXEL) -> Queue:
    """Five flagged ads, three days apart (three linked by one phone number), one hostile ad
    and one below the threshold."""
    q = Queue()
    phone = {"phone": ["+855 12 345 678"], "telegram": ["@lure_boss"]}
    for i, (name, s) in enumerate([("a", 0.97), ("b", 0.91), ("c", 0.85), ("d", 0.7), ("e", 0.6)]):
        seen = T0 + timedelta(days=3 * i)
        q.ads[name] = make_ad(
            session,
            i,
            now=seen,
            source="board" if i % 2 else "feed",
            country="KH" if i < 3 else "MM",
            contacts=phone if name in "abc" else {"email": [f"hr{i}@jobs{i}.example"]},
            description=(
                f"Easy job in Sihanoukville number {i}, 감금 절대 없음, telegram @lure_boss"
                if name in "abc"
                else OTHER_TEXTS[name]
            ),
        )
        score(session, q.ads[name], s, now=seen, reasons=REASON)
    q.ads["hostile"] = make_ad(
        session,
        9,
        title=HOSTILE_TITLE,
        url="javascript:alert(document.cookie)",
        description=hostile_description(pixel_url, hostile_size),
        contacts={"url": [pixel_url]},
    )
    score(session, q.ads["hostile"], 0.8, reasons=REASON)
    q.ads["low"] = make_ad(session, 10, contacts={"email": ["x@y.example"]})
    score(session, q.ads["low"], 0.1)
    link_ads(session, list(q.ads.values()), T0)
    q.campaign = campaign_of(session, q.ads["a"])
    for item in session.query(ReviewItem):
        q.items[next(k for k, v in q.ads.items() if v == item.ad_id)] = item.id
    return q


def give_verdicts(session, q: Queue) -> None:
    """ann: a scam, b legit (with a note); c needs info."""
    claim(session, "ann", 3, T0)
    decide(session, q.items["a"], "scam", "ann", T0 + timedelta(hours=1))
    decide(session, q.items["b"], "legit", "ann", T0 + timedelta(hours=1), "real employer, checked")
    decide(session, q.items["c"], "needs_info", "ann", T0 + timedelta(hours=1))
