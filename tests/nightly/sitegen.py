"""Generate a static JSON-LD job board on disk (file:// URLs): the offline site of crash tests."""

from __future__ import annotations

import json
from pathlib import Path

LURES = [
    "캄보디아 고수익 채팅 상담원. 경험 무관, 월 {pay}만원 보장, 항공권 숙소 제공. 감금 절대 없음. 텔레그램 @crew_{n}",
    "Easy job in Sihanoukville, no experience, ${pay}0 per month, flight and housing paid, Telegram @hr_{n} only",
]
ORDINARY = [
    "{n}번 매장 주방 보조를 모집합니다. 주 5일 근무, 4대 보험, 퇴직금. 지원: hr{n}@hanbit.example",
    "Warehouse associate {n} in Incheon, forklift licence preferred, full-time, apply at careers@logis{n}.example",
    "Backend developer {n}: Python and PostgreSQL, 3 years of experience, hybrid work in Seoul",
]


def _posting(n: int) -> dict:
    risky = n % 7 == 0
    pool = LURES if risky else ORDINARY
    text = pool[n % len(pool)].format(n=n, pay=500 + n % 9 * 100)
    return {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": ("해외 고수익 " if risky else "") + f"Job {n}",
        "description": f"<p>{text}</p>",
        "datePosted": "2026-11-20",
        "identifier": {"@type": "PropertyValue", "value": str(n)},
        "hiringOrganization": {"@type": "Organization", "name": "" if risky else f"Company {n % 37}"},
        "jobLocation": {
            "@type": "Place",
            "address": {"@type": "PostalAddress", "addressCountry": "KH" if risky else "KR"},
        },
    }


def write_site(root: Path, n_ads: int, per_page: int = 50) -> Path:
    """Write listing pages and one detail page per ad; returns the first listing page."""
    (root / "jobs").mkdir(parents=True, exist_ok=True)
    pages = (n_ads + per_page - 1) // per_page
    for p in range(pages):
        links = "".join(
            f'<li><a href="jobs/job-{n}.html">job {n}</a></li>'
            for n in range(p * per_page + 1, min(n_ads, (p + 1) * per_page) + 1)
        )
        nxt = f'<a rel="next" class="next" href="page-{p + 2}.html">next</a>' if p + 1 < pages else ""
        name = "index.html" if p == 0 else f"page-{p + 1}.html"
        (root / name).write_text(f"<html><body><ul>{links}</ul>{nxt}</body></html>", encoding="utf-8")
    for n in range(1, n_ads + 1):
        doc = json.dumps(_posting(n), ensure_ascii=False)
        (root / "jobs" / f"job-{n}.html").write_text(
            f'<html><head><script type="application/ld+json">{doc}</script></head><body><h1>Job {n}</h1></body></html>',
            encoding="utf-8",
        )
    return root / "index.html"
