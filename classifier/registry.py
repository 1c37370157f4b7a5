"""Model registry: models/<version>/{model.joblib, card.json}, models/CURRENT, models/HISTORY.

The artefact's sha256 is checked before joblib.load (a pickle runs code when loaded), only
paths inside the models folder are ever loaded, and a model built with other library
versions is refused with a message saying how to retrain.
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
from pathlib import Path

import joblib

from classifier.card import upgrade
from classifier.errors import RETRAIN_HINT, ModelError
from core.files import atomic_write_text

log = logging.getLogger(__name__)

VERSION_RE = re.compile(r"^\d{8}T\d{6}Z(?:-\d{1,3})?$")
ARTEFACT = "model.joblib"
CARD = "card.json"
CURRENT = "CURRENT"
HISTORY = "HISTORY"
# Libraries whose version changes can break unpickling or change predictions.
PINNED = ("scikit-learn", "numpy", "scipy", "joblib", "pandas")


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
        joblib.dump(pipeline, art, compress=("xz", 3))
        full = dict(card)
        full.update(
            {
                "version": version,
                "artefact": ARTEFACT,
                "artefact_sha256": sha256_file(art),
                "artefact_bytes": art.stat().st_size,
                "libraries": library_versions(),
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


def read_card(models_dir: Path | str, version: str) -> dict:
    """The card of a version, in the current format (no artefact loading)."""
    path = _version_dir(Path(models_dir), version) / CARD
    try:
        return upgrade(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ModelError(f"model {version}: no {CARD} in {path.parent}; {RETRAIN_HINT}") from None
    except ValueError as exc:
        raise ModelError(f"model {version}: {CARD} is not valid JSON ({exc}); {RETRAIN_HINT}") from None


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
    _version_dir(Path(models_dir), version)
    return version


def set_current(models_dir: Path | str, version: str, reason: str = "promote") -> None:
    """Point models/CURRENT at a version (atomic replace) and append to models/HISTORY."""
    root = Path(models_dir)
    vdir = _version_dir(root, version)
    if not (vdir / ARTEFACT).is_file():
        raise ModelError(f"cannot promote {version}: no {ARTEFACT} in {vdir}")
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


def load_model(models_dir: Path | str, version: str = "current"):
    """(pipeline, card) for a version or 'current', after hash and library checks."""
    root = Path(models_dir)
    if version == "current":
        version = current_version(root)
    vdir = _version_dir(root, version)
    if not vdir.is_dir():
        known = ", ".join(list_versions(root)) or "none"
        raise ModelError(f"no model {version} in {root} (known: {known})")
    card = read_card(root, version)
    art = vdir / card.get("artefact", ARTEFACT)
    if art.resolve().parent != vdir or not art.is_file():
        raise ModelError(f"model {version}: artefact {art.name} missing; {RETRAIN_HINT}")
    digest = sha256_file(art)
    if digest != card.get("artefact_sha256"):
        raise ModelError(
            f"model {version}: {art.name} sha256 {digest[:12]}… does not match its card "
            f"({str(card.get('artefact_sha256'))[:12]}…); refusing to load a modified artefact; {RETRAIN_HINT}"
        )
    want, have = card.get("libraries", {}), library_versions()
    diff = [f"{k} {want[k]} (installed {have.get(k)})" for k in PINNED if k in want and want[k] != have.get(k)]
    if diff:
        raise ModelError(
            f"model {version} was built with {', '.join(diff)}; install the locked versions "
            f"(`make install`) or {RETRAIN_HINT}"
        )
    try:
        pipeline = joblib.load(art)
    except Exception as exc:  # a corrupt pickle can raise nearly anything
        raise ModelError(
            f"model {version}: cannot load {art.name} ({type(exc).__name__}: {exc}); {RETRAIN_HINT}"
        ) from None
    return pipeline, card


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
