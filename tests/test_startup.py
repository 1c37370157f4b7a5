"""Start-up cost: a command that scores nothing must not load the model stack.

`-X importtime` lists every module a process imports; the heavy ones (scikit-learn, skops,
which builds its trusted-type list on import, Scrapy, pandas) are only for the commands that
score, train or crawl.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from store.db import open_database

PROJECT = Path(__file__).resolve().parent.parent
HEAVY = ("sklearn", "skops", "scrapy", "pandas")


def imported_modules(*args: str, cwd: Path) -> tuple[set[str], subprocess.CompletedProcess]:
    """Top-level names of every module the command imported, and the finished process."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", str(PROJECT / "pipeline.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    names = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return names, proc


@pytest.mark.parametrize("command", [["--help"], ["review", "--help"], ["serve", "--help"], ["classify", "--help"]])
def test_help_loads_no_model_stack(command: list[str], tmp_path: Path) -> None:
    names, proc = imported_modules(*command, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert "usage:" in proc.stdout
    assert not names & set(HEAVY), f"--help imported {sorted(names & set(HEAVY))}"


@pytest.mark.parametrize("command", [["review", "list"], ["users", "list"], ["models", "list"], ["review", "log"]])
def test_queue_and_account_commands_load_no_model_stack(command: list[str], tmp_path: Path) -> None:
    db = tmp_path / "lw.db"
    engine, _ = open_database(f"sqlite:///{db}")
    engine.dispose()
    (tmp_path / "config.yaml").write_text(f"database:\n  url: sqlite:///{db}\n", encoding="utf-8")
    names, proc = imported_modules(*command, "--config", str(tmp_path / "config.yaml"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert not names & set(HEAVY), f"{' '.join(command)} imported {sorted(names & set(HEAVY))}"
