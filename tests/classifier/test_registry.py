"""Registry: hashes checked before loading, no path escapes, clear version errors, atomic CURRENT."""

from __future__ import annotations

import json
import os

import pytest

from classifier import registry
from classifier.errors import ModelError


def test_save_load_roundtrip(tiny_models_dir) -> None:
    pipeline, card = registry.load_model(tiny_models_dir, "current")
    assert card["version"] == registry.current_version(tiny_models_dir)
    assert card["artefact_sha256"] == registry.sha256_file(tiny_models_dir / card["version"] / registry.ARTEFACT)
    assert {"python", "scikit-learn", "numpy"} <= set(card["libraries"])
    assert hasattr(pipeline, "predict_proba")


def test_hash_mismatch_refused(tiny_models_dir) -> None:
    version = registry.current_version(tiny_models_dir)
    art = tiny_models_dir / version / registry.ARTEFACT
    art.write_bytes(art.read_bytes() + b"tampered")
    with pytest.raises(ModelError, match="does not match its card"):
        registry.load_model(tiny_models_dir, version)


@pytest.mark.parametrize(
    "version", ["../x", "..", "/etc/passwd", "20261125T063000Z/../../x", "current2", "", "20261125T063000Z\n"]
)
def test_path_traversal_refused(tiny_models_dir, version) -> None:
    with pytest.raises(ModelError):
        registry.load_model(tiny_models_dir, version)


def test_current_pointing_outside_refused(tiny_models_dir) -> None:
    (tiny_models_dir / "CURRENT").write_text("../../etc\n")
    with pytest.raises(ModelError, match="invalid model version"):
        registry.load_model(tiny_models_dir, "current")


def test_symlinked_version_outside_refused(tiny_models_dir, tmp_path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (tiny_models_dir / "20991231T000000Z").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ModelError, match="outside the models folder"):
        registry.load_model(tiny_models_dir, "20991231T000000Z")


def test_library_version_mismatch_says_how_to_retrain(tiny_models_dir) -> None:
    version = registry.current_version(tiny_models_dir)
    card_path = tiny_models_dir / version / "card.json"
    card = json.loads(card_path.read_text())
    card["libraries"]["scikit-learn"] = "0.0.1"
    card_path.write_text(json.dumps(card))
    with pytest.raises(ModelError, match=r"scikit-learn 0\.0\.1 .*retrain with `python pipeline.py train"):
        registry.load_model(tiny_models_dir, version)


def test_missing_model_lists_known_versions(tiny_models_dir) -> None:
    with pytest.raises(ModelError, match="known: 2"):
        registry.load_model(tiny_models_dir, "20000101T000000Z")


def test_no_current(tmp_path) -> None:
    with pytest.raises(ModelError, match="no current model"):
        registry.load_model(tmp_path, "current")


def test_set_current_is_atomic_and_logged(tiny_models_dir, tiny_fit, monkeypatch) -> None:
    first = registry.current_version(tiny_models_dir)
    second = registry.save_model(tiny_models_dir, tiny_fit.pipeline, {"threshold": 0.5})
    assert second != first and registry.list_versions(tiny_models_dir) == sorted([first, second])
    calls = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append((a, b)), real_replace(a, b)))
    registry.set_current(tiny_models_dir, second)
    assert calls and str(calls[-1][1]).endswith("CURRENT")  # written via temp file + os.replace
    assert registry.current_version(tiny_models_dir) == second
    hist = registry.history(tiny_models_dir)
    assert [h["version"] for h in hist] == [first, second] and hist[-1]["previous"] == first
    assert not list(tiny_models_dir.glob(".CURRENT.*"))


def test_failed_current_write_keeps_old_pointer(tiny_models_dir, tiny_fit, monkeypatch) -> None:
    first = registry.current_version(tiny_models_dir)
    second = registry.save_model(tiny_models_dir, tiny_fit.pipeline, {"threshold": 0.5})

    def boom(a, b):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        registry.set_current(tiny_models_dir, second)
    monkeypatch.undo()
    assert registry.current_version(tiny_models_dir) == first
    assert (tiny_models_dir / registry.CURRENT).read_text() == first + "\n"
    assert not list(tiny_models_dir.glob(".CURRENT.*"))  # the temp file is cleaned up


def test_corrupt_artefact_with_matching_hash(tiny_models_dir) -> None:
    version = registry.current_version(tiny_models_dir)
    vdir = tiny_models_dir / version
    (vdir / registry.ARTEFACT).write_bytes(b"not a skops file")
    card = json.loads((vdir / "card.json").read_text())
    card["artefact_sha256"] = registry.sha256_file(vdir / registry.ARTEFACT)
    (vdir / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="cannot load"):
        registry.load_model(tiny_models_dir, version)
