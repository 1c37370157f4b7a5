"""What migration 0010 removes: stored contacts and campaign links, on the demo and on a
crawl of a loopback site of real held-out ads.

The stores are made by the code *before* issue 24 (a copy of it, e.g.
``git archive <commit before issue 24> | tar -x -C DIR``): ``pipeline.py run`` on the
shipped demo config, and ``pipeline.py run`` on a loopback JSON-LD board that serves real
ads read from ../shared/data at run time (never copied into the project): every row of
the quoted lure files (quoted_dev*.csv), each text followed by its source line as the
article cites it, and the job-board corpora (corpora/*/*_dev.csv) with their countries. Then this
checkout's code upgrades each store to 0010, and the counts before and after are printed.

    PYTHONPATH=. python benchmarks/contacts_recheck.py --before-src DIR [--workdir DIR]
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from store.db import create_db_engine, current_revision, upgrade  # noqa: E402
from store.schema import AdContact, Campaign, CampaignMember  # noqa: E402
from tests.crawler.loopback import LoopbackServer, html, jobposting_page  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def _counts(url: str) -> dict[str, object]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            phones = conn.execute(
                select(AdContact.ad_id, AdContact.kind, AdContact.value).where(
                    AdContact.kind.in_(["phone", "whatsapp"])
                )
            ).all()
            return {
                "revision": current_revision(engine),
                "ads": conn.scalar(select(func.count(func.distinct(AdContact.ad_id)))) or 0,
                "ad_contacts": conn.scalar(select(func.count()).select_from(AdContact)),
                "phone_rows": sorted(tuple(r) for r in phones),
                "rows": sorted(
                    tuple(r) for r in conn.execute(select(AdContact.ad_id, AdContact.kind, AdContact.value))
                ),
                "members": conn.scalar(select(func.count()).select_from(CampaignMember)),
                "campaigns": conn.scalar(select(func.count()).select_from(Campaign)),
            }
    finally:
        engine.dispose()


def _upgrade_and_report(name: str, url: str) -> list[str]:
    before = _counts(url)
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("store.contactcheck")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.disabled = False
    engine = create_db_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
        logger.removeHandler(handler)
    after = _counts(url)
    removed_phones = sorted(set(before["phone_rows"]) - set(after["phone_rows"]))  # type: ignore[arg-type]
    added_phones = sorted(set(after["phone_rows"]) - set(before["phone_rows"]))  # type: ignore[arg-type]
    lines = [
        f"== {name}: revision {before['revision']} -> {after['revision']}",
        f"ad_contacts rows: {before['ad_contacts']} -> {after['ad_contacts']}",
        f"phone/whatsapp rows: {len(before['phone_rows'])} -> {len(after['phone_rows'])}"  # type: ignore[arg-type]
        f" ({len(removed_phones)} removed, {len(added_phones)} added)",
        f"campaign members (ads linked): {before['members']} -> {after['members']}",
        f"campaigns: {before['campaigns']} -> {after['campaigns']}",
        *(f"log: {r}" for r in records),
        "removed phone rows (ad, kind, value), first 15: "
        + ", ".join(f"{a}:{k}:{v}" for a, k, v in removed_phones[:15]),
        "added phone rows, first 10: " + ", ".join(f"{a}:{k}:{v}" for a, k, v in added_phones[:10]),
    ]
    gone = sorted(set(before["rows"]) - set(after["rows"]))  # type: ignore[arg-type]
    by_kind = Counter(k for _, k, _ in gone)
    lines.append(f"removed ad_contacts rows by kind: {dict(sorted(by_kind.items()))}")
    lines += [f"  removed {a}:{k}:{v}" for a, k, v in gone[:40]]
    new = sorted(set(after["rows"]) - set(before["rows"]))  # type: ignore[arg-type]
    lines.append(f"added ad_contacts rows by kind: {dict(sorted(Counter(k for _, k, _ in new).items()))}")
    lines += [f"  added {a}:{k}:{v}" for a, k, v in new[:40]]
    return lines


def _run_before(before_src: Path, config: Path, db_url: str) -> None:
    env = {**os.environ, "LUREWATCH_DATABASE_URL": db_url, "PYTHONPATH": str(before_src)}
    done = subprocess.run(
        [sys.executable, str(before_src / "pipeline.py"), "run", "--config", str(config)],
        cwd=before_src,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode not in (0, 4):
        sys.exit(f"the run before issue 24 failed ({done.returncode}): {done.stderr[-2000:]}")


CORPORA = {  # real job-board ads (../shared/data/corpora), with the country their boards serve
    "cambodia_jobboards/cambodia_jobboards_dev.csv": "KH",
    "sea_jobstreet/sea_jobstreet_dev.csv": "",  # has its own country column
    "ko_mma_research_jobs/ko_mma_research_jobs_dev.csv": "KR",
    "ko_wanted_programmers/ko_wanted_programmers_dev.csv": "KR",
}


def _site() -> tuple[LoopbackServer, int]:
    """Quoted real lures (text, then the source line) and real job-board ads, one page each."""
    server = LoopbackServer()
    ads: list[tuple[str, str, str, str]] = []  # title, company, description, country
    for name in ("quoted_dev.csv", "quoted_dev_extra.csv", "quoted_dev_r3.csv"):
        with (SHARED / name).open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                text = row["text"].strip()
                ads.append((" ".join(text.split())[:60], "", f"{text}\n\n{row.get('source', '')}", ""))
    for name, country in CORPORA.items():
        with (SHARED / "corpora" / name).open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                cc = country or row.get("country", "")
                ads.append((row["title"] or "(untitled)", row["company"], row["description"] or row["title"], cc))
    links = []
    for i, (title, company, description, country) in enumerate(ads, 1):
        server.pages[f"/jobs/job-{i}.html"] = jobposting_page(i, title, description, country=country, company=company)
        links.append(f'<a href="job-{i}.html">ad {i}</a>')
    server.pages["/jobs/index.html"] = html("".join(links))
    server.pages["/robots.txt"] = html("")
    server.start()
    return server, len(ads)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-src", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="contacts-recheck-"))
    work.mkdir(parents=True, exist_ok=True)
    before_src = args.before_src.resolve()
    out: list[str] = []

    demo_url = f"sqlite:///{work / 'demo.db'}"
    _run_before(before_src, before_src / "config.yaml", demo_url)
    out += _upgrade_and_report("demo (pipeline.py run, shipped config)", demo_url)

    server, n = _site()
    try:
        site_url = f"sqlite:///{work / 'site.db'}"
        config = work / "site.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "database": {"url": site_url},
                    "logging": {"dir": str(work / "logs")},
                    "export": {"dir": str(work / "exports")},
                    "crawl": {
                        "user_agent": "lurewatch-bench/0.1",
                        "autothrottle": False,
                        "download_delay": 0,
                        "allow_private_addresses": True,
                        "concurrent_requests_per_domain": 8,
                    },
                    "sources": [
                        {"name": "heldout-site", "kind": "jsonld", "start_urls": [server.url + "/jobs/index.html"]}
                    ],
                }
            )
        )
        _run_before(before_src, config, site_url)
    finally:
        server.stop()
    out += _upgrade_and_report(f"loopback site of {n} real ads (quoted lures and job-board corpora)", site_url)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
