"""Small things every stage needs: the clock, and the database for a config."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Config
from store.db import open_database


@dataclass
class StageResult:
    """What one stage did: its counts, and whether some of its parts failed."""

    name: str
    counts: dict[str, Any] = field(default_factory=dict)
    partial: bool = False


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the only clock stages read)."""
    return datetime.now(timezone.utc)


@contextmanager
def database(config: Config, *, create: bool = True) -> Iterator[sessionmaker[Session]]:
    """A session factory on the configured database, schema upgraded, disposed after.

    Commands that only read or change existing rows pass ``create=False``: a SQLite file
    that does not exist is then an error instead of a new empty database.
    """
    engine, factory = open_database(config.database.url, create=create)
    try:
        yield factory
    finally:
        engine.dispose()


def engine_of(factory: sessionmaker[Session]) -> Engine:
    """The engine a session factory is bound to."""
    return factory.kw["bind"]


def missing_database(config: Config) -> bool:
    """True when the database is a SQLite file that does not exist (yet)."""
    url = config.database.url
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        return False
    return not Path(url.removeprefix("sqlite:///").split("?")[0]).exists()
