"""Atomic file writes, and cleanup after killed writers.

A file appears complete or not at all: it is written to a temp file in the same
folder, flushed to disk and renamed over the target. The temp name carries the
writer's pid, so a later writer can remove what a killed one left behind without
touching the temp file of a writer that is still alive.

Files are written as users expect (issue 23, probe 4): a symlink is written through
(its target is replaced, atomically, and the link stays); a folder, a device, a FIFO or
a socket is never replaced by a regular file but refused with one line
(``OutputPathError``); a missing folder is created only when the caller says so
(``--mkdir``); a name too long for the file system is refused before anything is written.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)
_TEMP = re.compile(r"^\..+\.pid(\d+)\.[^.]+\.tmp$")
# What the temp name adds to the target's: "." + ".pid<pid>." + 8 random characters + ".tmp".
_TEMP_EXTRA = 32
STDOUT = "-"  # an output path that means standard output
# Never an output: device nodes, and /proc's links to open files (/dev/stdout is one).
_SYSTEM_FOLDERS = ("/dev/", "/proc/")


class OutputPathError(ValueError):
    """An output path that cannot be written as a regular file; the message is one line."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def output_target(path: Path, *, mkdir: bool = False) -> Path:
    """The regular file that writing ``path`` replaces: ``path``, or the final target of the
    symlink ``path`` is. OutputPathError when that is a folder, device, FIFO or socket, when its
    name is too long, or when its folder does not exist (created instead with ``mkdir``)."""
    path = Path(path)
    if len(os.fsencode(path.name)) + _TEMP_EXTRA > 255:  # NAME_MAX of every common file system
        raise OutputPathError(
            f"{path.name[:40]}…: file name too long ({len(os.fsencode(path.name))} bytes; at most 220)"
        )
    for where in (os.path.abspath(path), os.path.realpath(path)):
        if where.startswith(_SYSTEM_FOLDERS):  # /dev/stdout leads to whatever fd 1 is: a tty, a pipe, a file
            raise OutputPathError(f"{path} is a device, not a file; give --out a file name (or - for standard output)")
    try:
        target = Path(os.path.realpath(path)) if path.is_symlink() else path
    except OSError as exc:
        raise OutputPathError(f"{path}: cannot write: {exc.strerror or exc}") from None
    shown = f"{path} (a link to {target})" if target != path else str(path)
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:  # a loop of links, a name too long, no permission
        raise OutputPathError(f"{shown}: cannot write: {exc.strerror or exc}") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise OutputPathError(f"{shown} is {_kind(mode)}, not a file; give --out a file name")
    if len(os.fsencode(target.name)) + _TEMP_EXTRA > 255:
        raise OutputPathError(f"{shown}: file name too long ({len(os.fsencode(target.name))} bytes; at most 220)")
    parent = target.parent
    if not parent.is_dir():
        if parent.exists():
            raise OutputPathError(f"{parent} is not a folder")
        if not mkdir:
            raise OutputPathError(f"folder {parent} does not exist; create it, or add --mkdir")
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputPathError(f"cannot create folder {parent}: {exc.strerror or exc}") from None
    return target


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
    """Write ``path`` through ``write(fh)`` so it is replaced whole or not at all.

    A symlink is written through (its target replaced); a folder, device, FIFO or socket at
    ``path`` is refused (OutputPathError). A missing folder is created: callers that write
    where a user said check ``output_target`` first.
    """
    path = output_target(path, mkdir=True)
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
