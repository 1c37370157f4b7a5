"""The model: one scikit-learn Pipeline, grouped out-of-fold threshold choice, metrics.

analyse (indicators, destination, pay, contacts) -> [TF-IDF over script-aware tokens |
numeric signal features] -> logistic regression (balanced classes), sigmoid-calibrated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, confusion_matrix, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from classifier.errors import ClassifierError
from classifier.features import AdAnalyzer, identity, numeric_columns

log = logging.getLogger(__name__)

DEFAULT_PARAMS: dict = {
    "C": 2.0,
    "min_df": 2,
    "max_features": 60_000,
    "calibration_cv": 3,
    "random_state": 0,
    "signal_weight": 1.0,
}


def build_pipeline(
    C: float = 2.0,
    min_df: int = 2,
    max_features: int = 60_000,
    calibration_cv: int = 3,
    random_state: int = 0,
    signal_weight: float = 1.0,
    indicators_path: str | None = None,
    gazetteer_path: str | None = None,
) -> Pipeline:
    """The one lurewatch pipeline (unfitted).

    signal_weight scales the indicator/structured columns against the TF-IDF block: larger
    values regularise the expert signals less, so they weigh more than wording the seed
    ads happen to share.
    """
    text = TfidfVectorizer(
        analyzer=identity, min_df=min_df, max_features=max_features, sublinear_tf=True, dtype=np.float32
    )
    features = ColumnTransformer(
        [("text", text, "_tokens"), ("signals", "passthrough", numeric_columns)],
        remainder="drop",
        sparse_threshold=1.0,
        transformer_weights={"text": 1.0, "signals": signal_weight},
    )
    lr = LogisticRegression(C=C, class_weight="balanced", max_iter=3000, random_state=random_state)
    clf = CalibratedClassifierCV(lr, method="sigmoid", cv=calibration_cv)
    return Pipeline([("analyse", AdAnalyzer(indicators_path, gazetteer_path)), ("features", features), ("clf", clf)])


def choose_threshold(
    y: np.ndarray,
    scores: np.ndarray,
    target_recall: float,
    max_fpr: float | None = None,
    fpr_cap: float | None = None,
) -> float:
    """Highest threshold whose recall on (out-of-fold) scores reaches the target, lowered
    further while the false-positive rate on the same scores stays within ``max_fpr``.

    The second rule spends a false-alarm budget the recall target leaves unused: real lures
    are worded unlike our training rows, so out-of-fold recall overstates recall on new
    wording, and when legit ads score far below the threshold a lower one costs little.

    ``fpr_cap`` is the hard limit: the threshold never flags more than that share of the
    legit scores, even when the recall target then goes unmet. The goal is recall at a
    bounded false-alarm rate, and analysts stop trusting a queue full of honest ads.
    """
    y = np.asarray(y)
    s = np.asarray(scores)
    pos = np.sort(s[y == 1])[::-1]
    if len(pos) == 0:
        raise ClassifierError("cannot choose a threshold: no positive (scam) rows")
    k = max(1, int(np.ceil(target_recall * len(pos))))
    threshold = float(pos[k - 1])
    neg = np.sort(s[y == 0])[::-1]
    if max_fpr is not None and (budget := _lowest_within(neg, max_fpr)) is not None:
        threshold = min(threshold, budget)
    if fpr_cap is not None and (cap := _lowest_within(neg, fpr_cap)) is not None:
        threshold = max(threshold, cap)
    return threshold


def _lowest_within(neg_desc: np.ndarray, rate: float) -> float | None:
    """Lowest threshold flagging at most ``rate`` of the legit scores (sorted high to low),
    or None when every legit score may be flagged.

    Flagging is score >= threshold: just above the (m+1)-th highest legit score, at most m
    legit rows are flagged.
    """
    m = int(np.floor(rate * len(neg_desc)))
    return float(np.nextafter(neg_desc[m], np.inf)) if m < len(neg_desc) else None


def metrics(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    """PR-AUC, ROC-AUC, precision/recall/F1/FPR at the threshold, confusion matrix."""
    y = np.asarray(y).astype(int)
    s = np.asarray(scores, dtype=float)
    pred = (s >= threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    both = len(set(y.tolist())) == 2
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else None  # no scam rows: recall undefined (JSON null)
    return {
        "n": int(len(y)),
        "n_scam": int(y.sum()),
        "n_legit": int((1 - y).sum()),
        "pr_auc": float(average_precision_score(y, s)) if both else None,
        "roc_auc": float(roc_auc_score(y, s)) if both else None,
        "threshold": float(threshold),
        "precision": float(prec),
        "recall": None if rec is None else float(rec),
        "f1": float(2 * prec * rec / (prec + rec))
        if rec is not None and prec + rec
        else (None if rec is None else 0.0),
        "false_positive_rate": float(fp / (fp + tn)) if fp + tn else None,
        "confusion": {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)},
    }


@dataclass
class FitResult:
    """A fitted pipeline and what the grouped cross-validation said about it."""

    pipeline: Pipeline
    threshold: float
    cv_metrics: dict
    oof_scores: np.ndarray


def grouped_oof(
    pipeline: Pipeline,
    analysed: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray,
    n_splits: int = 5,
    random_state: int = 0,
    sample_weight: np.ndarray | None = None,
    progress=None,
) -> np.ndarray:
    """Out-of-fold scores with StratifiedGroupKFold; each fold refits the model from scratch.

    `analysed` is the output of the (stateless) analyse step, computed once for speed.
    """
    from sklearn.base import clone

    y = np.asarray(y)
    n_splits = min(n_splits, int(min(np.bincount(y))), len(np.unique(groups)))
    if n_splits < 2:
        raise ClassifierError("too few groups or rows per class for grouped cross-validation")
    oof = np.full(len(y), np.nan)
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    for k, (tr, te) in enumerate(cv.split(analysed, y, groups)):
        model = clone(Pipeline(pipeline.steps[1:]))
        kw = {"clf__sample_weight": sample_weight[tr]} if sample_weight is not None else {}
        model.fit(analysed.iloc[tr], y[tr], **kw)
        oof[te] = model.predict_proba(analysed.iloc[te])[:, 1]
        log.info("fold %d/%d: %d train, %d held out", k + 1, n_splits, len(tr), len(te))
        if progress is not None:
            progress.update(1)
    return oof


def fit_with_threshold(
    pipeline: Pipeline,
    X: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray,
    target_recall: float = 0.9,
    n_splits: int = 5,
    random_state: int = 0,
    sample_weight: np.ndarray | None = None,
    eval_mask: np.ndarray | None = None,
    progress: bool = False,
    max_fpr: float | None = None,
    fpr_cap: float | None = None,
) -> FitResult:
    """Threshold from grouped out-of-fold scores (rows in eval_mask only), then fit on all rows.

    ``progress`` shows a bar on stderr over the folds and the final fit.
    """
    from tqdm import tqdm

    y = np.asarray(y).astype(int)
    analyser = pipeline.named_steps["analyse"].fit(X, y)
    analysed = analyser.transform(X)
    with tqdm(total=n_splits + 1, desc="training", unit="fit", disable=not progress, leave=False) as bar:
        oof = grouped_oof(pipeline, analysed, y, np.asarray(groups), n_splits, random_state, sample_weight, bar)
        fitted, threshold, cv = _final_fit(
            pipeline, analyser, analysed, y, oof, eval_mask, target_recall, n_splits, sample_weight, max_fpr, fpr_cap
        )
        bar.update(1)
    return FitResult(fitted, threshold, cv, oof)


def _final_fit(
    pipeline, analyser, analysed, y, oof, eval_mask, target_recall, n_splits, sample_weight, max_fpr, fpr_cap
):
    """Threshold from the OOF scores, then the model fitted on all given rows."""
    mask = np.ones(len(y), bool) if eval_mask is None else np.asarray(eval_mask, bool)
    threshold = choose_threshold(y[mask], oof[mask], target_recall, max_fpr, fpr_cap)
    cv = metrics(y[mask], oof[mask], threshold)
    cv["n_splits"] = n_splits
    cv["target_recall"] = target_recall
    cv["threshold_max_fpr"] = max_fpr
    cv["threshold_fpr_cap"] = fpr_cap
    cv["threshold_rows"] = "all" if eval_mask is None else f"{int(mask.sum())} of {len(mask)}"
    kw = {"sample_weight": sample_weight} if sample_weight is not None else {}
    rest = Pipeline(pipeline.steps[1:])
    rest.fit(analysed, y, **{f"clf__{k}": v for k, v in kw.items()})
    # Re-assemble: the analyse step is already fitted; the other steps were fitted on all rows.
    fitted = Pipeline([("analyse", analyser)] + rest.steps)
    log.info(
        "threshold %.4f for target recall %.2f (grouped OOF recall %.3f, FPR %s)",
        threshold,
        target_recall,
        cv["recall"],
        "n/a" if cv["false_positive_rate"] is None else f"{cv['false_positive_rate']:.3f}",
    )
    return fitted, threshold, cv
