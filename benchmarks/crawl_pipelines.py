"""The crawl's item pipelines alone, in one process: CPU per ad of each, a profile, a digest.

benchmarks/crawl.py measures the whole crawl (Scrapy, network, parsing and our pipelines);
this isolates the pipelines. The ads are those of the crawl benchmark's site (the same
pages, read by the jsonld spider's own ad_from_posting), run through every pipeline of
crawler.settings.ITEM_PIPELINES by calling ``process_item`` (then ``close_spider``), into a
fresh SQLite file.

    PYTHONPATH=. python benchmarks/crawl_pipelines.py [--ads 2000] [--profile 15] [--digest]

``--digest`` prints a sha256 of every stored row (ads and the contact index, ids included,
the clock fixed) and of the crawl stats, so a change to the pipelines can show that it
stores and counts exactly what it did before.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import pstats
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scrapy.exceptions import DropItem  # noqa: E402
from scrapy.http import HtmlResponse  # noqa: E402
from scrapy.statscollectors import MemoryStatsCollector  # noqa: E402
from scrapy.utils.misc import load_object  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402
from sqlalchemy import text  # noqa: E402

from benchmarks.crawl import _detail  # noqa: E402
from crawler.jobposting import page_postings  # noqa: E402
from crawler.settings import ITEM_PIPELINES  # noqa: E402
from crawler.spiders.jsonld import ad_from_posting  # noqa: E402

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


def bench_items(ads: int) -> list[Any]:
    """The benchmark site's ads 1..``ads`` as the jsonld spider yields them."""
    items = []
    for i in range(1, ads + 1):
        url = f"http://127.0.0.1:8000/site/jobs/{i}"
        response = HtmlResponse(
            url, body=_detail(i), encoding="utf-8", headers={"Date": "Mon, 07 Dec 2026 09:00:00 GMT"}
        )
        items.extend(ad_from_posting("bench", response, p) for p in page_postings(response.selector).postings)
    return items


def build_pipelines(database_url: str) -> tuple[list[Any], MemoryStatsCollector]:
    crawler = get_crawler(settings_dict={"LUREWATCH_DATABASE_URL": database_url})
    stats = MemoryStatsCollector(crawler)
    crawler.stats = stats
    pipelines = []
    for path, _ in sorted(ITEM_PIPELINES.items(), key=lambda kv: kv[1]):
        pipeline = load_object(path).from_crawler(crawler)
        if hasattr(pipeline, "now"):
            pipeline.now = lambda: NOW  # a fixed clock: the digest compares runs
        pipelines.append(pipeline)
    return pipelines, stats


def run(items: list[Any], pipelines: list[Any]) -> tuple[dict[str, float], int]:
    """Every item through every pipeline; CPU seconds per pipeline class, and the drops."""
    spent = {type(p).__name__: 0.0 for p in pipelines}
    dropped = 0
    for p in pipelines:
        if hasattr(p, "open_spider"):
            p.open_spider()
    for item in items:
        for p in pipelines:
            start = time.thread_time()
            try:
                item = p.process_item(item)
            except DropItem:
                dropped += 1
                break
            finally:
                spent[type(p).__name__] += time.thread_time() - start
    for p in pipelines:
        if hasattr(p, "close_spider"):
            start = time.thread_time()
            p.close_spider()
            spent[type(p).__name__] += time.thread_time() - start
    return spent, dropped


def digest(database_url: str, stats: MemoryStatsCollector) -> dict[str, str]:
    """sha256 of the stored rows (every column, in id order) and of the lurewatch stats."""
    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    out = {}
    with engine.connect() as conn:
        for table in ("ads", "ad_contacts"):
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()  # noqa: S608 (fixed names)
            out[table] = f"{len(rows)} rows, sha256 {hashlib.sha256(repr(rows).encode()).hexdigest()[:16]}"
    engine.dispose()
    ours = {k: v for k, v in stats.get_stats().items() if k.startswith("lurewatch/")}
    out["stats"] = hashlib.sha256(json.dumps(ours, sort_keys=True).encode()).hexdigest()[:16]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ads", type=int, default=2000)
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions by cumulative time")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    parser.add_argument("--digest", action="store_true")
    parser.add_argument(
        "--no-freeze", action="store_true", help="leave the collector as it is after the warm-up (no gc.freeze)"
    )
    args = parser.parse_args(argv)
    items = bench_items(args.ads)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        pipelines, stats = build_pipelines(url)
        # Warm-up outside the measure: the language model and the SQL statement caches load once per process.
        warm_pipelines, _ = build_pipelines(f"sqlite:///{tmp}/warm.db")
        run(bench_items(20), warm_pipelines)
        if not args.no_freeze:
            # As the crawl does once a spider is open (crawler.run._freeze_startup): without it, how
            # often a full collection lands in the measure depends on how many objects the
            # libraries imported so far left behind, not on the pipelines' own work.
            gc.collect()
            gc.freeze()
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        spent, dropped = run(items, pipelines)
        if profiler:
            profiler.disable()
        total = sum(spent.values())
        print(f"{len(items)} ads, {dropped} dropped; CPU ms per ad by pipeline:")
        for name, seconds in spent.items():
            print(f"  {name:>20} {1000 * seconds / len(items):.3f}")
        print(f"  {'all':>20} {1000 * total / len(items):.3f}")
        if profiler:
            buf = io.StringIO()
            pstats.Stats(profiler, stream=buf).sort_stats(args.sort).print_stats(args.profile)
            print(buf.getvalue())
        if args.digest:
            for key, value in digest(url, stats).items():
                print(f"digest {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
