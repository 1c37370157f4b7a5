"""Take the README's screenshots of the review desk (docs/screenshots/*.png).

A real desk on real data, in a temporary folder: the nightly job crawls the offline
demo board and scores it with the shipped model, sixty of our seed ads (data/seed,
written by the team) are stored as a second source and scored too, two analysts
get accounts and give a few verdicts through the same stage functions the desk
uses, then headless Chromium (Debian's, as in the tests) opens each page.

Usage: PYTHONPATH=. .venv/bin/python docs/screenshots.py
Korean, Chinese and Thai text need fonts in the browser's machine (Debian: fonts-noto-cjk, fonts-thai-tlwg).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import uvicorn
import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import pipeline
from config import load_config
from crawler.contacts import extract_contacts
from stages.common import database, utcnow
from stages.desk import claim_next, decide_this
from store.accounts import add_user
from store.ads import upsert_ad
from tests.web.live import chromium
from web.app import create_app

PROJECT = Path(__file__).resolve().parents[1]
OUT = PROJECT / "docs" / "screenshots"
PASSWORD = "demo password 123"


def seed_ads(limit: int = 60) -> list[dict]:
    """Every fifth seed ad up to ``limit``, as ads of a 'seed-sample' source with their contacts."""
    with (PROJECT / "data" / "seed" / "seed_ads.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[::5][:limit]
    return [
        {
            "source": "seed-sample",
            "external_id": r["id"],
            "url": f"https://seed.example/{r['id']}",
            "title": r["title"],
            "description": r["description"],
            "company": r["company"],
            "location": r["location"],
            "salary": r["salary"],
            "language": r["language"],
            "contacts": extract_contacts([r["title"], r["description"]]),
        }
        for r in rows
    ]


def build(folder: Path) -> Path:
    config_path = folder / "config.yaml"
    config_path.write_text(
        yaml.safe_dump(
            {
                "database": {"url": "sqlite:///desk.db"},
                "export": {"dir": "exports"},
                "logging": {"dir": "logs"},
                "sources": [
                    {
                        "name": "demo-board",
                        "kind": "jsonld",
                        "enabled": True,
                        "start_urls": [str(PROJECT / "data" / "demo" / "site" / "index.html")],
                    }
                ],
            }
        )
    )
    assert pipeline.main(["run", "--config", str(config_path), "-q"]) in (0, 4)
    config = load_config(config_path)
    now = utcnow()
    with database(config) as factory, factory.begin() as session:
        for n, ad in enumerate(seed_ads()):
            upsert_ad(session, ad, now - timedelta(days=60 - n))
        add_user(session, "ann", PASSWORD, now, "lead")
        add_user(session, "bob", PASSWORD, now)
    assert pipeline.main(["score", "--config", str(config_path), "-q"]) == 0
    with database(config) as factory, factory.begin() as session:
        lease = timedelta(minutes=30)
        for word in ("scam", "scam", "needs_info", "scam"):
            item = claim_next(session, "bob", now, lease)
            if item is not None:
                decide_this(session, item, word, "bob", now, "same handle as a confirmed lure")
        claim_next(session, "bob", now, lease)
    return config_path


def shoot(url: str, folder: Path) -> None:
    driver = chromium(folder / "profile")  # the tests' headless Chromium, Debian's driver
    driver.set_window_size(1400, 950)
    try:
        driver.get(url + "/login")
        driver.find_element(By.ID, "name").send_keys("ann")
        driver.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
        time.sleep(1)
        OUT.mkdir(parents=True, exist_ok=True)
        driver.get(url + "/queue")
        driver.save_screenshot(str(OUT / "queue.png"))
        driver.find_element(By.TAG_NAME, "body").send_keys("c")
        time.sleep(1.5)
        driver.save_screenshot(str(OUT / "item.png"))
        campaign = driver.find_elements(By.CSS_SELECTOR, "a[href^='/campaigns/']")
        if campaign:
            driver.get(campaign[0].get_attribute("href"))
            driver.save_screenshot(str(OUT / "campaign.png"))
        phone = driver.find_elements(By.CSS_SELECTOR, "a[href*='kind=phone'] code")
        driver.get(url + "/search?q=" + (phone[0].text if phone else "010"))
        driver.save_screenshot(str(OUT / "search.png"))
        for page in ("trends", "claims"):
            driver.get(f"{url}/{page}")
            driver.save_screenshot(str(OUT / f"{page}.png"))
    finally:
        driver.quit()


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="lurewatch-screens-"))
    try:
        config = load_config(build(folder))
        with database(config) as factory:
            server = uvicorn.Server(
                uvicorn.Config(create_app(config, factory, "s" * 48), host="127.0.0.1", port=8765, log_level="warning")
            )
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            while not server.started:
                time.sleep(0.1)
            shoot("http://127.0.0.1:8765", folder)
            server.should_exit = True
            thread.join()
        print(f"screenshots in {OUT}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
