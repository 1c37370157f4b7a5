"""Domain errors of the classifier; the CLI maps any ClassifierError to exit 1."""

from __future__ import annotations


class ClassifierError(Exception):
    """Base class: a problem the user can fix (bad input, missing or stale model)."""


class ModelError(ClassifierError):
    """A model artefact is missing, corrupt, tampered with or built by other library versions."""


class AdFileError(ClassifierError):
    """An ad file cannot be read; the message names the file and the line or key."""


class PatternFileError(ClassifierError):
    """The indicator or gazetteer data file is malformed; the message names the entry."""


RETRAIN_HINT = "retrain with `python pipeline.py train --promote`"


class EncoderTableError(ModelError):
    """A static encoder table is missing, malformed, tampered with or not the model's own."""
