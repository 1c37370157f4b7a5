"""The model card: what a saved model was trained on, how, and how well (one format).

``build_card`` writes it, for every model ``pipeline.py train`` makes; the registry
adds the artefact's hash, the library versions, the version and the time. Cards
written before this format are read through ``upgrade``, the one adapter, so readers
see one shape whatever the card's age.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # reading a card (models list, thresholds) must not load pandas or scikit-learn
    import pandas as pd

    from classifier.model import FitResult

FORMAT = 2
CV_SCHEME = (
    "StratifiedGroupKFold({n}) on the fitted rows; groups = campaign / seed variant / source article / "
    "employer, merged with MinHash near-duplicate clusters; threshold chosen on out-of-fold scores of "
    "full ads and their short versions together"
)


def build_card(
    fit: FitResult,
    fitted: pd.DataFrame,
    frame: pd.DataFrame,
    *,
    params: Mapping[str, Any],
    target_recall: float,
    sources: Sequence[Mapping[str, Any]],
    decisions: int,
    command: str,
    heldout: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The card of a model fitted on ``fitted`` (rows of the training ``frame``).

    ``heldout`` is the comparison on the rows kept out, or None when every row was fitted.
    """
    from classifier import evaluation
    from classifier.trainset import class_counts, data_sha256

    y = fitted["label"].to_numpy().astype(int)
    full = ~fitted["short"].to_numpy(bool)
    rep_full = evaluation.report(y[full], fit.oof_scores[full], fit.threshold, fitted.loc[full, "language"])
    rep_short = evaluation.report(y[~full], fit.oof_scores[~full], fit.threshold, fitted.loc[~full, "language"])
    whole = ~frame["short"].to_numpy(bool)
    analyser = fit.pipeline.named_steps["analyse"]
    return {
        "format": FORMAT,
        "command": command,
        "threshold": fit.threshold,
        "target_recall": target_recall,
        "parameters": dict(params),
        "indicators_sha256": analyser.indicators_sha256_,
        "gazetteer_sha256": analyser.gazetteer_sha256_,
        "training": {
            "rows": int(len(frame)),
            "fitted_rows": int(len(fitted)),
            "data_sha256": data_sha256(frame),
            "decisions": int(decisions),
            "sources": [dict(s) for s in sources],
            "per_language_class_full_ads": class_counts(frame[whole]),
            "per_subset": {k: int(v) for k, v in frame[whole].groupby("subset").size().items()},
            "short_versions": int((~whole).sum()),
        },
        "cv": {
            "scheme": CV_SCHEME.format(n=fit.cv_metrics["n_splits"]),
            "all_texts": fit.cv_metrics,
            "full_ads": rep_full["overall"],
            "full_ads_per_language": rep_full["per_language"],
            "short_texts": rep_short["overall"],
            "short_texts_per_language": rep_short["per_language"],
        },
        "heldout": None if heldout is None else dict(heldout),
    }


def upgrade(card: Mapping[str, Any]) -> dict[str, Any]:
    """Any card in the current format: older cards get the keys they lack.

    Format 1 had two shapes: `python -m stages.classify train` (every row fitted, cross-
    validated figures, no comparison) and `pipeline.py train` (held-out comparison, few
    cross-validated figures). Missing figures stay None; nothing is invented.
    """
    out = dict(card)
    if out.get("format", 1) >= FORMAT:
        return out
    training = dict(out.get("training") or {})
    rows = training.get("rows")
    training.setdefault("fitted_rows", rows)
    training.setdefault("decisions", 0)
    training.setdefault("sources", [{"name": k, "rows": v} for k, v in (training.get("per_subset") or {}).items()])
    cv = dict(out.get("cv") or {})
    for key in ("all_texts", "full_ads", "short_texts"):
        cv.setdefault(key, None)
    out.update(format=FORMAT, training=training, cv=cv, heldout=out.get("heldout"))
    return out


def threshold_for(card: Mapping[str, Any], override: float | None = None) -> float:
    """The scoring threshold: ``override`` (config scoring.threshold) when set, else the card's."""
    return float(card["threshold"] if override is None else override)


def headline(card: Mapping[str, Any]) -> tuple[float | None, float | None, str]:
    """(recall at the max FPR, PR-AUC, "held-out" or "cv"): the figures `models list` shows.

    Held-out figures when the model was compared on rows it never saw; otherwise the
    grouped cross-validation figures of its full ads (or of all its texts).
    """
    heldout = card.get("heldout")
    if heldout:
        new = heldout.get("new") or {}
        return _number(new.get("recall_at_max_fpr")), _number(new.get("pr_auc")), "held-out"
    cv = card.get("cv") or {}
    figures = cv.get("full_ads") or cv.get("all_texts") or {}
    return None, _number(figures.get("pr_auc")), "cv"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
