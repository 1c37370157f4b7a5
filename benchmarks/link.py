"""Prints campaign linking time per ad, per 1,000 ads, on the nightly benchmark's ads.

Usage: PYTHONPATH=. python benchmarks/link.py [N_ADS] [DATABASE_URL]
(default: 5,000 ads, a temporary SQLite file). Use a scratch database: it writes ads.

The ads are nightly.py's: nine in ten one "Warehouse assistant {i}" template, one in
ten a Korean lure; every ad shares MinHash bands with the earlier ones. Linking must
stay flat per ad as the campaign grows (it was 10, 23, 32, 35 ms/ad by the 4,000th).
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timezone

from store.ads import upsert_ad
from store.campaigns import link_ads
from store.db import open_database

LURE = "캄보디아 고수익 채팅 상담, 경험 무관, 월 800만원, 항공권 숙소 제공. 텔레그램 @bench_{i:05d}"
ORDINARY = "Warehouse assistant {i}: full time, contract, insurance. Apply by email jobs{i}@example.org."


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{tmp}/link.db"
        engine, factory = open_database(url)
        now = datetime.now(timezone.utc)
        with factory.begin() as s:
            ids = [
                upsert_ad(
                    s,
                    {
                        "source": "bench",
                        "external_id": str(i),
                        "title": f"Job {i}",
                        "description": (LURE if i % 10 == 0 else ORDINARY).format(i=i),
                    },
                    now,
                )[1]
                for i in range(1, n + 1)
            ]
        for start in range(0, n, 1000):
            batch = ids[start : start + 1000]
            began = time.perf_counter()
            with factory.begin() as s:
                counts = link_ads(s, batch, now)
            ms = 1000 * (time.perf_counter() - began) / len(batch)
            print(
                f"ads {start + 1:>6}-{start + len(batch):<6} {ms:6.2f} ms/ad  "
                f"({counts.linked} linked, {counts.campaigns_created} created, "
                f"{counts.campaigns_merged} merged)",
                flush=True,
            )
        engine.dispose()


if __name__ == "__main__":
    main()
