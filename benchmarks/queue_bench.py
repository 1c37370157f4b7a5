"""Prints how long recording scores (with campaign linking), listing and exporting take.

Usage: PYTHONPATH=. python benchmarks/queue_bench.py [DATABASE_URL] [N_ADS]
(default: a temporary SQLite file, 2000 ads). Use a scratch database: it writes ads.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from store.ads import upsert_ad
from store.db import open_database
from store.exports import write_export
from store.listing import QueueFilter, list_items
from store.scores import ads_to_score, record_scores

WORDS = (
    "고수익 해외 취업 캄보디아 프놈펜 숙소 항공권 제공 경력 무관 텔레그램 연락 "
    "hotel staff salary visa support passport office work online customer"
).split()


def main() -> None:
    tmp = tempfile.mkdtemp()
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tmp}/bench.db"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    rnd = random.Random(7)
    now = datetime.now(timezone.utc)
    engine, factory = open_database(url)
    with factory.begin() as s:
        for i in range(n):
            text = " ".join(rnd.choice(WORDS) for _ in range(40))
            upsert_ad(
                s,
                {
                    "source": "bench",
                    "external_id": str(i),
                    "title": f"ad {i}",
                    "description": text,
                    "contacts": {"telegram": [f"@h{rnd.randrange(n // 4)}"]},
                },
                now,
            )
    t = time.perf_counter()
    with factory.begin() as s:
        for batch in ads_to_score(s, "bench", batch_size=500):
            rows = [
                {
                    "ad_id": a["ad_id"],
                    "score": (v := rnd.random()),
                    "band": "high" if v >= 0.5 else "low",
                    "flagged": v >= 0.5,
                    "reasons": [],
                }
                for a in batch
            ]
            record_scores(s, "bench", rows, now)
    print(f"record_scores + linking: {n} ads in {time.perf_counter() - t:.2f}s")
    t = time.perf_counter()
    with factory() as s:
        rows = list_items(s, QueueFilter())
    print(f"list_items: {len(rows)} items in {time.perf_counter() - t:.2f}s")
    for fmt in ("csv", "xlsx", "jsonl"):
        t = time.perf_counter()
        write_export(rows, Path(tmp) / f"bench.{fmt}", fmt)
        print(f"export {fmt}: {time.perf_counter() - t:.2f}s")
    engine.dispose()


if __name__ == "__main__":
    main()
