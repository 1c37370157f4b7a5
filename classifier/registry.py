"""Model registry: models/<version>/{model.skops, card.json}, models/CURRENT, models/HISTORY.

Loading runs no code from the models folder. The artefact is a skops file, which
rebuilds scikit-learn objects from data and refuses every type not trusted up front
(``TRUSTED``: scikit-learn's own, plus our analyser and two helper functions, by exact
name). Its sha256 is checked against the card first, only paths inside the models folder
are ever loaded, and a model built with other library versions is refused with a message
saying how to retrain. Models saved before as pickles (model.joblib), which can run code
when loaded, are refused; ``convert_to_skops`` turns one the operator trusts into skops.
A model's known-lure index (classifier.neighbours) is plain arrays and strings inside the
same artefact, checked for shape and size at load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import logging
import os
import platform
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from classifier.card import upgrade
from classifier.errors import RETRAIN_HINT, ModelError
from core.files import atomic_write_text

log = logging.getLogger(__name__)

VERSION_RE = re.compile(r"^\d{8}T\d{6}Z(?:-\d{1,3})?$")
ARTEFACT = "model.skops"
PICKLE = "model.joblib"  # the format before skops: loaded by nobody, converted by convert_to_skops
CARD = "card.json"
CURRENT = "CURRENT"
HISTORY = "HISTORY"
# Libraries whose version changes can break loading or change predictions.
PINNED = ("scikit-learn", "numpy", "scipy", "joblib", "pandas", "skops")
# The types of ours (and scikit-learn's private ones) a model may contain, beyond those skops
# trusts by default. Nothing else loads: a file naming os.system, eval or any other callable
# is refused before anything in it is built.
TRUSTED = (
    "classifier.features.AdAnalyzer",
    "classifier.features.identity",
    "classifier.features.numeric_columns",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
)


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries the artefact depends on."""
    out = {"python": platform.python_version()}
    for name in PINNED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def new_version(now: dt.datetime | None = None) -> str:
    """UTC timestamp version, e.g. 20261125T063000Z."""
    return (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


def _version_dir(models_dir: Path, version: str) -> Path:
    if not isinstance(version, str) or not VERSION_RE.match(version):
        raise ModelError(f"invalid model version {version!r}: expected a UTC timestamp like 20261125T063000Z")
    root = Path(models_dir).resolve()
    path = (root / version).resolve()
    if path.parent != root:
        raise ModelError(f"model version {version!r} resolves outside the models folder {root}")
    return path


def save_model(models_dir: Path | str, pipeline, card: dict, version: str | None = None) -> str:
    """Write a new version folder (artefact + card with hashes and versions); returns the version.

    Does not promote: call set_current() for that.
    """
    root = Path(models_dir)
    root.mkdir(parents=True, exist_ok=True)
    version = version or new_version()
    base, n = version, 1
    while (root / version).exists():  # two saves in one second
        version, n = f"{base}-{n}", n + 1
    final = _version_dir(root, version)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=f".{version}."))
    os.chmod(staging, 0o755)  # mkdtemp makes it owner-only; models are shared read-only data
    try:
        art = staging / ARTEFACT
        dump_artefact(pipeline, art)
        full = dict(card)
        full.update(
            {
                "version": version,
                **_artefact_fields(art),
                "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            }
        )
        (staging / CARD).write_text(
            json.dumps(full, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
        )
        os.replace(staging, final)  # the version appears complete or not at all
    except BaseException:
        for f in staging.glob("*"):
            f.unlink(missing_ok=True)
        staging.rmdir()
        raise
    log.info("saved model %s (%d bytes)", version, full["artefact_bytes"])
    return version


def dump_artefact(pipeline: Any, path: Path) -> None:
    import skops.io as sio

    """Write ``pipeline`` as a compressed skops file."""
    _plain_vocabularies(pipeline)
    sio.dump(pipeline, path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)


def _plain_vocabularies(estimator: Any) -> None:
    """Vocabulary indices as Python ints (same values, same predictions).

    With max_features, scikit-learn leaves numpy ints in ``vocabulary_``, which skops
    writes as one array file each: 23,000 files, 27 MB and a slow load for our model.
    """
    if isinstance(getattr(estimator, "vocabulary_", None), dict):
        estimator.vocabulary_ = {term: int(index) for term, index in estimator.vocabulary_.items()}
    for child in [step for _, step in getattr(estimator, "steps", [])] + [
        t for _, t, _ in getattr(estimator, "transformers_", [])
    ]:
        _plain_vocabularies(child)


def _artefact_fields(art: Path) -> dict[str, Any]:
    """What the card says about an artefact file: its name, hash, size and the library versions."""
    return {
        "artefact": art.name,
        "artefact_sha256": sha256_file(art),
        "artefact_bytes": art.stat().st_size,
        "libraries": library_versions(),
    }


# Card keys the registry relies on, and the JSON type each must have when present.
_CARD_TYPES = {"artefact": str, "artefact_sha256": str, "libraries": dict, "threshold": (int, float)}


def read_card(models_dir: Path | str, version: str) -> dict:
    """The card of a version, in the current format (no artefact loading)."""
    path = _version_dir(Path(models_dir), version) / CARD
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"model {version}: no {CARD} in {path.parent}; {RETRAIN_HINT}") from None
    except (ValueError, OSError) as exc:  # UnicodeDecodeError is a ValueError
        raise ModelError(f"model {version}: {CARD} cannot be read ({_one_line(exc)}); {RETRAIN_HINT}") from None
    if not isinstance(data, dict):
        raise ModelError(f"model {version}: {CARD} is not a JSON object; {RETRAIN_HINT}")
    for key, kind in _CARD_TYPES.items():
        if key in data and (not isinstance(data[key], kind) or isinstance(data[key], bool)):
            raise ModelError(f"model {version}: {CARD} key {key!r} has the wrong type; {RETRAIN_HINT}")
    return upgrade(data)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def list_versions(models_dir: Path | str) -> list[str]:
    """Saved versions, oldest first."""
    root = Path(models_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and VERSION_RE.match(p.name))


def current_version(models_dir: Path | str) -> str:
    """The version named in models/CURRENT."""
    path = Path(models_dir) / CURRENT
    try:
        version = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ModelError(f"no current model: {path} is missing; {RETRAIN_HINT}") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise ModelError(f"{path}: cannot be read ({_one_line(exc)}); it must name a model version") from None
    _version_dir(Path(models_dir), version)
    return version


def set_current(models_dir: Path | str, version: str, reason: str = "promote") -> None:
    """Point models/CURRENT at a version (atomic replace) and append to models/HISTORY."""
    root = Path(models_dir)
    vdir = _version_dir(root, version)
    if not (vdir / ARTEFACT).is_file():
        raise ModelError(f"cannot promote {version}: no {ARTEFACT} in {vdir}{_convert_hint(vdir, version)}")
    try:
        previous = current_version(root)
    except ModelError:
        previous = "-"
    atomic_write_text(root / CURRENT, version + "\n")
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with (root / HISTORY).open("a", encoding="utf-8") as fh:  # append-only: rollback reads it backwards
        fh.write(f"{stamp}\t{reason}\t{previous}\t{version}\n")
    log.info("current model: %s (was %s)", version, previous)


def history(models_dir: Path | str) -> list[dict]:
    """Promotion history, oldest first."""
    path = Path(models_dir) / HISTORY
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 4:
            out.append(dict(zip(("at", "reason", "previous", "version"), parts)))
    return out


def _existing(root: Path, version: str) -> str:
    """The version ('current' resolved), or ModelError naming the known ones."""
    if version == "current":
        version = current_version(root)
    if not _version_dir(root, version).is_dir():
        known = ", ".join(list_versions(root)) or "none"
        raise ModelError(f"no model {version} in {root} (known: {known})")
    return version


def model_card(models_dir: Path | str, version: str = "current", *, verify: bool = False) -> dict:
    """The card of a version or 'current', without loading the model (the errors load_model
    gives). ``verify`` also checks the artefact's sha256 against the card (milliseconds)."""
    root = Path(models_dir)
    version = _existing(root, version)
    card = read_card(root, version)
    if verify:
        _checked_artefact(_version_dir(root, version), version, card)
    return card


def load_model(models_dir: Path | str, version: str = "current"):
    """(pipeline, card) for a version or 'current', after hash, type and library checks."""
    root = Path(models_dir)
    version = _existing(root, version)
    vdir = _version_dir(root, version)
    card = read_card(root, version)
    art = _checked_artefact(vdir, version, card)
    if art.name != ARTEFACT:
        raise ModelError(
            f"model {version}: {art.name} is not a skops file; lurewatch loads only {ARTEFACT} artefacts, "
            f"which cannot run code{_convert_hint(vdir, version) or '; ' + RETRAIN_HINT}"
        )
    _check_libraries(version, card)
    # skops builds its list of trusted types on import (seconds): only loading pays for it.
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        pipeline = sio.load(art, trusted=list(TRUSTED))
    except UntrustedTypesFoundException as exc:
        raise ModelError(
            f"model {version}: {art.name} holds types lurewatch does not trust ({_one_line(exc)}); "
            f"refusing to load it; {RETRAIN_HINT}"
        ) from None
    except Exception as exc:  # a corrupt file can raise nearly anything
        raise ModelError(
            f"model {version}: cannot load {art.name} ({type(exc).__name__}: {_one_line(exc)}); {RETRAIN_HINT}"
        ) from None
    _check_contents(version, pipeline)
    from classifier.neighbours import model_index

    try:
        model_index(pipeline)  # the known-lure index is data: its sizes are checked like the types
    except ModelError as exc:
        raise ModelError(f"model {version}: {exc}") from None
    return pipeline, card


def _check_contents(version: str, pipeline) -> None:
    """Refuse a model whose own rules are unsafe to run: skops vouches for the types in the
    file, not for what they hold. The analyser carries its indicator and gazetteer files;
    they are compiled now, so every pattern passes classifier.patterns (no backtracking
    without bound) and every field has the shape the parsers expect, before any ad is read."""
    steps = getattr(pipeline, "named_steps", None)
    analyser = steps.get("analyse") if isinstance(steps, dict) else None
    if analyser is None or not hasattr(analyser, "compiled"):
        raise ModelError(f"model {version}: its pipeline has no 'analyse' step; {RETRAIN_HINT}")
    for name in ("indicator_spec_", "gazetteer_spec_"):
        if not isinstance(getattr(analyser, name, None), dict):
            raise ModelError(f"model {version}: its {name} is not a mapping; {RETRAIN_HINT}")
    try:
        analyser._compiled = None  # never trust a cache the file could have carried
        analyser.compiled()
    except Exception as exc:  # a crafted spec can break the parsers in many ways
        raise ModelError(
            f"model {version}: its rules are refused ({type(exc).__name__}: {_one_line(exc)}); {RETRAIN_HINT}"
        ) from None


def _checked_artefact(vdir: Path, version: str, card: dict) -> Path:
    """The artefact the card names, inside the version folder, with the card's sha256."""
    art = vdir / card.get("artefact", ARTEFACT)
    if art.resolve().parent != vdir or not art.is_file():
        raise ModelError(f"model {version}: artefact {art.name} missing; {RETRAIN_HINT}")
    digest = sha256_file(art)
    if digest != card.get("artefact_sha256"):
        raise ModelError(
            f"model {version}: {art.name} sha256 {digest[:12]}… does not match its card "
            f"({str(card.get('artefact_sha256'))[:12]}…); refusing to load a modified artefact; {RETRAIN_HINT}"
        )
    return art


def _check_libraries(version: str, card: dict) -> None:
    want, have = card.get("libraries", {}), library_versions()
    diff = [f"{k} {want[k]} (installed {have.get(k)})" for k in PINNED if k in want and want[k] != have.get(k)]
    if diff:
        raise ModelError(
            f"model {version} was built with {', '.join(diff)}; install the locked versions "
            f"(`make install`) or {RETRAIN_HINT}"
        )


def _convert_hint(vdir: Path, version: str) -> str:
    if (vdir / PICKLE).is_file():
        return f"; if you trust this folder, convert it: `python pipeline.py models convert {version}`"
    return ""


def convert_to_skops(models_dir: Path | str, version: str, probe: Any) -> int:
    """Turn a version saved as a pickle (model.joblib) into model.skops, without retraining.

    For a folder the operator trusts: the pickle is loaded (its sha256 checked against the
    card first), saved as skops, loaded back the safe way, and both must give bit-identical
    probabilities on the ``probe`` ads, or nothing changes. Then the card names the skops
    file (and records the conversion) and the pickle is deleted. Returns the probe's row count.
    """
    import joblib  # the only place a pickle is ever loaded, on the operator's word
    import numpy as np
    import skops.io as sio

    root = Path(models_dir)
    vdir = _version_dir(root, version)
    card = read_card(root, version)
    if card.get("artefact") == ARTEFACT:
        raise ModelError(f"model {version} is already a skops artefact")
    old = _checked_artefact(vdir, version, card)
    _check_libraries(version, card)
    trusted_pickle = joblib.load(old)
    staging = vdir / f".{ARTEFACT}.pid{os.getpid()}.tmp"
    try:
        dump_artefact(trusted_pickle, staging)
        converted = sio.load(staging, trusted=list(TRUSTED))
        before, after = trusted_pickle.predict_proba(probe), converted.predict_proba(probe)
        if before.shape != after.shape or not np.array_equal(before.view(np.uint8), after.view(np.uint8)):
            raise ModelError(f"model {version}: the skops copy predicts differently; the pickle is kept")
        os.replace(staging, vdir / ARTEFACT)
    finally:
        staging.unlink(missing_ok=True)
    raw = json.loads((vdir / CARD).read_text(encoding="utf-8"))
    raw.update(_artefact_fields(vdir / ARTEFACT))
    raw["converted_from"] = {
        "artefact": old.name,
        "artefact_sha256": card.get("artefact_sha256"),
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "identical_probabilities_on": int(len(probe)),
    }
    atomic_write_text(vdir / CARD, json.dumps(raw, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    old.unlink()
    log.info("model %s converted to %s (%d probe ads, identical probabilities)", version, ARTEFACT, len(probe))
    return int(len(probe))


def rollback_target(models_dir: Path | str) -> str:
    """The version that was current before the current one, per HISTORY.

    HISTORY is read as a stack: a promotion pushes, a rollback pops, so rolling back twice
    goes two versions back rather than toggling between the last two.
    """
    root = Path(models_dir)
    current = current_version(root)
    stack: list[str] = []
    for entry in history(root):
        if "rollback" in entry["reason"].split():
            if stack and stack[-1] == entry["previous"]:
                stack.pop()
            if not stack or stack[-1] != entry["version"]:
                stack.append(entry["version"])
            continue
        if not stack and entry["previous"] != "-":
            stack.append(entry["previous"])
        stack.append(entry["version"])
    if len(stack) < 2 or stack[-1] != current:
        raise ModelError(f"nothing to roll back to: {HISTORY} has no earlier current model before {current}")
    return stack[-2]
