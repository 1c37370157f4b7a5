"""A claimer for the concurrency tests: its own engine, claims until the queue is empty."""

from __future__ import annotations

import time

from sqlalchemy.orm import sessionmaker

from store.db import create_db_engine
from store.queue import claim
from tests.store.queue_fixtures import later


def claim_all(url: str, actor: str, start_at: float, batch: int = 3, pause: float = 0.01) -> list[int]:
    """From ``start_at`` (wall clock, so spawned processes start together), claim
    batches in separate transactions until nothing is left; every id claimed."""
    engine = create_db_engine(url)
    factory = sessionmaker(engine)
    with engine.connect():  # connect before the start line, not after
        pass
    time.sleep(max(0.0, start_at - time.time()))
    got: list[int] = []
    try:
        while True:
            with factory.begin() as s:
                ids = claim(s, actor, batch, later(1))
            if not ids:
                return got
            got.extend(ids)
            # An analyst works between claims; without a pause SQLite's busy
            # back-off lets one thread take the whole queue before the others wake.
            time.sleep(pause)
    finally:
        engine.dispose()
