"""Small things every stage needs: the clock, and the database for a config."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Config
from store.db import open_database


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the only clock stages read)."""
    return datetime.now(timezone.utc)


@contextmanager
def database(config: Config) -> Iterator[sessionmaker[Session]]:
    """A session factory on the configured database, schema upgraded, disposed after."""
    engine, factory = open_database(config.database.url)
    try:
        yield factory
    finally:
        engine.dispose()


def engine_of(factory: sessionmaker[Session]) -> Engine:
    """The engine a session factory is bound to."""
    return factory.kw["bind"]
