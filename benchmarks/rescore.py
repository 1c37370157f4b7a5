"""Rescore after a promotion on PostgreSQL: ads/s with one and two scoring workers.

Creates a scratch database on the given server (dropped at the end), stores N
generated ads (nine in ten "Warehouse assistant" variants, one in ten a Korean lure
with one of 500 Telegram handles), links them once as earlier nightly runs would have,
then rescores them with the shipped model three ways, clearing the scores in between:

- ``score_ads(workers=1)``: the single-process path (it re-runs linking per batch);
- ``score_in_workers(1)`` and ``score_in_workers(2)``: claimed batches (store.claims).

Each line gives ads/s, the time a million ads would take at that rate, and the load
average, which on a shared machine says how much CPU the workers really had.

    PYTHONPATH=. python benchmarks/rescore.py ADMIN_URL [--ads 50000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import delete, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifier.registry import load_model  # noqa: E402
from config import parse_config  # noqa: E402
from core.ad import content_hash  # noqa: E402
from stages.parallel import link_new_ads, score_in_workers  # noqa: E402
from stages.score import score_ads  # noqa: E402
from store.db import open_database  # noqa: E402
from store.schema import Ad, ReviewEvent, ReviewItem, Score  # noqa: E402
from tests.pgtemp import temporary_database  # noqa: E402

NOW = datetime(2026, 11, 29, 3, 0, tzinfo=timezone.utc)
LURE = "캄보디아 고수익 채팅 상담 {i}번, 경험 무관, 월 800만원, 항공권 숙소 제공. 텔레그램 @bench_{k:03d}"
ORDINARY = "Warehouse assistant {i} in {city}: full time, contract, insurance. Apply by email jobs{i}@example.org."
CITIES = ("Busan", "Incheon", "Daegu", "Phnom Penh", "Bangkok", "Manila", "Jakarta", "Hanoi")


def _load(factory, n: int) -> None:
    """N ads by Core executemany, 5,000 a transaction (upsert_ad one by one takes minutes)."""
    for start in range(0, n, 5000):
        rows = []
        for i in range(start, min(start + 5000, n)):
            lure = i % 10 == 0
            ad = {
                "source": "bench",
                "external_id": str(i),
                "title": f"Job {i}",
                "description": (LURE if lure else ORDINARY).format(i=i, k=i % 500, city=CITIES[i % len(CITIES)]),
                "contacts": {"telegram": [f"@bench_{i % 500:03d}"]} if lure else {},
                "language": "ko" if lure else "en",
            }
            rows.append(
                {
                    **ad,
                    "content_hash": content_hash(ad),
                    "first_seen_at": NOW,
                    "last_seen_at": NOW,
                    "content_changes": 0,
                }
            )
        with factory.begin() as s:
            s.execute(Ad.__table__.insert(), rows)


def _clear(factory) -> None:
    with factory.begin() as s:
        for table in (ReviewEvent, ReviewItem, Score):
            s.execute(delete(table))


def _timed(label: str, n: int, run: Callable[[], int]) -> None:
    before = os.getloadavg()
    began = time.perf_counter()
    scored = run()
    seconds = time.perf_counter() - began
    after = os.getloadavg()
    rate = scored / seconds
    print(
        f"{label:>32}: {scored} ads in {seconds:7.1f} s = {rate:6.0f} ads/s; "
        f"1,000,000 ads: {1_000_000 / rate / 3600:5.2f} h; "
        f"load average {before[0]:.2f} -> {after[0]:.2f}",
        flush=True,
    )
    if scored != n:
        print(f"{'':>32}  (expected {n})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("admin_url", help="a PostgreSQL server URL allowed to CREATE DATABASE")
    parser.add_argument("--ads", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument(
        "--only", choices=("all", "2-workers"), default="all", help="2-workers: time only the two-worker rescore"
    )
    args = parser.parse_args(argv)
    with temporary_database(args.admin_url, "lurewatch_rescore") as url:
        config = parse_config({"database": {"url": url}, "scoring": {"batch_size": args.batch}}, Path.cwd())
        _, card = load_model(config.models.dir, config.scoring.model)
        version = card["version"]
        engine, factory = open_database(url)
        print(f"{os.cpu_count()} CPUs; model {version}; batch {args.batch}; {args.ads} ads")
        began = time.perf_counter()
        _load(factory, args.ads)
        print(f"{'stored':>32}: {time.perf_counter() - began:.1f} s", flush=True)
        link = lambda: (link_new_ads(factory, version, True, 1000, lambda: NOW), args.ads)[1]  # noqa: E731
        _timed("linked once (one process)", args.ads, link)
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        runs = [
            ("score_ads, 1 process", lambda: score_ads(config, factory, rescore=True, workers=1).counts["scored"]),
            ("claimed batches, 1 worker", lambda: score_in_workers(config, version, 1, True)["scored"]),
            ("claimed batches, 2 workers", lambda: score_in_workers(config, version, 2, True)["scored"]),
        ]
        for label, run in runs if args.only == "all" else runs[-1:]:
            _clear(factory)
            _timed(label, args.ads, run)
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
