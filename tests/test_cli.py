"""pipeline.main in-process: help, exit codes, one-line errors, runs recorded, README coverage."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

import pipeline
from store.schema import Run

README = Path(__file__).resolve().parent.parent / "README.md"


def _subcommands() -> list[str]:
    parser = pipeline.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(action.choices)


def test_top_level_help_exits_0(capsys):
    assert pipeline.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in _subcommands():
        assert name in out


@pytest.mark.parametrize("command", _subcommands())
def test_every_command_has_help_with_config_option(command, capsys):
    assert pipeline.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "--config" in out and "--verbose" in out and "--quiet" in out


def test_readme_documents_every_subcommand():
    text = README.read_text(encoding="utf-8")
    missing = [c for c in _subcommands() if not re.search(rf"pipeline\.py {re.escape(c)}\b", text)]
    assert not missing, f"README.md does not document: {missing}"


def test_usage_error_exits_2(capsys):
    assert pipeline.main(["no-such-command"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_run_records_a_run_and_prints_a_summary(write_config, capsys):
    path = write_config({"database": {"url": "sqlite:///data/t.db"}, "logging": {"dir": "logs"}})
    assert pipeline.main(["run", "--config", str(path)]) == 0
    assert pipeline.main(["--config", str(path), "run"]) == 0
    out = capsys.readouterr().out
    # No sources configured: the crawl stage finds nothing, the export writes an empty queue.
    assert "run 1: ok" in out and "run 2: ok" in out
    assert "crawl: pages 0" in out and "export: items 0" in out
    engine = create_engine(f"sqlite:///{path.parent / 'data' / 't.db'}")
    with engine.connect() as conn:
        runs = conn.execute(select(Run.status, Run.finished_at)).all()
    engine.dispose()
    assert [r.status for r in runs] == ["ok", "ok"] and all(r.finished_at for r in runs)
    logs = list((path.parent / "logs").glob("lurewatch-run-*.log"))
    assert len(logs) == 2 and "run 1 finished: ok" in logs[0].read_text() + logs[1].read_text()


def test_run_uses_environment_config_and_database_override(write_config, tmp_path, monkeypatch, capsys):
    path = write_config({"database": {"url": "sqlite:///data/t.db"}, "logging": {"dir": "logs"}})
    monkeypatch.setenv("LUREWATCH_CONFIG", str(path))
    monkeypatch.setenv("LUREWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    assert pipeline.main(["run", "-q"]) == 0
    assert (tmp_path / "env.db").exists()
    assert not (path.parent / "data" / "t.db").exists()


@pytest.mark.parametrize(
    "content,needle",
    [
        ({"database": {"url": 3}}, "error: config.yaml: database.url: expected a string, got integer"),
        ("sources: [\n", "invalid YAML"),
    ],
)
def test_bad_config_is_one_line_exit_1(write_config, capsys, content, needle):
    path = write_config(content)
    assert pipeline.main(["run", "--config", str(path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and needle in err[0]
    assert "Traceback" not in "\n".join(err)


def test_missing_config_file_exit_1(capsys):
    assert pipeline.main(["run", "--config", "/nonexistent/config.yaml"]) == 1
    assert capsys.readouterr().err.strip() == "error: /nonexistent/config.yaml: config file not found"


def test_database_newer_than_code_exit_1(write_config, capsys):
    path = write_config({"database": {"url": "sqlite:///t.db"}, "logging": {"dir": "logs"}})
    assert pipeline.main(["run", "-q", "--config", str(path)]) == 0
    engine = create_engine(f"sqlite:///{path.parent / 't.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num='9999'")
    engine.dispose()
    capsys.readouterr()
    assert pipeline.main(["run", "--config", str(path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "newer than this lurewatch" in err[0]


def test_unexpected_error_exit_3_with_traceback_in_the_log(write_config, monkeypatch, capsys):
    path = write_config({"database": {"url": "sqlite:///t.db"}, "logging": {"dir": "logs"}})

    def boom(config, factory, run_id):
        raise ZeroDivisionError("bug")

    monkeypatch.setattr("stages.run.STAGES", [("boom", boom)])
    assert pipeline.main(["run", "--config", str(path)]) == 3
    err = capsys.readouterr().err
    assert "error: unexpected error: ZeroDivisionError: bug" in err
    log = next((path.parent / "logs").glob("*.log")).read_text()
    assert "Traceback" in log and "ZeroDivisionError" in log
    engine = create_engine(f"sqlite:///{path.parent / 't.db'}")
    with engine.connect() as conn:
        status, error = conn.execute(select(Run.status, Run.error)).one()
    engine.dispose()
    assert status == "failed" and "ZeroDivisionError" in error


def test_partial_stage_exits_4_and_interrupt_exits_130(write_config, monkeypatch):
    from stages.run import StageResult

    path = write_config({"database": {"url": "sqlite:///t.db"}, "logging": {"dir": "logs"}})
    monkeypatch.setattr(
        "stages.run.STAGES", [("crawl", lambda c, f, r: StageResult("crawl", {"failed": 1}, partial=True))]
    )
    assert pipeline.main(["run", "-q", "--config", str(path)]) == 4

    def interrupt(config, factory, run_id):
        raise KeyboardInterrupt

    monkeypatch.setattr("stages.run.STAGES", [("crawl", interrupt)])
    assert pipeline.main(["run", "-q", "--config", str(path)]) == 130
    engine = create_engine(f"sqlite:///{path.parent / 't.db'}")
    with engine.connect() as conn:
        statuses = conn.execute(select(Run.status).order_by(Run.id)).scalars().all()
    engine.dispose()
    assert statuses == ["partial", "interrupted"]


def test_second_run_while_locked_exits_5_and_killed_run_is_marked_interrupted(write_config, capsys):
    from datetime import datetime, timezone

    from store.db import open_database
    from store.lock import run_lock
    from store.runs import start_run

    path = write_config({"database": {"url": "sqlite:///t.db"}, "logging": {"dir": "logs"}})
    engine, factory = open_database(f"sqlite:///{path.parent / 't.db'}")
    with factory.begin() as s:  # a run row left behind by a killed process
        start_run(s, "run", datetime(2026, 11, 24, tzinfo=timezone.utc))
    with run_lock(engine):
        assert pipeline.main(["run", "--config", str(path)]) == 5
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: another run holds the run lock")
    assert pipeline.main(["run", "-q", "--config", str(path)]) == 0
    with engine.connect() as conn:
        statuses = conn.execute(select(Run.status).order_by(Run.id)).scalars().all()
    engine.dispose()
    assert statuses == ["interrupted", "ok"]


@pytest.mark.parametrize("argv", [["crawl", "--source", "a", "b"], ["crawl", "--source", "a", "--source", "b"]])
def test_crawl_takes_several_sources_after_one_option_or_the_option_repeated(argv) -> None:
    """The README says `crawl [--source NAME ...]`; the parser wanted --source repeated (issue 22)."""
    args = pipeline.build_parser().parse_args(argv)
    assert args.source == ["a", "b"]
