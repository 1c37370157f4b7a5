"""The guard every test runs under: nothing may write into the shipped models/ folder."""

from __future__ import annotations

import pytest

from tests.conftest import SHIPPED_MODELS, untouched


def test_the_guard_fails_a_test_that_writes_into_the_folder(tmp_path) -> None:
    folder = tmp_path / "models"
    (folder / "v1").mkdir(parents=True)
    (folder / "CURRENT").write_text("v1\n")
    with pytest.raises(pytest.fail.Exception, match="wrote under"):
        with untouched(folder):
            (folder / "CURRENT").write_text("v2\n")  # a promotion into the watched folder
    with pytest.raises(pytest.fail.Exception, match="v2/model.skops"):
        with untouched(folder):
            (folder / "v2").mkdir()
            (folder / "v2" / "model.skops").write_bytes(b"x")  # a new version saved there
    with untouched(folder):
        (folder / "CURRENT").read_text()  # reading is fine


def test_the_guard_watches_the_shipped_models() -> None:
    assert (SHIPPED_MODELS / "CURRENT").is_file()
