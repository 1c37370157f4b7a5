"""kill -9 of `run` or `crawl`: the crawl child dies with its parent and writes nothing after.

The parent alone is killed (not its process group, as a scheduler's timeout or an
operator's kill -9 would do). Within 5 s no crawl child may be left, the site may
get no request and the database no ad after that; the next run closes the killed
run's rows as interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, func, select

from store.schema import Ad, Crawl, Run
from tests.crawler.loopback import LoopbackServer, Page, html, jobposting_page

pytestmark = pytest.mark.slow
PROJECT = Path(__file__).resolve().parents[2]
PER_LISTING, LISTINGS = 50, 60


def _slow_site() -> LoopbackServer:
    """3,000 ads, each page taking 50 ms: a crawl that lasts long enough to be killed mid-way."""
    server = LoopbackServer()

    def listing(query: dict[str, list[str]]) -> Page:
        page = int(query.get("p", ["1"])[0])
        if page > LISTINGS or server.pages.get("/empty"):
            return html("no ads")
        first = (page - 1) * PER_LISTING
        links = "".join(f'<a href="/ad.html?id={i}">{i}</a>' for i in range(first, first + PER_LISTING))
        return html(links + f'<a href="/list.html?p={page + 1}">next</a>')

    def ad(query: dict[str, list[str]]) -> Page:
        i = int(query["id"][0])
        page = jobposting_page(i, f"Warehouse job {i}", f"<p>Warehouse assistant {i}, full time, contract.</p>")
        page.delay = 0.05
        return page

    server.routes["/list.html"] = listing
    server.routes["/ad.html"] = ad
    return server.start()


def _children(pid: int) -> list[int]:
    """Live crawl children of ``pid`` (multiprocessing's spawned interpreters)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped has stopped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _count(db: Path, query) -> int:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)
    except Exception:  # the schema is not there yet
        return 0
    finally:
        engine.dispose()


def _slow_config(tmp_path: Path, site, models_dir: Path, **crawl) -> Path:
    """A config that crawls the slow site as one jsonld source, fast settings, and ``crawl``."""
    config = tmp_path / "config.yaml"
    settings = {"obey_robots": False, "autothrottle": False, "download_delay": 0, "allow_private_addresses": True}
    config.write_text(
        yaml.safe_dump(
            {
                "database": {"url": "sqlite:///lw.db"},
                "models": {"dir": str(models_dir)},
                "export": {"dir": "exports", "formats": ["csv"]},
                "logging": {"dir": "logs"},
                "crawl": {**settings, **crawl},
                "sources": [{"name": "slow", "kind": "jsonld", "start_urls": [f"{site.url}/list.html"]}],
            }
        )
    )
    return config


@pytest.mark.parametrize("command", ["crawl", "run"])
def test_kill_9_of_the_parent_leaves_no_crawl_running(command, tmp_path, tiny_models_dir):
    site = _slow_site()
    try:
        config = _slow_config(
            tmp_path, site, tiny_models_dir, concurrent_requests_per_domain=4, max_pages_per_source=10_000
        )
        db = tmp_path / "lw.db"
        parent = subprocess.Popen(
            [sys.executable, str(PROJECT / "pipeline.py"), command, "-q", "--config", str(config)],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own group, so only the parent is killed below, never pytest
        )
        deadline = time.monotonic() + 120
        while _count(db, select(func.count()).select_from(Ad)) == 0 and parent.poll() is None:
            assert time.monotonic() < deadline, "the crawl stored nothing in 120 s"
            time.sleep(0.1)
        children = _children(parent.pid)
        assert children and parent.poll() is None, "the crawl ended before it could be killed"

        os.kill(parent.pid, signal.SIGKILL)  # the parent only
        parent.wait()
        gone_by = time.monotonic() + 5
        while any(_alive(c) for c in children) and time.monotonic() < gone_by:
            time.sleep(0.05)
        assert not any(_alive(c) for c in children), "the crawl child outlived its parent by 5 s"

        requests, ads = len(site.log), _count(db, select(func.count()).select_from(Ad))
        time.sleep(2)
        assert len(site.log) == requests and _count(db, select(func.count()).select_from(Ad)) == ads
        assert 0 < ads < PER_LISTING * LISTINGS

        # The next run closes what the killed one left open (a short crawl: the site is empty now).
        site.pages["/empty"] = html("")
        again = subprocess.run(
            [sys.executable, str(PROJECT / "pipeline.py"), command, "-q", "--config", str(config)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert again.returncode == 0, again.stderr
        engine = create_engine(f"sqlite:///{db}")
        try:
            with engine.connect() as conn:
                runs = conn.execute(select(Run.status, Run.error).order_by(Run.id)).all()
                crawls = conn.execute(select(Crawl.finished_at, Crawl.failed, Crawl.error).order_by(Crawl.id)).all()
        finally:
            engine.dispose()
        assert [r.status for r in runs] == ["interrupted", "ok"] and "killed" in runs[0].error
        assert crawls[0].finished_at is not None and crawls[0].failed and "interrupted" in crawls[0].error
    finally:
        site.stop()


def test_sigterm_closes_the_run_as_interrupted_writes_the_summary_and_exits_143(tmp_path, tiny_models_dir):
    """Issue 23, probe 9: SIGTERM during the crawl was exit 143 with the run row left
    `running` and no summary."""
    site = _slow_site()
    try:
        config = _slow_config(tmp_path, site, tiny_models_dir)
        db = tmp_path / "lw.db"
        parent = subprocess.Popen(
            [sys.executable, str(PROJECT / "pipeline.py"), "run", "-q", "--config", str(config)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while _count(db, select(func.count()).select_from(Ad)) == 0 and parent.poll() is None:
            assert time.monotonic() < deadline, "the crawl stored nothing in 120 s"
            time.sleep(0.1)
        children = _children(parent.pid)
        assert children and parent.poll() is None, "the crawl ended before it could be stopped"
        os.kill(parent.pid, signal.SIGTERM)
        _, err = parent.communicate(timeout=60)
        assert parent.returncode == 143, err
        assert err.strip().splitlines()[-1] == "error: terminated (SIGTERM)" and "Traceback" not in err
        assert not any(_alive(c) for c in children)
        engine = create_engine(f"sqlite:///{db}")
        try:
            with engine.connect() as conn:
                [(run_id, status, finished)] = conn.execute(select(Run.id, Run.status, Run.finished_at)).all()
        finally:
            engine.dispose()
        assert status == "interrupted" and finished is not None
        [summary] = (tmp_path / "exports").glob(f"run-*-{run_id}.json")
        assert '"status": "interrupted"' in summary.read_text()
    finally:
        site.stop()


_POOL_SCRIPT = """
import os, sys, time
sys.path.insert(0, {project!r})
from stages.parallel import worker_pool
if __name__ == "__main__":
    pool = worker_pool(2)
    seen = set()
    while len(seen) < 2:  # both workers started (their initializer ran) and took work
        seen |= {{f.result() for f in [pool.submit(os.getpid) for _ in range(20)]}}
    futures = [pool.submit(time.sleep, 120) for _ in range(2)]
    print(" ".join(str(pid) for pid in seen), flush=True)
    time.sleep(120)
"""


def test_kill_9_of_a_scoring_parent_leaves_no_worker_running(tmp_path):
    """Issue 23, probe 6: after kill -9 of `score --rescore --workers 2` both workers and the
    resource tracker lived on, reparented to PID 1. The pool is the one score_in_workers uses."""
    script = tmp_path / "pool.py"
    script.write_text(_POOL_SCRIPT.format(project=str(PROJECT)))
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(_alive(w) for w in workers)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        gone_by = time.monotonic() + 5
        while any(_alive(w) for w in workers) and time.monotonic() < gone_by:
            time.sleep(0.05)
        assert not any(_alive(w) for w in workers), "a scoring worker outlived its parent by 5 s"
    finally:
        if parent.poll() is None:
            parent.kill()
