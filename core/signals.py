"""SIGTERM as an interruption: a stopped job closes its records instead of vanishing.

systemd, Kubernetes and `kill` stop a job with SIGTERM. Python's default is to die on
the spot: the run row stayed ``running`` and no summary was written (issue 23, probe 9).
Under ``sigterm_interrupts`` SIGTERM raises ``Terminated`` in the main thread instead,
a KeyboardInterrupt, so every stage that already closes its records on Ctrl-C (run
``interrupted``, crawl child terminated, temp files removed) does so here too, and
``pipeline.main`` exits 143 (128 + SIGTERM), as a shell reports a process it ended.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated("terminated (SIGTERM)")


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Within the block, SIGTERM raises Terminated in the main thread (elsewhere: no change)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
