"""The run lock: exclusive across processes, released by the OS when the holder dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from store.db import create_db_engine, open_database
from store.lock import LockHeldError, run_lock

PROJECT_DIR = Path(__file__).resolve().parents[2]

HOLDER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {project!r})
    from store.db import create_db_engine
    from store.lock import run_lock
    engine = create_db_engine({url!r})
    with run_lock(engine):
        print("locked", flush=True)
        time.sleep(60)
""")


def _hold_in_child(url: str) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER.format(project=str(PROJECT_DIR), url=url)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "locked"
    return child


def test_lock_is_exclusive_and_released_when_the_holder_is_killed(db_url):
    open_database(db_url)[0].dispose()
    engine = create_db_engine(db_url)
    child = _hold_in_child(db_url)
    try:
        started = time.monotonic()
        with pytest.raises(LockHeldError, match="another run holds the run lock"):
            with run_lock(engine):
                pass
        assert time.monotonic() - started < 5, "a second run must fail at once, not wait"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    # kill -9 leaves no chance to clean up: the OS (or the server) must release it.
    deadline = time.monotonic() + 10
    while True:
        try:
            with run_lock(engine):
                break
        except LockHeldError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    engine.dispose()


def test_lock_is_reentrant_after_release(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    for _ in range(3):
        with run_lock(engine):
            pass
    assert (tmp_path / "x.db.lock").exists()
    engine.dispose()
