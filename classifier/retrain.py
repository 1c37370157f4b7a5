"""Retraining logic with no database: analysts' decisions as rows, content dedup, the grouped
held-out split, the side-by-side comparison of two models, and the promotion rule.

Promotion rule (`promotion_verdict`): the candidate must not be worse than the current
model on the SAME held-out rows. First criterion: recall at the configured maximum
false-positive rate (what an operator cares about: scams found at a fixed analyst
workload). Within PROMOTION_TOLERANCE of each other, PR-AUC decides, with the same
tolerance. The tolerance (0.01 = one percentage point) absorbs the noise of a few
hundred held-out rows, so a retrain that changes nothing real is not refused by chance,
while a model that loses a point of recall at the operating FPR is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import roc_curve
from sklearn.model_selection import StratifiedGroupKFold

from classifier.errors import ClassifierError
from classifier.model import metrics

PROMOTION_TOLERANCE = 0.01


@dataclass(frozen=True)
class HoldoutSplit:
    """Row positions used for fitting and kept out for the comparison (disjoint groups)."""

    train: np.ndarray
    test: np.ndarray


def holdout_split(y: np.ndarray, groups: np.ndarray, fraction: float = 0.2, random_state: int = 0) -> HoldoutSplit:
    """One fold of a StratifiedGroupKFold with about 1/fraction folds: whole groups held out,
    both classes on each side."""
    y, groups = np.asarray(y).astype(int), np.asarray(groups)
    n_folds = max(2, int(round(1 / fraction)))
    if len(np.unique(groups)) < n_folds or min(np.bincount(y, minlength=2)) < 2:
        raise ClassifierError(
            f"too few groups ({len(np.unique(groups))}) or rows per class to hold out {fraction:.0%} of the data"
        )
    cv = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=random_state)
    train, test = next(cv.split(np.zeros(len(y)), y, groups))
    if len(set(y[test].tolist())) < 2:
        raise ClassifierError("held-out split has a single class; add labelled data")
    return HoldoutSplit(np.sort(train), np.sort(test))


def recall_at_fpr(y: np.ndarray, scores: np.ndarray, max_fpr: float) -> float | None:
    """Best recall reachable with a false-positive rate at most max_fpr (None: one class)."""
    y = np.asarray(y).astype(int)
    if len(set(y.tolist())) < 2:
        return None
    fpr, tpr, _ = roc_curve(y, np.asarray(scores, dtype=float))
    return float(tpr[fpr <= max_fpr + 1e-12].max())


def model_summary(y: np.ndarray, scores: np.ndarray, threshold: float, max_fpr: float) -> dict:
    """The comparison metrics of one model on the held-out rows."""
    out = metrics(y, scores, threshold)
    out["recall_at_max_fpr"] = recall_at_fpr(y, scores, max_fpr)
    out["max_fpr"] = max_fpr
    return out


def promotion_verdict(
    new: Mapping[str, Any], current: Mapping[str, Any] | None, tolerance: float = PROMOTION_TOLERANCE
) -> tuple[bool, str]:
    """(promote?, why) from two model_summary dicts on the same held-out rows."""
    if current is None:
        return True, "no current model to compare with"
    nr, cr = new["recall_at_max_fpr"] or 0.0, current["recall_at_max_fpr"] or 0.0
    fpr = new["max_fpr"]
    if nr < cr - tolerance:
        return False, f"recall at FPR {fpr:g} {nr:.3f} is below the current model's {cr:.3f}"
    if nr > cr + tolerance:
        return True, f"recall at FPR {fpr:g} {nr:.3f} beats the current model's {cr:.3f}"
    na, ca = new["pr_auc"] or 0.0, current["pr_auc"] or 0.0
    if na < ca - tolerance:
        return False, (
            f"recall at FPR {fpr:g} ties ({nr:.3f} vs {cr:.3f}) and PR-AUC {na:.3f} is below "
            f"the current model's {ca:.3f}"
        )
    return True, f"recall at FPR {fpr:g} {nr:.3f} vs {cr:.3f}, PR-AUC {na:.3f} vs {ca:.3f} (within tolerance or better)"


ROWS = (
    ("recall at max FPR", "recall_at_max_fpr"),
    ("PR-AUC", "pr_auc"),
    ("ROC-AUC", "roc_auc"),
    ("threshold", "threshold"),
    ("precision @thr", "precision"),
    ("recall @thr", "recall"),
    ("F1 @thr", "f1"),
    ("FPR @thr", "false_positive_rate"),
)


def format_comparison(
    new_version: str, new: Mapping[str, Any], current_version: str | None, current: Mapping[str, Any] | None
) -> str:
    """Plain-text table: one metric per line, the new model and the current one side by side."""

    def cell(v: Any) -> str:
        return "-" if v is None else f"{v:.3f}"

    head = f"held-out comparison: {new['n']} ads ({new['n_scam']} scam), max FPR {new['max_fpr']:g}"
    cur_name = current_version or "(none)"
    lines = [head, f"{'metric':<20} {'new ' + new_version:>24} {'current ' + cur_name:>26}"]
    for label, key in ROWS:
        lines.append(f"{label:<20} {cell(new.get(key)):>24} {cell(current.get(key) if current else None):>26}")
    return "\n".join(lines)
