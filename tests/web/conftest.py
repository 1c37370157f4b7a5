"""The desk in-process: an app on a temporary database, accounts, and logged-in clients."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
from starlette.testclient import TestClient

from config import load_config
from store.accounts import add_user
from store.db import open_database
from web.app import create_app

PASSWORD = "correct horse battery staple"
SECRET = "s" * 48
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


class Clock:
    """A settable clock for the app (lease expiry, session age, rate-limit windows)."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def csrf_of(html: str) -> str:
    """The CSRF token in a rendered page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class Desk:
    """An app on one database, and helpers to make accounts and log clients in."""

    def __init__(self, app, factory, clock: Clock) -> None:
        self.app, self.factory, self.clock = app, factory, clock

    def user(self, name: str, role: str = "analyst", password: str = PASSWORD) -> str:
        with self.factory.begin() as session:
            add_user(session, name, password, self.clock(), role)
        return name

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def login(self, name: str, password: str = PASSWORD) -> TestClient:
        client = self.client()
        response = self.post_login(client, name, password)
        assert response.status_code == 303, response.text
        return client

    @staticmethod
    def post_login(client: TestClient, name: str, password: str, next_url: str = "/"):
        token = csrf_of(client.get("/login").text)
        return client.post("/login", data={"csrf_token": token, "name": name, "password": password, "next": next_url})

    @staticmethod
    def token(client: TestClient, path: str = "/search") -> str:
        return csrf_of(client.get(path).text)


def make_desk(url: str, config_path: Path, models_dir: Path | None = None) -> Iterator[Desk]:
    config = load_config(config_path)
    engine, factory = open_database(url)
    clock = Clock()
    try:
        yield Desk(create_app(config, factory, SECRET, clock=clock), factory, clock)
    finally:
        engine.dispose()


@pytest.fixture
def desk_config(write_config, tiny_models_dir) -> Path:
    return write_config(
        {
            "database": {"url": "sqlite:///data/desk.db"},
            "models": {"dir": str(tiny_models_dir)},
            "export": {"dir": "exports"},
            "logging": {"dir": "logs"},
        }
    )


@pytest.fixture
def desk(tmp_path, desk_config) -> Iterator[Desk]:
    """The desk on a SQLite file."""
    yield from make_desk(f"sqlite:///{tmp_path / 'desk.db'}", desk_config)


@pytest.fixture
def any_desk(db_url, desk_config) -> Iterator[Desk]:
    """The desk on SQLite and on PostgreSQL."""
    yield from make_desk(db_url, desk_config)


@pytest.fixture
def live(desk):
    """The desk served by uvicorn on a loopback port (its request log in ``live.log``)."""
    from tests.web.live import LiveServer, require_chromium

    require_chromium()
    with LiveServer(desk.app) as server:
        server.desk = desk
        yield server


@pytest.fixture
def browsers(tmp_path):
    """Headless Chromium instances, as many as a test asks for; all quit after it."""
    from tests.web.live import chromium, fresh_profile, require_chromium

    require_chromium()
    drivers = []

    def start(name: str = "analyst"):
        driver = chromium(fresh_profile(tmp_path, f"{name}-{len(drivers)}"))
        driver.set_page_load_timeout(30)
        drivers.append(driver)
        return driver

    yield start
    for driver in drivers:
        driver.quit()
