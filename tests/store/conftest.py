"""A migrated database of each backend, as a session factory."""

from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from store.db import open_database


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine, session_factory = open_database(db_url)
    try:
        yield session_factory
    finally:
        engine.dispose()
