"""Crawl benchmark: a generated 10,000-ad loopback site, crawled with politeness off.

Prints pages/s, CPU seconds per 1,000 ads and peak RSS of the crawling process,
once with lurewatch's item pipelines (normalise, contacts, language, validate,
hash, store into SQLite) and once with an empty item pipeline, so the cost of
our pipelines shows as a ratio. Each crawl runs in a fresh spawned process (as
the crawl stage does), which measures itself with getrusage.

    PYTHONPATH=. python benchmarks/crawl.py [--ads 10000] [--per-page 100]

The site is served by a threaded http.server in this process; on a small
machine it competes with the crawler for CPU, so pages/s is a floor.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import parse_config  # noqa: E402
from crawler.run import CrawlJob, crawl_sources, freeze_config, thaw_config  # noqa: E402

RISKY = "캄보디아 고수익 채팅 상담, 경험 무관, 항공권 숙소 제공. 텔레그램 @bench_{i:05d}"
ORDINARY = "Warehouse assistant {i}: full time, contract, insurance. Apply by email jobs{i}@example.org."


def _detail(i: int) -> bytes:
    text = (RISKY if i % 10 == 0 else ORDINARY).format(i=i)
    data = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": f"Job {i}",
        "description": f"<p>{text}</p><p>Shift work, meals provided.</p>",
        "identifier": {"@type": "PropertyValue", "value": str(i)},
        "datePosted": "2026-11-20",
        "hiringOrganization": {"@type": "Organization", "name": f"Company {i % 97}"},
        "jobLocation": {
            "@type": "Place",
            "address": {"@type": "PostalAddress", "addressLocality": "Phnom Penh", "addressCountry": "KH"},
        },
        "baseSalary": {
            "@type": "MonetaryAmount",
            "currency": "USD",
            "value": {"@type": "QuantitativeValue", "minValue": 1000, "maxValue": 2000, "unitText": "MONTH"},
        },
    }
    head = f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'
    return (
        f"<!DOCTYPE html><html><head><title>Job {i}</title>{head}</head><body><h1>Job {i}</h1></body></html>".encode()
    )


def serve(ads: int, per_page: int) -> ThreadingHTTPServer:
    """Start the generated site on 127.0.0.1 (listing pages /list?page=N, ads /jobs/N)."""
    pages = (ads + per_page - 1) // per_page

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            if parts.path == "/site/list":
                page = int(parse_qs(parts.query).get("page", ["1"])[0])
                first = (page - 1) * per_page + 1
                links = "".join(
                    f'<a href="/site/jobs/{i}">job {i}</a>' for i in range(first, min(first + per_page, ads + 1))
                )
                nxt = f'<a rel="next" href="/site/list?page={page + 1}">next</a>' if page < pages else ""
                body = f"<html><body>{links}{nxt}</body></html>".encode()
            elif parts.path.startswith("/site/jobs/"):
                body = _detail(int(parts.path.rsplit("/", 1)[1]))
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def _measured_crawl(config: Any, overrides: dict[str, Any], conn: Any) -> None:
    """In the child: crawl, then report stats and this process's own resource use."""
    start = time.perf_counter()
    results = crawl_sources(thaw_config(config), [CrawlJob("bench")], "ERROR", overrides)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats = results["bench"]["stats"]
    conn.send(
        {
            "wall": wall,
            "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024,
            "pages": stats.get("response_received_count", 0),
            "items": stats.get("item_scraped_count", 0),
            "new": stats.get("lurewatch/ads/new", 0),
            "error": results["bench"]["error"],
        }
    )
    conn.close()


def run(config: Any, overrides: dict[str, Any]) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_measured_crawl, args=(freeze_config(config), overrides, sender))
    proc.start()
    sender.close()
    result = receiver.recv()
    proc.join()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ads", type=int, default=10_000)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    httpd = serve(args.ads, args.per_page)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/site/list?page=1"
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config(
            {
                "database": {"url": f"sqlite:///{tmp}/bench.db"},
                "crawl": {
                    "obey_robots": False,
                    "autothrottle": False,
                    "download_delay": 0,
                    "concurrent_requests_per_domain": args.concurrency,
                    "retry_times": 0,
                    "max_pages_per_source": args.ads * 2 + 100,
                    "allow_private_addresses": True,  # the loopback site
                },
                "sources": [{"name": "bench", "kind": "jsonld", "start_urls": [url]}],
            },
            Path(tmp),
        )
        base = {"CONCURRENT_REQUESTS": args.concurrency, "LOG_LEVEL": "ERROR"}
        print(
            f"site: {args.ads} ads on {(args.ads + args.per_page - 1) // args.per_page} listing pages, "
            f"concurrency {args.concurrency}, politeness off"
        )
        rows = {}
        for label, overrides in (("lurewatch pipelines", base), ("empty pipeline", {**base, "ITEM_PIPELINES": {}})):
            r = run(config, overrides)
            if r["error"]:
                print(f"{label}: failed: {r['error']}")
                return 1
            rows[label] = r
            print(
                f"{label:>20}: {r['pages']} pages in {r['wall']:.1f}s = {r['pages'] / r['wall']:.0f} pages/s; "
                f"{r['items']} ads ({r['new']} stored new); "
                f"CPU {1000 * r['cpu'] / max(r['items'], 1):.2f} s per 1,000 ads; peak RSS {r['rss_mb']:.0f} MB"
            )
        ours, empty = rows["lurewatch pipelines"], rows["empty pipeline"]
        print(
            f"{'ratio':>20}: CPU per ad x{(ours['cpu'] / max(ours['items'], 1)) / (empty['cpu'] / max(empty['items'], 1)):.2f}, "
            f"pages/s x{(ours['pages'] / ours['wall']) / (empty['pages'] / empty['wall']):.2f}, "
            f"peak RSS x{ours['rss_mb'] / empty['rss_mb']:.2f}"
        )
    httpd.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
