"""Speed and memory of the review desk with N ads in the queue (default 100,000).

Fills a fresh database (SQLite, or PostgreSQL with --postgres ADMIN_URL, where a
throwaway database is created and dropped), starts `pipeline.py serve` on a
loopback port as a separate process, logs in, and times R requests (default 200)
of each page one after the other, as one analyst clicking: the queue's first page
and a later one, an item's page (a different pending item each time), a phone
search (a number of the data written another way each time), a campaign and the
trends page (12 weeks, the default, and 52; counted at most once a minute, so the
counting and drawing afresh are also timed in-process). Prints median, p95 and max
per page, the server's memory, and the load average before and after (the machine
is shared).

Usage:
  PYTHONPATH=. .venv/bin/python benchmarks/web.py [--ads N] [--requests R] [--postgres ADMIN_URL]
(needs the test tools: make install-test, for httpx2)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import httpx2
import yaml
from sqlalchemy.engine import make_url

# This script's name is the desk's package's: keep its folder off the import path, so
# `web` is the package (run as benchmarks/web.py, Python puts the folder first).
HERE, PROJECT = Path(__file__).resolve().parent, Path(__file__).resolve().parents[1]
sys.path[:] = [str(PROJECT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

from store.db import open_database  # noqa: E402
from tests.pgtemp import temporary_database  # noqa: E402


def _generator() -> Callable[..., dict]:
    """benchmarks/webdata.py's generate (a sibling file, not a package)."""
    spec = importlib.util.spec_from_file_location("webdata", HERE / "webdata.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


USER, PASSWORD = "bench", "bench password 123"


@contextmanager
def database(postgres: str | None, folder: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file, or a throwaway PostgreSQL database."""
    if not postgres:
        yield f"sqlite:///{folder / 'desk.db'}"
        return
    with temporary_database(postgres, "lurewatch_bench") as url:
        yield url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory(pid: int) -> str:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M))
    return f"RSS {int(fields['VmRSS']) // 1024} MB, peak {int(fields['VmHWM']) // 1024} MB"


def timed(client: httpx2.Client, urls: list[str]) -> list[float]:
    times = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
    return times


def line(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
    return (
        f"  {name:<28} n={len(times):<4} median {statistics.median(times):7.1f} ms   "
        f"p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ads", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="measure on PostgreSQL (a throwaway database)")
    args = parser.parse_args()
    print(
        f"# benchmarks/web.py --ads {args.ads} --requests {args.requests}"
        f"{' --postgres' if args.postgres else ''}; load average before: {os.getloadavg()}"
    )
    with tempfile.TemporaryDirectory() as tmp, database(args.postgres, Path(tmp)) as url:
        engine, factory = open_database(url)
        started = time.perf_counter()
        facts = _generator()(factory, args.ads, datetime.now(timezone.utc), user=(USER, PASSWORD))
        engine.dispose()
        print(
            f"generated {args.ads:,} queued ads ({facts['campaigns']:,} campaigns) on "
            f"{make_url(url).get_backend_name()} in {time.perf_counter() - started:.0f} s"
        )
        config = Path(tmp) / "config.yaml"
        config.write_text(yaml.safe_dump({"database": {"url": url}, "logging": {"dir": str(Path(tmp) / "logs")}}))
        port = free_port()
        env = {**os.environ, "LUREWATCH_CONFIG": str(config), "PYTHONPATH": str(PROJECT)}
        server = subprocess.Popen(
            [sys.executable, str(PROJECT / "pipeline.py"), "-q", "serve", "--port", str(port)], env=env, cwd=tmp
        )
        try:
            run(f"http://127.0.0.1:{port}", server.pid, facts, args.requests)
        finally:
            server.terminate()
            server.wait(timeout=30)
        cold_trends(url)
    print(f"# load average after: {os.getloadavg()}")


def run(base: str, pid: int, facts: dict, n: int) -> None:
    with httpx2.Client(base_url=base, follow_redirects=False, timeout=60) as client:
        deadline = time.monotonic() + 120
        while True:
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the desk did not start")
            time.sleep(0.3)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"csrf_token": token, "name": USER, "password": PASSWORD})
        print(f"server after start and login: {memory(pid)}")
        rnd = random.Random(5)
        second = re.search(r'rel="next" href="/queue\?([^"]+)"', client.get("/queue").text).group(1)
        second = "/queue?" + second.replace("&amp;", "&")
        items = rnd.sample(facts["ad_ids"], n)  # item ids equal ad ids in the generated data

        def other_format(phone: str) -> str:  # "+855 11234 5678" -> "00855-11234-5678"
            return "00" + phone.lstrip("+").replace(" ", "-")

        pages: list[tuple[str, Callable[[], list[str]]]] = [
            ("queue, first page", lambda: ["/queue"] * n),
            ("queue, second page", lambda: [second] * n),
            ("item (ad page)", lambda: [f"/items/{i}" for i in items]),
            ("phone search", lambda: [f"/search?q={other_format(rnd.choice(facts['phones']))}" for _ in range(n)]),
            ("campaign", lambda: [f"/campaigns/{rnd.randint(1, facts['campaigns'])}" for _ in range(n)]),
            ("trends (12 weeks)", lambda: ["/trends"] * n),
            ("trends (52 weeks)", lambda: ["/trends?weeks=52"] * max(n // 4, 10)),
        ]
        for name, urls in pages:
            print(line(name, timed(client, urls())), flush=True)
        print(f"server after the requests: {memory(pid)}")


def cold_trends(url: str, times: int = 5) -> None:
    """The trends page's work when its minute of figures is up: counting and drawing afresh."""
    from web.charts import bar_chart, weekly_chart
    from web.views.trends import trends_figures

    engine, factory = open_database(url)
    with factory() as session:
        for weeks in (12, 52):
            spent = []
            for _ in range(times):
                weekly_chart.cache_clear()
                bar_chart.cache_clear()
                started = time.perf_counter()
                trends_figures(session, datetime.now(timezone.utc), weeks)
                spent.append((time.perf_counter() - started) * 1000)
            print(line(f"trends afresh ({weeks} weeks)", spent) + "  (in-process: the count and the charts)")
    engine.dispose()


if __name__ == "__main__":
    main()
