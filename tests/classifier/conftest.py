"""Classifier fixtures: the shipped model and paths (the tiny model lives in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier import registry

PROJECT = Path(__file__).resolve().parents[2]
SHIPPED_MODELS = PROJECT / "models"
SHARED_DATA = PROJECT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shipped():
    """(pipeline, card) of the model shipped in models/."""
    return registry.load_model(SHIPPED_MODELS, "current")
