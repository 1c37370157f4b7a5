"""Models load only what we trust: a crafted artefact with a matching hash runs no code on load.

The attack of issue 16: whoever can write models/<version>/ writes an artefact and the
card's sha256 beside it. Loading must still build nothing but trusted types, and a
malformed card or CURRENT is a one-line error.
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import joblib
import numpy as np
import pytest
import skops.io as sio

import pipeline
from classifier import registry
from classifier.errors import ModelError
from tests.conftest import tiny_training_frame


class Payload:
    """Code an attacker wants run at load time: it leaves a marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # what pickle runs on load
        return (Path(self.marker).write_text, ("pwned",))

    def __setstate__(self, state: dict) -> None:  # what skops would run, were the type trusted
        Path(state["marker"]).write_text("pwned")


def _sign(vdir: Path, artefact: str) -> None:
    """What an attacker with write access to the folder does: a card that matches the file."""
    card = json.loads((vdir / "card.json").read_text())
    card["artefact"] = artefact
    card["artefact_sha256"] = registry.sha256_file(vdir / artefact)
    (vdir / "card.json").write_text(json.dumps(card))


def test_a_crafted_pickle_with_a_matching_hash_runs_no_code(tiny_models_dir, tmp_path) -> None:
    marker = tmp_path / "pwned"
    version = registry.current_version(tiny_models_dir)
    vdir = tiny_models_dir / version
    for name in ("model.joblib", registry.ARTEFACT):  # as the old format, and disguised as the new one
        (vdir / name).write_bytes(pickle.dumps(Payload(str(marker))))
        _sign(vdir, name)
        with pytest.raises(ModelError) as refused:
            registry.load_model(tiny_models_dir, version)
        assert "\n" not in str(refused.value)
        assert not marker.exists(), f"loading {name} ran the attacker's code"
    pickle.loads((vdir / "model.joblib").read_bytes())  # the probe is real: unpickled, it runs
    assert marker.read_text() == "pwned"


def test_a_crafted_skops_file_with_an_untrusted_type_is_refused_before_anything_is_built(
    tiny_models_dir, tmp_path
) -> None:
    marker = tmp_path / "pwned"
    version = registry.current_version(tiny_models_dir)
    vdir = tiny_models_dir / version
    model, _ = registry.load_model(tiny_models_dir, version)
    model.payload = Payload(str(marker))  # rides inside a genuine pipeline
    sio.dump(model, vdir / registry.ARTEFACT)
    _sign(vdir, registry.ARTEFACT)
    with pytest.raises(ModelError, match=r"types lurewatch does not trust .*test_model_trust\.Payload"):
        registry.load_model(tiny_models_dir, version)
    assert not marker.exists()
    trusting = [*registry.TRUSTED, f"{Payload.__module__}.Payload"]
    sio.load(vdir / registry.ARTEFACT, trusted=trusting)  # the probe is real: trusted, it runs
    assert marker.read_text() == "pwned"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda spec: spec["signals"][0]["patterns"].update(en=["re:(\\w+\\s?)+$$$"]), id="backtracking"),
        pytest.param(lambda spec: spec["signals"][0].update(patterns=7), id="wrong-type"),
        pytest.param(lambda spec: spec.clear(), id="empty"),
    ],
)
def test_a_model_whose_own_patterns_could_stall_scoring_is_refused_at_load(tiny_models_dir, tamper) -> None:
    """Issue 23, probe 5: trusted types only, but one indicator pattern inside the model's
    state is (\\w+\\s?)+$$$, which burns minutes on twenty words. The rules a model carries
    are checked when it loads, with the same one-line refusal as any other bad model."""
    version = registry.current_version(tiny_models_dir)
    vdir = tiny_models_dir / version
    model, _ = registry.load_model(tiny_models_dir, version)
    tamper(model.named_steps["analyse"].indicator_spec_)
    sio.dump(model, vdir / registry.ARTEFACT)
    _sign(vdir, registry.ARTEFACT)
    with pytest.raises(ModelError, match=rf"model {version}: its rules are refused") as refused:
        registry.load_model(tiny_models_dir, version)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("card", ["[]", "null", '"model"', "[1, 2]", '{"artefact": 5}', '{"libraries": []}'])
