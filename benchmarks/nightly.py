"""Nightly benchmark: the whole `run` on a 10,000-ad loopback site, then scoring at 10x.

1. A loopback site with three sources (a JSON-LD board, a Telegram channel preview
   and a CP949 board without structured data) holding --ads ads in all; the nightly
   `pipeline.py run` crawls, scores, queues and exports it with politeness off.
   Prints wall time, time per stage and the peak RSS of the run's processes.
2. --score-ads ads (default 100,000) written straight into a fresh database and
   scored by `pipeline.py score`; prints its peak RSS against the 10,000-ad run's,
   to show that scoring memory stays flat (it works in batches).

    PYTHONPATH=. python benchmarks/nightly.py [--ads 10000] [--score-ads 100000]

The site is served from this process and competes with the crawler for the two
cores, so crawl times are an upper bound.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import yaml  # noqa: E402

from store.ads import upsert_ad  # noqa: E402
from store.db import open_database  # noqa: E402
from tests.crawler.loopback import LoopbackServer, Page, html, jobposting_page  # noqa: E402

PER_PAGE = 100
TELEGRAM_PAGE = 20
LURE = "캄보디아 고수익 채팅 상담, 경험 무관, 월 800만원, 항공권 숙소 제공. 텔레그램 @bench_{i:05d}"
ORDINARY = "Warehouse assistant {i}: full time, contract, insurance. Apply by email jobs{i}@example.org."


def _text(i: int) -> str:
    return (LURE if i % 10 == 0 else ORDINARY).format(i=i)


def build_site(server: LoopbackServer, jsonld: int, telegram: int, board: int) -> None:
    """Listing + detail pages for each source kind, generated on request."""

    def listing(q: dict[str, list[str]]) -> Page:
        page = int(q.get("page", ["1"])[0])
        ids = range((page - 1) * PER_PAGE + 1, min(jsonld, page * PER_PAGE) + 1)
        nxt = f'<a rel="next" href="/jobs/list?page={page + 1}">next</a>' if page * PER_PAGE < jsonld else ""
        return html("".join(f'<a href="/jobs/ad?id={i}">ad {i}</a>' for i in ids) + nxt)

    def detail(q: dict[str, list[str]]) -> Page:
        i = int(q["id"][0])
        return jobposting_page(i, f"Job {i}", f"<p>{_text(i)}</p>")

    def channel(q: dict[str, list[str]]) -> Page:
        before = int(q.get("before", [str(telegram + 1)])[0])
        ids = range(max(1, before - TELEGRAM_PAGE), before)
        body = "".join(
            f'<div class="tgme_widget_message" data-post="benchjobs/{i}">'
            f'<div class="tgme_widget_message_text">{_text(i)}</div>'
            f'<a class="tgme_widget_message_date" href="https://t.me/benchjobs/{i}">'
            f'<time datetime="2026-11-20T10:00:00+00:00">10:00</time></a></div>'
            for i in ids
        )
        return html(f'<section class="tgme_channel_history">{body}</section>')

    def board_list(q: dict[str, list[str]]) -> Page:
        page = int(q.get("page", ["1"])[0])
        ids = range((page - 1) * PER_PAGE + 1, min(board, page * PER_PAGE) + 1)
        rows = "".join(f'<tr><td class="subject"><a href="view?wr_id={i}">공고 {i}</a></td></tr>' for i in ids)
        nxt = f'<a class="pg_next" href="list?page={page + 1}">다음</a>' if page * PER_PAGE < board else ""
        return _cp949(f"<table>{rows}</table>{nxt}")

    def board_view(q: dict[str, list[str]]) -> Page:
        i = int(q["wr_id"][0])
        return _cp949(f'<h1 id="bo_v_title">공고 {i}</h1><div id="bo_v_con">{_text(i)}</div>')

    server.pages["/robots.txt"] = Page(b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
    server.routes.update(
        {
            "/jobs/list": listing,
            "/jobs/ad": detail,
            "/s/benchjobs": channel,
            "/board/list": board_list,
            "/board/view": board_view,
        }
    )


def _cp949(body: str) -> Page:
    doc = f"<html><head><title>게시판</title></head><body>{body}</body></html>"
    return Page(doc.encode("cp949"), headers={"Content-Type": "text/html"})


def write_config(folder: Path, url: str, telegram: int) -> Path:
    path = folder / "config.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": {"url": "sqlite:///lw.db"},
                "crawl": {
                    "user_agent": "lurewatch-bench/0.1",
                    "autothrottle": False,
                    "download_delay": 0,
                    "concurrent_requests_per_domain": 16,
                    "download_timeout": 10,
                    "max_pages_per_source": 100_000,
                    "allow_private_addresses": True,  # the loopback site
                },
                "sources": [
                    {"name": "bench-jsonld", "kind": "jsonld", "start_urls": [f"{url}/jobs/list?page=1"]},
                    {
                        "name": "bench-telegram",
                        "kind": "telegram",
                        "channels": ["benchjobs"],
                        "base_url": f"{url}/s/",
                        "max_messages": telegram,
                    },
                    {
                        "name": "bench-board",
                        "kind": "board",
                        "start_urls": [f"{url}/board/list?page=1"],
                        "selectors": {
                            "ad_links": "td.subject a::attr(href)",
                            "next_page": "a.pg_next::attr(href)",
                            "title": "h1#bo_v_title::text",
                            "description": "div#bo_v_con",
                        },
                    },
                ],
                "export": {"dir": "exports", "formats": ["xlsx", "csv"]},
                "logging": {"dir": "logs"},
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return path


# A fresh wrapper process per command, so its RUSAGE_CHILDREN peak is that command's alone
# (the run's crawl child included).
_WRAPPER = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(r.returncode)"
)


def timed(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Run a command; (wall seconds, peak RSS MB of its largest process)."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, *argv], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return wall, int(proc.stderr.strip().splitlines()[-1]) / 1024  # ru_maxrss is in KB on Linux


def seed_ads(config: Path, n: int) -> None:
    """Write n ads straight into the database (the crawl is measured separately)."""
    engine, factory = open_database(f"sqlite:///{config.parent / 'lw.db'}")
    now = datetime.now(timezone.utc)
    with factory.begin() as s:
        for i in range(1, n + 1):
            upsert_ad(
                s,
                {
                    "source": "bench",
                    "external_id": str(i),
                    "title": f"Job {i}",
                    "description": _text(i),
                    "language": "ko" if i % 10 == 0 else "en",
                },
                now,
            )
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ads", type=int, default=10_000, help="ads on the loopback site, all sources")
    parser.add_argument("--score-ads", type=int, default=100_000, help="ads for the scoring-memory run")
    args = parser.parse_args(argv)
    telegram = board = args.ads // 5
    jsonld = args.ads - telegram - board
    server = LoopbackServer()
    build_site(server, jsonld, telegram, board)
    server.start()
    python = sys.executable
    try:
        with tempfile.TemporaryDirectory(prefix="lw-nightly-") as tmp:
            (Path(tmp) / "run").mkdir()
            config = write_config(Path(tmp) / "run", server.url, telegram)
            wall, peak_run = timed(
                [python, str(PROJECT / "pipeline.py"), "run", "-q", "--config", str(config)], config.parent
            )
            summary = json.loads(next((config.parent / "exports").glob("run-*.json")).read_text())
            print(
                f"nightly run on {args.ads:,} ads ({jsonld} jsonld, {telegram} telegram, {board} board), "
                f"politeness off: {wall:.1f} s wall, peak RSS {peak_run:.0f} MB"
            )
            for stage in summary["stages"]:
                c = stage["counts"]
                extra = ""
                if stage["name"] == "crawl":
                    new = sum(s.get("new", 0) for s in c["sources"].values())
                    pages = sum(s.get("pages", 0) for s in c["sources"].values())
                    extra = f"  ({pages} pages, {new} new ads, {pages / max(c['seconds'], 1e-9):.0f} pages/s)"
                elif stage["name"] == "score":
                    extra = (
                        f"  ({c['scored']} scored, {c['flagged']} flagged, "
                        f"{c['scored'] / max(c['seconds'], 1e-9):.0f} ads/s incl. campaign linking)"
                    )
                elif stage["name"] == "export":
                    extra = f"  ({c['items']} items)"
                print(f"  {stage['name']:<7} {c['seconds']:8.1f} s{extra}")
            score_dir = Path(tmp) / "score"
            score_dir.mkdir()
            config2 = write_config(score_dir, server.url, telegram)
            seed_ads(config2, args.score_ads)
            wall2, peak_score = timed(
                [python, str(PROJECT / "pipeline.py"), "score", "-q", "--config", str(config2)], score_dir
            )
            print(
                f"score {args.score_ads:,} ads: {wall2:.1f} s ({args.score_ads / wall2:.0f} ads/s), "
                f"peak RSS {peak_score:.0f} MB vs {peak_run:.0f} MB for the {args.ads:,}-ad run "
                f"(ratio {peak_score / peak_run:.2f})"
            )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
