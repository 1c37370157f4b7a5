"""The layer table of DESIGN.md holds (lint-imports, as `make lint` runs it), and breaks
on an upward import."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "classifier", "store", "crawler", "stages")
OURS = {*PACKAGES, "config", "pipeline", "web"}
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the tree at ``root`` (its pyproject.toml, its packages first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def _copy_tree(dest: Path) -> Path:
    for name in PACKAGES:
        shutil.copytree(PROJECT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("config.py", "pipeline.py", "pyproject.toml"):
        shutil.copy(PROJECT / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def lint_imports_available() -> None:
    if not LINT_IMPORTS.exists():
        pytest.fail(f"{LINT_IMPORTS} is missing: make install-test installs the pinned import-linter")


def test_the_tree_keeps_every_import_contract(lint_imports_available) -> None:
    result = _lint_imports(PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    "module,upward",
    [
        ("classifier/extract.py", "from stages import common"),  # the classifier reaching up to the stages
        ("store/ads.py", "import config"),  # the store reading the config
        ("core/ad.py", "from store import schema"),  # the bottom floor importing a floor above
        ("stages/common.py", "import pipeline"),  # a stage importing the command line
    ],
)
def test_an_upward_import_breaks_the_contract(lint_imports_available, tmp_path, module, upward) -> None:
    root = _copy_tree(tmp_path)
    assert _lint_imports(root).returncode == 0  # the copy is as clean as the tree...
    path = root / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{upward}  # noqa\n", encoding="utf-8")
    result = _lint_imports(root)
    assert result.returncode == 1, result.stdout  # ...until one import goes up a floor
    assert "BROKEN" in result.stdout and module.split("/")[0] in result.stdout


def test_config_imports_nothing_of_ours_but_core() -> None:
    """import-linter checks packages only; config.py is a module, so its imports are checked here."""
    tree = ast.parse((PROJECT / "config.py").read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported & OURS == {"core"}
