"""Loaders for data folders like ../shared/data (the real one only when present; the full evaluation is a benchmark)."""

from __future__ import annotations

import pytest

from classifier.datasets import load_shared

from .conftest import SHARED_DATA


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data not present")
def test_shared_loaders_group_and_label() -> None:
    df = load_shared(SHARED_DATA)
    assert {"quoted", "cambodia_jobboards"} <= set(df["subset"])
    assert set(df.loc[df["subset"] != "quoted", "label"]) == {0}
    assert df.loc[df["subset"] == "quoted", "group"].str.startswith("quoted:").all()
    assert (df["description"].str.len() > 0).mean() > 0.95


def test_absent_shared_dir_is_empty(tmp_path) -> None:
    assert load_shared(tmp_path / "nope").empty
