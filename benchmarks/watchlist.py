"""The watchlist's costs on a big store: a rescan (what an import and every scoring run),
the per-batch hit lookup, and the list the desk and `watchlist list` show.

Stores N generated ads (a phone from a pool of N/3 numbers, a Telegram handle from a pool
of N/10, an email), one low score each, 1% of them decided scam, and E partner entries
(half phones, half handles of the pools), then times:

- the first rescan (marks every undecided ad carrying a listed or confirmed contact),
- a second rescan (nothing left to mark: the nightly cost once the list is in place),
- ``hits_for_ads`` on 1,000 ads (a scoring batch),
- ``watchlist()`` (the desk page / `watchlist list`).

    PYTHONPATH=. python benchmarks/watchlist.py [--ads 50000] [--entries 1000] [--postgres ADMIN_URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store.db import open_database  # noqa: E402
from store.schema import Ad, AdContact, ReviewItem, Score  # noqa: E402
from store.watchlist import add_entries, hits_for_ads, rescan, watchlist  # noqa: E402
from store.watchlistfile import ListedContact  # noqa: E402

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)


def _phone(k: int) -> str:
    return f"+8210{10_000_000 + k:08d}"


def _load(factory, n: int) -> None:
    phones, handles = max(1, n // 3), max(1, n // 10)
    for start in range(0, n, 5000):
        ids = range(start + 1, min(start + 5000, n) + 1)
        with factory.begin() as s:
            s.execute(
                Ad.__table__.insert(),
                [
                    {
                        "id": i,
                        "source": "bench",
                        "external_id": str(i),
                        "title": f"Job {i}",
                        "description": f"Ordinary vacancy {i}",
                        "contacts": {},
                        "extra": {},
                        "first_seen_at": NOW,
                        "last_seen_at": NOW,
                    }
                    for i in ids
                ],
            )
            s.execute(
                AdContact.__table__.insert(),
                [
                    row
                    for i in ids
                    for row in (
                        {"ad_id": i, "kind": "phone", "value": _phone(i % phones)},
                        {"ad_id": i, "kind": "telegram", "value": f"@bench_{i % handles}"},
                        {"ad_id": i, "kind": "email", "value": f"hr{i}@jobs{i % 97}.example"},
                    )
                ],
            )
            s.execute(
                Score.__table__.insert(),
                [
                    {
                        "ad_id": i,
                        "model_version": "bench",
                        "score": 0.1,
                        "band": "low",
                        "flagged": False,
                        "reasons": [],
                        "scored_at": NOW,
                    }
                    for i in ids
                ],
            )
            scam = [i for i in ids if i % 100 == 0]
            if scam:
                s.execute(
                    ReviewItem.__table__.insert(),
                    [
                        {"ad_id": i, "status": "scam", "priority": 0.1, "created_at": NOW, "updated_at": NOW}
                        for i in scam
                    ],
                )


def _timed(label: str, fn):
    began = time.perf_counter()
    value = fn()
    print(f"{label}: {time.perf_counter() - began:.2f} s", flush=True)
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ads", type=int, default=50_000)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="a PostgreSQL server (scratch database, dropped)")
    args = parser.parse_args(argv)
    if args.postgres:
        from tests.pgtemp import temporary_database

        place = temporary_database(args.postgres, "lurewatch_bench_wl")
    else:
        place = nullcontext(f"sqlite:///{tempfile.mkdtemp(prefix='wl-bench-')}/bench.db")
    with place as url:
        engine, factory = open_database(url)
        print(f"{engine.dialect.name}, {args.ads:,} ads, {args.entries:,} entries; load {os.getloadavg()}")
        _timed("load", lambda: _load(factory, args.ads))
        phones, handles = max(1, args.ads // 3), max(1, args.ads // 10)
        entries = [
            ListedContact("phone", _phone(k * 7 % phones), "bench", "", "")
            if k % 2
            else ListedContact("telegram", f"@bench_{k * 3 % handles}", "bench", "", "")
            for k in range(args.entries)
        ]
        with factory.begin() as s:
            result = _timed("import + first rescan", lambda: add_entries(s, entries, "bench", NOW))
        print(f"  {len(result.added):,} added, {len(result.rescan.marked):,} ads marked critical")
        with factory.begin() as s:
            again = _timed("second rescan (nothing to mark)", lambda: rescan(s, NOW))
        print(f"  {len(again.marked)} marked")
        with factory() as s:
            hits = _timed("hits_for_ads on 1,000 ads", lambda: hits_for_ads(s, range(1, 1001)))
            print(f"  {len(hits)} of them hit")
            rows = _timed("watchlist() (desk page, watchlist list)", lambda: watchlist(s))
            print(f"  {len(rows):,} rows")
        engine.dispose()
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
