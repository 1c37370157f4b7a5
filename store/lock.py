"""The nightly run's exclusive lock, released by the operating system if a run dies.

PostgreSQL: a session-level advisory lock held on a dedicated connection (the
server drops it when the connection goes). SQLite: an flock on a file beside the
database file (the kernel drops it when the process goes). Either way a second
overlapping run fails at once instead of waiting.
"""

from __future__ import annotations

import fcntl
import os
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, text

from store.errors import LockHeldError, StoreError

# Arbitrary but fixed: every lurewatch process on a database agrees on it.
ADVISORY_KEY = 0x6C757265  # "lure"


def lock_path(engine: Engine) -> Path:
    """Where the file lock for a SQLite database lives (beside the database file)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise StoreError("the run lock needs a SQLite file or PostgreSQL, not an in-memory database")
    return Path(database).with_name(Path(database).name + ".lock")


@contextmanager
def run_lock(engine: Engine) -> Iterator[None]:
    """Hold the run lock for the block; LockHeldError at once if it is taken."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine):
            yield
    else:
        with _file_lock(lock_path(engine)):
            yield


@contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    conn = engine.connect()
    try:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar()
        conn.commit()
        if not got:
            holder = conn.execute(
                text(
                    "SELECT a.pid, a.client_addr, a.backend_start FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.objid = :key AND l.granted"
                ),
                {"key": ADVISORY_KEY},
            ).first()
            who = f" (server pid {holder.pid}, since {holder.backend_start:%Y-%m-%d %H:%M})" if holder else ""
            raise LockHeldError(f"another run holds the run lock on this database{who}")
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            conn.commit()
    finally:
        conn.close()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            raise LockHeldError(f"another run holds the run lock {path}{f' ({holder})' if holder else ''}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
