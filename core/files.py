"""Atomic file writes, and cleanup after killed writers.

A file appears complete or not at all: it is written to a temp file in the same
folder, flushed to disk and renamed over the target. The temp name carries the
writer's pid, so a later writer can remove what a killed one left behind without
touching the temp file of a writer that is still alive.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)
_TEMP = re.compile(r"^\..+\.pid(\d+)\.[^.]+\.tmp$")


def pid_alive(pid: int) -> bool:
    """True while a process with this id exists on this machine."""
    if pid <= 0:  # 0 and negative ids name process groups, never one process
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_temp_files(folder: Path) -> int:
    """Delete temp files of dead writers in ``folder``; returns how many."""
    removed = 0
    for path in folder.glob(".*.tmp"):
        match = _TEMP.match(path.name)
        if match and not pid_alive(int(match.group(1))):
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.info("removed %d half-written file(s) left in %s by killed writers", removed, folder)
    return removed


def atomic_write(
    path: Path,
    write: Callable[[IO[Any]], None],
    *,
    binary: bool = False,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> None:
    """Write ``path`` through ``write(fh)`` so it is replaced whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.pid{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        mode = {"mode": "wb"} if binary else {"mode": "w", "encoding": encoding, "newline": newline}
        with os.fdopen(fd, **mode) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; others read exports, models and CURRENT
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """``atomic_write`` of a whole UTF-8 text."""
    atomic_write(path, lambda fh: fh.write(text))
