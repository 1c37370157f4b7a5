"""Shared fixtures: a temporary config, SQLite and PostgreSQL databases, service guards."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pytest
import yaml

from classifier import registry
from classifier.model import build_pipeline, fit_with_threshold
from config import Config, load_config
from tests.pgtemp import temporary_database

# The crawler's fixtures (a loopback site, fast crawl configs, saved pages) serve the
# crawl stage's tests in tests/stages/ too.
pytest_plugins = ["tests.crawler.fixtures"]

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHIPPED_MODELS = PROJECT_DIR / "models"


def require_service(env_var: str, what: str) -> str:
    """The service URL from the environment; skip without it, or fail when CI requires it."""
    url = os.environ.get(env_var)
    if url:
        return url
    message = f"{what} tests need {env_var}"
    if os.environ.get("LUREWATCH_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} (LUREWATCH_REQUIRE_SERVICES=1 forbids skipping)")
    pytest.skip(message)


def require_program(name: str, package: str, env_var: str) -> str:
    """The program's path; skip without it, or fail when ``env_var`` is 1 (CI installs it)."""
    found = shutil.which(name)
    if found:
        return found
    message = f"this test needs {name} (Debian package {package})"
    if os.environ.get(env_var) == "1":
        pytest.fail(f"{message}; {env_var}=1 forbids skipping")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's config or writes into the project: cwd is a temp dir."""
    for var in ("LUREWATCH_CONFIG", "LUREWATCH_DATABASE_URL", "LUREWATCH_ANALYST", "LUREWATCH_REDIS_URL"):
        monkeypatch.delenv(var, raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with small parameters in tests: the same code path, a fraction of the CPU.
    (The desk's defaults are RFC 9106's low-memory profile; tests log in hundreds of times.)"""
    from argon2 import PasswordHasher

    monkeypatch.setattr("store.accounts._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@contextmanager
def untouched(folder: Path) -> Iterator[None]:
    """Fail when anything under ``folder`` is added, removed or rewritten meanwhile."""
    before = _snapshot(folder)
    yield
    after = _snapshot(folder)
    if after != before:
        changed = sorted({name for name, _ in set(before.items()) ^ set(after.items())})
        pytest.fail(f"the test wrote under {folder}: {changed[:5]}")


@pytest.fixture(autouse=True)
def _shipped_models_untouched() -> Iterator[None]:
    """Fail any test that writes under the project's own models/ folder (the shipped model).

    Tests train and promote into temporary folders; a config without models.dir means the
    project's models/, so a test that forgets to point it elsewhere is caught here.
    """
    with untouched(SHIPPED_MODELS):
        yield


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file under ``folder``, by relative path."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a config.yaml (dict or text) in a temp folder and return its path."""

    def _write(content: dict | str, name: str = "config.yaml") -> Path:
        path = tmp_path / "conf" / name
        path.parent.mkdir(exist_ok=True)
        body = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
        path.write_text(body, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def config(write_config) -> Config:
    """A minimal config on a temp SQLite file, logs and exports in temp folders."""
    path = write_config(
        {
            "database": {"url": "sqlite:///data/test.db"},
            "export": {"dir": "exports"},
            "logging": {"dir": "logs"},
        }
    )
    return load_config(path)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    return require_service("LUREWATCH_TEST_POSTGRES_URL", "PostgreSQL")


@pytest.fixture(scope="session")
def redis_test_url() -> str:
    """The test Redis (LUREWATCH_TEST_REDIS_URL); use a unique key prefix and delete it after."""
    return require_service("LUREWATCH_TEST_REDIS_URL", "Redis")


@pytest.fixture(scope="session")
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    with temporary_database(postgres_admin_url, "lurewatch_test") as url:
        yield url


@pytest.fixture
def fresh_postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh empty PostgreSQL database for one test (migration tests need empty ones)."""
    with temporary_database(postgres_admin_url, "lurewatch_t") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each backend: a SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("fresh_postgres_url")


# ------------------------------------------------ a tiny real model (< 1 s)

_SCAM = [
    "캄보디아 고수익 알바 월 1000만원 숙식 제공 텔레그램 @abc 문의. 감금 절대 없음",
    "Work in Sihanoukville, no experience, $3000/month, contact on Telegram @hr",
    "시아누크빌 채팅 상담 월 800 경력무관 텔레 @kk",
    "KK Park data entry job, free flight, whatsapp only, urgent hiring",
    "월 500 보장 해외 알바 비자 없이 가능 카톡 문의",
    "急招 西港 客服 月薪3万 包吃包住 飞机号 联系",
]
_LEGIT = [
    "Software engineer at a Seoul company, 5 years of experience, apply via our website hr@example.com",
    "EPS 고용허가제 한국산업인력공단 취업비자 제공 제조업 근무",
    "Hotel receptionist in Dubai, work visa provided, accommodation, apply to careers@hotel.ae",
    "(주)블루닷 백엔드 개발자 채용 자격요건 경력 3년 4대보험",
    "프놈펜 한국계 은행 통역 담당 취업비자 지원 사업자등록번호 123-45-67890",
    "Data analyst at a bank in Kuala Lumpur, degree in statistics required",
]


def tiny_training_frame() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """24 rows, 6 groups: enough for a 3-fold grouped fit."""
    texts = (_SCAM + _LEGIT) * 2
    y = np.array(([1] * len(_SCAM) + [0] * len(_LEGIT)) * 2)
    groups = np.arange(len(texts)) % len(_SCAM + _LEGIT)
    return pd.DataFrame({"description": texts, "language": ""}), y, groups


@pytest.fixture(scope="session")
def tiny_fit():
    """A FitResult trained on the tiny inline set (well under a second)."""
    X, y, g = tiny_training_frame()
    return fit_with_threshold(build_pipeline(calibration_cv=2, min_df=1), X, y, g, n_splits=3)


@pytest.fixture()
def tiny_models_dir(tmp_path, tiny_fit) -> Path:
    """A temporary models folder holding the tiny model as CURRENT."""
    d = tmp_path / "models"
    version = registry.save_model(d, tiny_fit.pipeline, {"threshold": tiny_fit.threshold, "target_recall": 0.9})
    registry.set_current(d, version)
    return d


# A seed folder as data/seed lays it out: lures (two variants of one, sharing a group) and a
# legit row, each with its id and provenance. Its texts share words with the tiny model's.
SEED_ROWS = [
    ("s-1", "캄보디아 고수익 알바 월 1000만원 숙식 제공 텔레그램 @abc 문의", "1", "g1", "written by us, variant 1"),
    ("s-2", "캄보디아 고수익 알바 월 1000만원 숙식 제공 텔레그램 @abd 문의. 감금 절대 없음", "1", "g1", "variant 2"),
    ("s-3", "KK Park data entry job, free flight, whatsapp only, urgent hiring <b>now</b>", "1", "g2", "hand-written"),
    ("s-4", "Software engineer at a Seoul company, 5 years of experience", "0", "g3", "hard negative"),
]


def write_seed(folder: Path) -> Path:
    """A one-file seed folder of SEED_ROWS (seed.csv)."""
    folder.mkdir(parents=True, exist_ok=True)
    cols = ["id", "description", "label", "group", "provenance"]
    pd.DataFrame(SEED_ROWS, columns=cols).assign(title="", language="").to_csv(folder / "seed.csv", index=False)
    return folder


@pytest.fixture()
def lure_models_dir(tmp_path, tiny_fit) -> Path:
    """The tiny model with a known-lure index of SEED_ROWS' lures, as CURRENT (the session's
    tiny model itself is left without one: a shallow copy carries the index)."""
    import copy

    from classifier import datasets, neighbours

    pipeline = copy.copy(tiny_fit.pipeline)
    lures = datasets.seed_lures(write_seed(tmp_path / "seed"), "data/seed")
    neighbours.attach(pipeline, neighbours.build_index(pipeline, lures, "seed"))
    d = tmp_path / "lure-models"
    version = registry.save_model(d, pipeline, {"threshold": tiny_fit.threshold, "target_recall": 0.9})
    registry.set_current(d, version)
    return d
