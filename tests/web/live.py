"""A real desk for a real browser: uvicorn on a loopback port, its request log, and Chromium.

Chromium and its driver are Debian's (/usr/bin/chromium, /usr/bin/chromedriver):
Selenium's own driver download cannot work here, and is never asked for.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)


def require_chromium() -> None:
    """Skip (or fail under LUREWATCH_REQUIRE_CHROMIUM=1) without Debian's chromium and chromedriver."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    message = (
        f"browser tests need Debian's chromium and chromium-driver ({', '.join(missing)} missing; "
        f"apt-get install chromium chromium-driver)"
    )
    if os.environ.get("LUREWATCH_REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"{message}; LUREWATCH_REQUIRE_CHROMIUM=1 forbids skipping")
    pytest.skip(message)


class RequestLog(logging.Handler):
    """uvicorn's access log, kept: (method, path with query, status) of every request served."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.requests: list[tuple[str, str, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        _client, method, path, _version, status = record.args  # type: ignore[misc]
        self.requests.append((str(method), str(path), int(status)))

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.requests]


class LiveServer:
    """uvicorn serving ``app`` in a thread on a free loopback port."""

    def __init__(self, app) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = RequestLog()
        self.server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=True, lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> "LiveServer":
        access = logging.getLogger("uvicorn.access")
        access.setLevel(logging.INFO)
        access.addHandler(self.log)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the desk did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        logging.getLogger("uvicorn.access").removeHandler(self.log)
        self.sock.close()


def chromium(profile: Path):
    """A headless Chromium with a fresh profile, driven through Debian's chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never try to download anything
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


def screenshot(driver, name: str) -> Path:
    """Save what the browser shows to the ignored test-artifacts folder."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def fresh_profile(tmp_path: Path, name: str) -> Path:
    profile = tmp_path / f"chromium-{name}"
    shutil.rmtree(profile, ignore_errors=True)
    profile.mkdir(parents=True)
    return profile
