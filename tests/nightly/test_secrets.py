"""No password leaves the environment: grepped for in everything a nightly run prints or writes.

The run uses real PostgreSQL and Redis URLs with passwords (a Redis ACL user made for
the test), once working and once with a wrong Redis password (the error path that
printed the URL). Everything is searched: stdout, stderr (with -v, so Scrapy logs its
settings), every file under the run's folder (logs, exports, the XLSX's inner files)
and the text of every runs and crawls row.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
import redis
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.crawler.loopback import LoopbackServer, html, jobposting_page

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_user(redis_test_url):
    """A Redis ACL user with a password, deleted after the test."""
    client = redis.Redis.from_url(redis_test_url)
    name, password = f"lw-test-{uuid.uuid4().hex[:8]}", f"Redis-Secret-{uuid.uuid4().hex}"
    client.execute_command("ACL", "SETUSER", name, "on", f">{password}", "~*", "&*", "+@all")
    try:
        parsed = make_url(redis_test_url.replace("redis://", "postgresql://", 1))  # URL parsing only
        yield f"redis://{name}:{password}@{parsed.host}:{parsed.port or 6379}/{parsed.database or 0}", password
    finally:
        client.execute_command("ACL", "DELUSER", name)
        client.close()


def _files_text(folder: Path) -> bytes:
    """The bytes of every file under ``folder``, XLSX members unpacked."""
    out = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        out.append(data)
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                out.extend(book.read(member) for member in book.namelist())
    return b"\n".join(out)


def _rows_text(database_url: str) -> str:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            runs = conn.execute(text("SELECT CAST(counts AS TEXT), error FROM runs")).all()
            crawls = conn.execute(text("SELECT CAST(counts AS TEXT), error FROM crawls")).all()
        return "\n".join(str(v) for row in (*runs, *crawls) for v in row)
    finally:
        engine.dispose()


def test_no_password_in_anything_a_run_prints_or_writes(fresh_postgres_url, redis_user, tmp_path, tiny_models_dir):
    redis_url, redis_password = redis_user
    db_password = f"Pg-Secret-{uuid.uuid4().hex}"  # trust authentication ignores it, the URL still carries it
    database_url = make_url(fresh_postgres_url).set(password=db_password).render_as_string(hide_password=False)
    site = LoopbackServer().start()
    for i in range(1, 4):
        site.pages[f"/ads/{i}.html"] = jobposting_page(i, f"Job {i}", "<p>Warehouse assistant, full time.</p>")
    site.pages["/index.html"] = html("".join(f'<a href="/ads/{i}.html">{i}</a>' for i in range(1, 4)))
    (tmp_path / "run").mkdir()
    config = tmp_path / "run" / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "models": {"dir": str(tiny_models_dir)},
                "export": {"dir": "exports", "formats": ["xlsx", "csv", "jsonl"]},
                "logging": {"dir": "logs", "level": "DEBUG"},
                "crawl": {
                    "autothrottle": False,
                    "download_delay": 0,
                    "retry_times": 0,
                    "allow_private_addresses": True,
                    "distributed": {"key_prefix": f"lwtest{uuid.uuid4().hex[:8]}"},
                },
                "sources": [{"name": "site", "kind": "jsonld", "start_urls": [f"{site.url}/index.html"]}],
            }
        )
    )

    def run(redis: str, *command: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "LUREWATCH_DATABASE_URL": database_url, "LUREWATCH_REDIS_URL": redis}
        argv = [sys.executable, str(PROJECT / "pipeline.py"), *command, "--config", str(config)]
        return subprocess.run(argv, cwd=config.parent, env=env, capture_output=True, text=True, timeout=300)

    try:
        working = run(redis_url, "run")
        assert working.returncode == 0, working.stderr[-2000:]
        verbose = run(redis_url, "crawl", "-v")  # Scrapy's own log lines on stderr too
        assert verbose.returncode == 0, verbose.stderr[-2000:]
        assert "Overridden settings" in verbose.stderr  # Scrapy did log its settings, URLs included
        wrong = run(redis_url.replace(redis_password, "Wrong-" + redis_password), "run")
        assert wrong.returncode in (1, 4), wrong.stderr[-2000:]
        assert "is unreachable" in wrong.stderr  # the error that used to print the URL
    finally:
        site.stop()

    files = _files_text(tmp_path / "run").decode("utf-8", "replace")
    assert "Overridden settings" in files  # the run log has Scrapy's settings too
    outputs = [p.stdout + p.stderr for p in (working, verbose, wrong)]
    everything = "\n".join([*outputs, files, _rows_text(database_url)])
    assert "Redis at redis://lw-test-" in everything and ":***@127.0.0.1:6379/0 is unreachable" in everything
    for secret in (db_password, redis_password):
        assert secret not in everything
    assert list((tmp_path / "run" / "logs").glob("*.log")) and list((tmp_path / "run" / "exports").glob("run-*.json"))
