"""Shared fixtures: a temporary config, SQLite and PostgreSQL databases, service guards."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import Config, load_config

PROJECT_DIR = Path(__file__).resolve().parent.parent


def require_service(env_var: str, what: str) -> str:
    """The service URL from the environment; skip without it, or fail when CI requires it."""
    url = os.environ.get(env_var)
    if url:
        return url
    message = f"{what} tests need {env_var}"
    if os.environ.get("LUREWATCH_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} (LUREWATCH_REQUIRE_SERVICES=1 forbids skipping)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's config or writes into the project: cwd is a temp dir."""
    for var in ("LUREWATCH_CONFIG", "LUREWATCH_DATABASE_URL", "LUREWATCH_ANALYST",
                "LUREWATCH_REDIS_URL"):
        monkeypatch.delenv(var, raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a config.yaml (dict or text) in a temp folder and return its path."""
    def _write(content: dict | str, name: str = "config.yaml") -> Path:
        path = tmp_path / "conf" / name
        path.parent.mkdir(exist_ok=True)
        body = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
        path.write_text(body, encoding="utf-8")
        return path
    return _write


@pytest.fixture
def config(write_config) -> Config:
    """A minimal config on a temp SQLite file, logs and exports in temp folders."""
    path = write_config({
        "database": {"url": "sqlite:///data/test.db"},
        "export": {"dir": "exports"},
        "logging": {"dir": "logs"},
    })
    return load_config(path)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    return require_service("LUREWATCH_TEST_POSTGRES_URL", "PostgreSQL")


@pytest.fixture(scope="session")
def redis_test_url() -> str:
    """The test Redis (LUREWATCH_TEST_REDIS_URL); use a unique key prefix and delete it after."""
    return require_service("LUREWATCH_TEST_REDIS_URL", "Redis")


@contextmanager
def _temporary_database(admin_url: str, prefix: str) -> Iterator[str]:
    """Create a uniquely named PostgreSQL database, yield its URL, drop it after."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    with _temporary_database(postgres_admin_url, "lurewatch_test") as url:
        yield url


@pytest.fixture
def fresh_postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh empty PostgreSQL database for one test (migration tests need empty ones)."""
    with _temporary_database(postgres_admin_url, "lurewatch_t") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each backend: a SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("fresh_postgres_url")
