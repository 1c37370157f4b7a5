"""Child processes that die with their parent, kill -9 included.

A crawl child or a scoring worker that outlives the command that started it works on
outside the run lock: the next run takes the lock and finds it still writing (issue 23,
probe 6: after kill -9 of `score --rescore --workers 2`, both workers and the resource
tracker were reparented to PID 1, scored the rest, then idled for 19 minutes).
"""

from __future__ import annotations

import ctypes
import os
import signal

# prctl(2) option: the signal the kernel sends this process when its parent dies.
PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """End this process the moment ``parent_pid`` (its parent) ends, kill -9 included.

    On Linux the kernel sends SIGKILL (PR_SET_PDEATHSIG): no graceful stop, so nothing is
    fetched or written after the parent is gone; the lock the parent held is free by then,
    and the next run must not find this process still writing. Elsewhere callers watch
    the parent's pid themselves.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the caller's watcher alone
        pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