def test_a_malformed_card_is_a_one_line_error(tiny_models_dir, card) -> None:
    version = registry.current_version(tiny_models_dir)
    (tiny_models_dir / version / "card.json").write_text(card)
    with pytest.raises(ModelError, match=f"model {version}: card.json") as refused:
        registry.load_model(tiny_models_dir, version)
    assert "\n" not in str(refused.value)


def test_a_current_that_is_not_utf8_is_a_one_line_error(tiny_models_dir) -> None:
    (tiny_models_dir / "CURRENT").write_bytes(b"2026\xff\xfe1125T063000Z\n")
    with pytest.raises(ModelError, match="CURRENT: cannot be read"):
        registry.load_model(tiny_models_dir, "current")


def test_the_cli_reports_a_broken_registry_in_one_line(tiny_models_dir, write_config, capsys) -> None:
    path = write_config({"models": {"dir": str(tiny_models_dir)}, "database": {"url": "sqlite:///db.sqlite"}})
    version = registry.current_version(tiny_models_dir)
    (tiny_models_dir / version / "card.json").write_text("[]")
    assert pipeline.main(["explain", "--config", str(path), "월 1000만원 텔레그램 문의"]) == 1
    assert pipeline.main(["models", "list", "--config", str(path)]) == 0  # lists what it can
    (tiny_models_dir / "CURRENT").write_bytes(b"\xff\n")
    assert pipeline.main(["score", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 2 and "Traceback" not in err
    assert "card.json is not a JSON object" in lines[0] and "CURRENT: cannot be read" in lines[1]


def _pickled_version(models_dir: Path, tiny_fit) -> str:
    """A version saved the way lurewatch saved models before skops (joblib + card)."""
    version = registry.save_model(models_dir, tiny_fit.pipeline, {"threshold": tiny_fit.threshold})
    vdir = models_dir / version
    joblib.dump(tiny_fit.pipeline, vdir / "model.joblib", compress=("xz", 3))
    (vdir / registry.ARTEFACT).unlink()
    card = json.loads((vdir / "card.json").read_text())
    card.update(artefact="model.joblib", artefact_sha256=registry.sha256_file(vdir / "model.joblib"))
    card["libraries"].pop("skops")
    (vdir / "card.json").write_text(json.dumps(card))
    return version


def test_an_old_pickle_is_refused_then_converted_without_retraining(tmp_path, tiny_fit) -> None:
    models_dir = tmp_path / "models"
    version = _pickled_version(models_dir, tiny_fit)
    with pytest.raises(ModelError, match=rf"not a skops file.*pipeline.py models convert {version}"):
        registry.load_model(models_dir, version)
    with pytest.raises(ModelError, match="models convert"):
        registry.set_current(models_dir, version)
    probe, _, _ = tiny_training_frame()
    assert registry.convert_to_skops(models_dir, version, probe) == len(probe)
    converted, card = registry.load_model(models_dir, version)
    before = tiny_fit.pipeline.predict_proba(probe)
    assert np.array_equal(before.view(np.uint8), converted.predict_proba(probe).view(np.uint8))
    assert card["artefact"] == registry.ARTEFACT and card["converted_from"]["artefact"] == "model.joblib"
    assert card["libraries"]["skops"] and sorted(os.listdir(models_dir / version)) == ["card.json", "model.skops"]
    with pytest.raises(ModelError, match="already a skops artefact"):
        registry.convert_to_skops(models_dir, version, probe)


def test_convert_refuses_a_pickle_whose_hash_does_not_match(tmp_path, tiny_fit) -> None:
    models_dir = tmp_path / "models"
    version = _pickled_version(models_dir, tiny_fit)
    with (models_dir / version / "model.joblib").open("ab") as fh:
        fh.write(b"tampered")
    probe, _, _ = tiny_training_frame()
    with pytest.raises(ModelError, match="does not match its card"):
        registry.convert_to_skops(models_dir, version, probe)
    assert (models_dir / version / "model.joblib").is_file()


def test_the_shipped_model_is_a_skops_artefact_of_trusted_types_only() -> None:
    from tests.conftest import SHIPPED_MODELS

    version = registry.current_version(SHIPPED_MODELS)
    card = registry.read_card(SHIPPED_MODELS, version)
    assert card["artefact"] == registry.ARTEFACT and not (SHIPPED_MODELS / version / "model.joblib").exists()
    untrusted = sio.get_untrusted_types(file=SHIPPED_MODELS / version / registry.ARTEFACT)
    assert set(untrusted) <= set(registry.TRUSTED)
