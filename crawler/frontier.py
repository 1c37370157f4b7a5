"""The shared Redis frontier of a distributed crawl (DESIGN.md "Scale beyond one machine").

One crawl of one source is one *frontier*: a run-scoped key base

    <prefix>:<source>:<token>          token = <UTC yyyymmddThhmmss>-<8 hex>

under which live the scrapy-redis request queue (``:requests``) and duplicate
filter (``:dupefilter``), the known ad ids the coordinator read from the store
(``:known``), the registered crawler processes with a heartbeat (``:workers``)
and the stats each process left when it finished (``:results``). The pointer
``<prefix>:<source>:current`` names the token of the crawl workers should join.

A new crawl has a new token, so tomorrow's crawl (or a re-run after a crash) is
never filtered by today's fingerprints. Every key carries a TTL, refreshed while
processes crawl, so a crawl whose coordinator died vanishes by itself; a crawl
that ends normally deletes its keys (scrapy-redis must not: SCHEDULER_PERSIST is
on, or the first process to finish would wipe the queue the others still use).
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from core.secrets import mask_text, mask_url
from crawler.errors import FrontierError

# Keys of a crawl outlive a dead coordinator by at most this long.
KEY_TTL_SECONDS = 6 * 3600
# A process whose heartbeat is older than this is taken for dead.
STALE_SECONDS = 60.0
# A process closes once the queue was empty and nobody busy for this long.
IDLE_CLOSE_SECONDS = 3.0
PARTS = ("requests", "dupefilter", "known", "workers", "results")


def redis_client(url: str) -> Any:
    """A Redis client for ``url`` that answers in str; FrontierError when unreachable."""
    import redis

    try:
        client = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5, socket_timeout=30)
    except ValueError as exc:  # a port or database that is not a number
        raise FrontierError(f"Redis URL {mask_url(url)} is not valid: {exc}") from None
    try:
        client.ping()
    except redis.RedisError as exc:
        raise FrontierError(f"Redis at {mask_url(url)} is unreachable: {mask_text(str(exc))}") from None
    return client


def worker_id() -> str:
    """This process's name among a crawl's workers: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def current_key(prefix: str, source: str) -> str:
    return f"{prefix}:{source}:current"


@dataclass(frozen=True)
class Frontier:
    """The Redis keys of one shared crawl of one source."""

    base: str

    def key(self, part: str) -> str:
        return f"{self.base}:{part}"

    def keys(self) -> list[str]:
        return [self.key(p) for p in PARTS]

    # ----------------------------------------------------------- coordinator

    @classmethod
    def open(cls, client: Any, prefix: str, source: str, known_ids: Iterable[str], coordinator: str) -> "Frontier":
        """Start a new shared crawl of ``source`` and point ``current`` at it."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        frontier = cls(f"{prefix}:{source}:{stamp}-{uuid.uuid4().hex[:8]}")
        ids = list(known_ids)
        with client.pipeline() as pipe:
            for start in range(0, len(ids), 10_000):
                pipe.sadd(frontier.key("known"), *ids[start : start + 10_000])
            # The coordinator counts as busy until its crawler takes over its heartbeat,
            # so an early worker does not give up while the coordinator still starts.
            pipe.hset(frontier.key("workers"), coordinator, _beat(busy=True))
            pipe.set(current_key(prefix, source), frontier.base, ex=KEY_TTL_SECONDS)
            for key in frontier.keys():
                pipe.expire(key, KEY_TTL_SECONDS)
            pipe.execute()
        return frontier

    def wait_for_workers(self, client: Any, timeout: float | None = None) -> list[str]:
        """Wait until no live process is registered; the ids still registered (dead or late).

        Live processes close once the crawl is drained (crawler.shared), and each
        stops at its own page limit, so by default this waits as long as one lives.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            workers = read_workers(client, self)
            alive = [w for w, beat in workers.items() if not _stale(beat)]
            if not alive or (deadline is not None and time.monotonic() > deadline):
                return sorted(workers)
            time.sleep(0.5)

    def results(self, client: Any) -> dict[str, dict[str, Any]]:
        """The stats every finished process of this crawl left behind."""
        return {w: json.loads(v) for w, v in client.hgetall(self.key("results")).items()}

    def close(self, client: Any, prefix: str, source: str) -> None:
        """Delete this crawl's keys, and the ``current`` pointer if it is still ours."""
        pointer = current_key(prefix, source)
        if client.get(pointer) == self.base:
            client.delete(pointer)
        client.delete(*self.keys())

    # ---------------------------------------------------------------- worker

    @classmethod
    def current(cls, client: Any, prefix: str, source: str) -> "Frontier | None":
        base = client.get(current_key(prefix, source))
        return cls(base) if base else None

    @classmethod
    def join(cls, client: Any, prefix: str, source: str, wait: float) -> "Frontier":
        """The crawl of ``source`` under way, waiting up to ``wait`` seconds for one to start."""
        deadline = time.monotonic() + wait
        while True:
            frontier = cls.current(client, prefix, source)
            if frontier is not None:
                return frontier
            if time.monotonic() >= deadline:
                raise FrontierError(
                    f"no shared crawl of source {source!r} to join (waited {wait:g}s for {current_key(prefix, source)})"
                )
            time.sleep(0.5)

    def known_ids(self, client: Any) -> set[str]:
        return set(client.sscan_iter(self.key("known"), count=5_000))


def _beat(busy: bool) -> str:
    return json.dumps({"busy": busy, "at": time.time()})


def _stale(beat: dict[str, Any]) -> bool:
    return time.time() - float(beat.get("at") or 0) > STALE_SECONDS


def read_workers(client: Any, frontier: Frontier) -> dict[str, dict[str, Any]]:
    """Every registered process of the crawl with its last heartbeat."""
    return {w: json.loads(v) for w, v in client.hgetall(frontier.key("workers")).items()}


def heartbeat(client: Any, frontier: Frontier, worker: str, busy: bool) -> None:
    """Record that ``worker`` is alive (and busy or idle); keep the crawl's keys alive."""
    with client.pipeline() as pipe:
        pipe.hset(frontier.key("workers"), worker, _beat(busy))
        for key in frontier.keys():
            pipe.expire(key, KEY_TTL_SECONDS)
        pipe.execute()


def others_busy(client: Any, frontier: Frontier, worker: str) -> bool:
    """True while another live process of the crawl is still working (and may add requests)."""
    return any(
        beat.get("busy") and not _stale(beat) for w, beat in read_workers(client, frontier).items() if w != worker
    )


def leave(client: Any, frontier: Frontier, worker: str, stats: dict[str, Any]) -> None:
    """Unregister ``worker``, leaving its stats for the coordinator."""
    with client.pipeline() as pipe:
        pipe.hset(frontier.key("results"), worker, json.dumps(stats, default=str))
        pipe.hdel(frontier.key("workers"), worker)
        pipe.expire(frontier.key("results"), KEY_TTL_SECONDS)
        pipe.execute()
