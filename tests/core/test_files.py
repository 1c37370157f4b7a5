"""Atomic writes: whole or nothing, and cleanup of what killed writers left."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.files import OutputPathError, atomic_write, output_target, remove_stale_temp_files


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


# ---------------------------------------------------- issue 23, probe 4: files written as users expect


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    atomic_write(link, lambda fh: fh.write("new"))
    assert link.is_symlink() and target.read_text() == "new"
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "made.csv")
    atomic_write(dangling, lambda fh: fh.write("made"))
    assert dangling.is_symlink() and (tmp_path / "made.csv").read_text() == "made"


@pytest.mark.parametrize("kind", ["fifo", "device", "folder", "link to a device"])
def test_devices_fifos_and_folders_are_refused_never_replaced(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
    elif kind == "folder":
        path = tmp_path / "dir"
        path.mkdir()
    elif kind == "device":
        path = Path("/dev/null")
    else:
        path = tmp_path / "out.csv"
        path.symlink_to("/dev/full")
    with pytest.raises(OutputPathError, match="is (a FIFO|a device|a folder)"):
        atomic_write(path, lambda fh: fh.write("x"))
    assert not path.is_file()
    assert Path("/dev/null").is_char_device() and Path("/dev/full").is_char_device()


def test_a_missing_folder_is_an_error_unless_asked_for(tmp_path):
    with pytest.raises(OutputPathError, match="does not exist; create it, or add --mkdir"):
        output_target(tmp_path / "no" / "such" / "out.csv")
    assert output_target(tmp_path / "made" / "out.csv", mkdir=True).parent.is_dir()


def test_a_name_too_long_is_one_line(tmp_path):
    with pytest.raises(OutputPathError, match="file name too long"):
        output_target(tmp_path / ("x" * 300 + ".csv"))
