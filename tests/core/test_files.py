"""Atomic writes: whole or nothing, and cleanup of what killed writers left."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.files import atomic_write, remove_stale_temp_files


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    folder = tmp_path / "out"
    target = folder / "out.csv"
    atomic_write(target, lambda fh: fh.write("first"))
    with pytest.raises(RuntimeError):

        def fail(fh):
            fh.write("half")
            raise RuntimeError("disk full")

        atomic_write(target, fail)
    assert target.read_text() == "first"
    assert [p.name for p in folder.iterdir()] == ["out.csv"]


def test_stale_temp_files_of_dead_writers_are_removed_live_ones_kept(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".flagged.xlsx.pid{dead_pid}.abc123.tmp"
    live = tmp_path / f".flagged.csv.pid{os.getpid()}.def456.tmp"
    other = tmp_path / ".unrelated.tmp"
    for p in (stale, live, other):
        p.write_text("x")
    assert remove_stale_temp_files(tmp_path) == 1
    assert not stale.exists() and live.exists() and other.exists()
