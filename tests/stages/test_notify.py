"""Notifications and metrics after a run: a real SMTP server (aiosmtpd) and a real HTTP
receiver on loopback; failures never change the run's exit code or data."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

import pipeline
from store.db import open_database
from store.schema import ReviewItem, Run, Score
from store.watchlist import add_entries
from store.watchlistfile import ListedContact
from tests.store.queue_fixtures import make_ad

SECRET = "T0SECRET/B0SECRET/xoxb-token-42"
TITLE = "Easy money <script>alert(1)</script> & more"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """An HTTP server on loopback that records POST bodies and answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.bodies: list[dict] = []
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length") or 0)
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                receiver.paths.append(self.path)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/services/{SECRET}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    """aiosmtpd's handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


def _config(write_config, tmp_path: Path, models: Path, notify: dict) -> Path:
    path = write_config(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'n.db'}"},
            "models": {"dir": str(models)},
            "export": {"dir": "exports"},
            "logging": {"dir": "logs"},
            "web": {"base_url": "https://desk.example/"},
            "notify": {"retries": 1, "backoff_seconds": 0, "timeout_seconds": 5, **notify},
        }
    )
    engine, factory = open_database(f"sqlite:///{tmp_path / 'n.db'}")
    with factory.begin() as s:  # an ad the model scores low, carrying a listed handle in another spelling
        make_ad(
            s, 1, title=TITLE, description="Office work in Seoul, weekdays", contacts={"telegram": ["t.me/Cambo_HR"]}
        )
        add_entries(s, [ListedContact("telegram", "@cambo_hr", "police-kr", "", "test")], "ann", s_now())
    engine.dispose()
    return path


def s_now():
    from datetime import datetime, timezone

    return datetime(2026, 12, 1, tzinfo=timezone.utc)


def _db(tmp_path: Path):
    return open_database(f"sqlite:///{tmp_path / 'n.db'}")


def test_the_post_and_the_mail_arrive_with_the_watchlist_hit(write_config, tmp_path, tiny_models_dir, smtp, capsys):
    with Receiver() as hook:
        path = _config(
            write_config,
            tmp_path,
            tiny_models_dir,
            {
                "webhooks": [{"url": hook.url, "events": ["watchlist_hit", "critical", "run_failed"]}],
                "email": {
                    "smtp_url": f"smtp://127.0.0.1:{smtp.port}",
                    "from": "lurewatch@example.org",
                    "to": ["analysts@example.org"],
                    "events": ["watchlist_hit"],
                },
            },
        )
        metrics = tmp_path / "textfile" / "lurewatch.prom"
        assert pipeline.main(["run", "--config", str(path), "--metrics-file", str(metrics)]) == 0
    out = capsys.readouterr().out
    engine, factory = _db(tmp_path)
    with factory() as s:
        item = s.scalar(select(ReviewItem))
        latest = s.scalars(select(Score).order_by(Score.id.desc())).first()
        run = s.scalar(select(Run))
    engine.dispose()
    assert latest.band == "critical" and latest.reasons[0]["signal"] == "watchlist"
    assert "watchlist_hits 1" in out
    events = {body["event"]: body for body in hook.bodies}
    assert set(events) == {"watchlist_hit", "critical"}
    hit = events["watchlist_hit"]
    assert (hit["run_id"], hit["status"]) == (run.id, "ok") and "run 1: ok" in hit["summary"]
    assert hit["items"] == [
        {
            "id": item.id,
            "ad_id": item.ad_id,
            "band": "critical",
            "score": round(latest.score, 4),
            "title": TITLE,
            "url": f"https://desk.example/items/{item.id}",
        }
    ]
    assert "&lt;script&gt;" in hit["text"] and "<script>" not in hit["text"]  # Slack markup cannot act on it
    [(recipients, mail)] = smtp.messages
    assert recipients == ["analysts@example.org"] and "watchlist" in mail["Subject"]
    plain = mail.get_body(("plain",)).get_content()
    rich = mail.get_body(("html",)).get_content()
    assert TITLE in plain and f"https://desk.example/items/{item.id}" in plain
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in rich and "<script>" not in rich
    assert [d["ok"] for d in run.counts["notifications"]] == [True, True, True]
    stored = json.dumps(run.counts) + out + "".join(p.read_text() for p in (path.parent / "exports").glob("*.json"))
    assert SECRET not in stored and "http://127.0.0.1" in stored
    families = {f.name: f for f in text_string_to_metric_families(metrics.read_text())}
    value = {(f.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    assert value[("lurewatch_run_status", (("status", "ok"),))] == 1
    assert value[("lurewatch_run_status", (("status", "failed"),))] == 0
    assert value[("lurewatch_watchlist_hits", ())] == 1 and value[("lurewatch_ads_scored", ())] == 1
    assert value[("lurewatch_last_success_timestamp_seconds", ())] == run.finished_at.timestamp()
    assert ("lurewatch_stage_duration_seconds", (("stage", "score"),)) in value


def test_unreachable_smtp_and_a_webhook_answering_500_change_nothing(write_config, tmp_path, tiny_models_dir, capsys):
    with Receiver(status=500) as hook:
        path = _config(
            write_config,
            tmp_path,
            tiny_models_dir,
            {
                "webhooks": [{"url": hook.url}],
                "email": {"smtp_url": f"smtp://127.0.0.1:{_free_port()}", "from": "a@b.org", "to": ["c@d.org"]},
            },
        )
        assert pipeline.main(["run", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert len(hook.bodies) == 4  # two events (critical, watchlist_hit), each tried twice
    engine, factory = _db(tmp_path)
    with factory() as s:
        run = s.scalar(select(Run))
        items = s.scalars(select(ReviewItem.status)).all()
    engine.dispose()
    assert run.status == "ok" and items == ["pending"]
    failed = run.counts["notifications"]
    assert {(d["channel"], d["ok"], d["attempts"]) for d in failed} == {("webhook", False, 2), ("email", False, 2)}
    assert {d["error"] for d in failed if d["channel"] == "webhook"} == {"HTTP 500"}
    assert "FAILED after 2 attempt(s): HTTP 500" in out and SECRET not in out + json.dumps(run.counts)


def test_a_failed_run_is_told_and_keeps_its_exit_code(write_config, tmp_path, tiny_models_dir, monkeypatch, capsys):
    def boom(config, factory, run_id):
        raise ZeroDivisionError("bug")

    monkeypatch.setattr("stages.run.STAGES", [("boom", boom)])
    with Receiver() as hook:
        path = _config(
            write_config, tmp_path, tiny_models_dir, {"webhooks": [{"url": hook.url, "events": ["run_failed"]}]}
        )
        metrics = tmp_path / "m.prom"
        assert pipeline.main(["run", "--config", str(path), "--metrics-file", str(metrics)]) == 3
    [body] = hook.bodies
    assert body["event"] == "run_failed" and body["status"] == "failed" and "ZeroDivisionError" in body["summary"]
    samples = [s for f in text_string_to_metric_families(metrics.read_text()) for s in f.samples]
    assert any(s.name == "lurewatch_run_status" and s.labels == {"status": "failed"} and s.value == 1 for s in samples)


def test_notify_test_says_which_target_succeeded(write_config, tmp_path, tiny_models_dir, smtp, capsys):
    with Receiver() as hook:
        path = _config(
            write_config,
            tmp_path,
            tiny_models_dir,
            {
                "webhooks": [{"url": hook.url, "events": ["alarm"]}, {"url": f"http://127.0.0.1:{_free_port()}/x"}],
                "email": {"smtp_url": f"smtp://127.0.0.1:{smtp.port}", "from": "a@b.org", "to": ["c@d.org"]},
            },
        )
        assert pipeline.main(["notify", "test", "--config", str(path)]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("ok  webhook http://127.0.0.1:") and lines[0].endswith("/*** (test)")
    assert lines[1].startswith("FAILED  webhook http://127.0.0.1:") and "after 2 attempt(s)" in lines[1]
    assert lines[2].startswith("ok  email smtp://127.0.0.1:")
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert errors == ["error: 1 of 3 target(s) failed"]
    assert [b["event"] for b in hook.bodies] == ["test"] and len(smtp.messages) == 1
    assert SECRET not in captured.out + captured.err
