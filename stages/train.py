"""The train stage: retrain from seed + files + shared data + analysts' decisions, compare
with the current model on the same held-out rows, promote (or not), rescore the queue.

The held-out rows are whole groups (campaign, near-duplicate cluster, seed variant,
employer) that the new model never sees: it is fitted, and its threshold chosen by
grouped cross-validation, on the training part only. The saved artefact is that model,
so the held-out figures in its card are honest figures for what gets promoted.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from classifier import datasets, evaluation, registry, trainset
from classifier.datasets import decision_frame
from classifier.model import DEFAULT_PARAMS, build_pipeline, fit_with_threshold
from classifier.retrain import (
    PROMOTION_TOLERANCE,
    HoldoutSplit,
    NotPromoted,
    format_comparison,
    holdout_split,
    model_summary,
    promotion_verdict,
)
from config import Config
from stages.classify import _counts, _extra_rows
from stages.common import utcnow
from stages.score import score_ads
from store.training import decided_rows, note_crossings, undecided_flags

log = logging.getLogger(__name__)

REPORT_JSON = "heldout.json"
REPORT_PNG = "heldout_pr.png"
TRAIN_COMMAND = "python pipeline.py train"


@dataclass
class TrainOutcome:
    """A trained, saved (not yet promoted) model and how it compares with the current one."""

    version: str
    card: dict
    current_version: str | None
    new: dict
    current: dict | None
    promote_ok: bool
    reason: str
    table: str
    fitted_rows: np.ndarray = field(repr=False)  # positions in the training frame used for fitting
    heldout_rows: np.ndarray = field(repr=False)  # positions kept out for the comparison
    decisions: int = 0


def read_decisions(factory: sessionmaker[Session]) -> list[dict]:
    """Decided (scam/legit) review items from the database."""
    with factory() as session:
        return decided_rows(session)


def _current(models_dir: Path) -> tuple[object, str | None]:
    """((pipeline, card) or None, why there is none).

    A current model that cannot be loaded (modified artefact, other library versions)
    cannot score anything either, so the new model is compared with nothing and may
    replace it; the reason is printed and kept in the card.
    """
    if not (Path(models_dir) / registry.CURRENT).is_file():
        return None, None
    try:
        return registry.load_model(models_dir, "current"), None
    except registry.ModelError as exc:
        log.warning("current model cannot be loaded, comparing with nothing: %s", exc)
        return None, str(exc)


def _fixed_split(df: pd.DataFrame, eval_paths: Sequence[Path]) -> tuple[pd.DataFrame, HoldoutSplit]:
    """Training frame + labelled evaluation files as the held-out part; training rows with
    the same text as an evaluation row are dropped, so the model never fits on them."""
    gold = _extra_rows(eval_paths)
    gold["gid"] = -1
    keys = set(gold.apply(trainset.content_key, axis=1))
    df = df[~df.apply(trainset.content_key, axis=1).isin(keys).to_numpy()]
    both = pd.concat([df, gold[df.columns]], ignore_index=True)
    n = len(df)
    return both, HoldoutSplit(np.arange(n), np.arange(n, len(both)))


def train_candidate(
    config: Config,
    decisions: Sequence[dict] = (),
    extra_paths: Sequence[Path] = (),
    *,
    eval_paths: Sequence[Path] = (),
    progress: bool | None = None,
    params: dict | None = None,
) -> TrainOutcome:
    """Train a new model, evaluate it and the current one on the same held-out rows, save it
    with a JSON report and a PR-curve PNG in its folder. Never promotes.

    Held-out rows: a grouped split of the training data, or, with ``eval_paths``, those
    labelled files (a fixed gold set keeps comparisons stable across retrains, and stays
    trustworthy when the training labels are not).
    """
    show = sys.stderr.isatty() if progress is None else progress
    params = {**DEFAULT_PARAMS, **(params or {})}
    tr = config.training
    extra = (
        pd.concat([f for f in (_extra_rows(extra_paths), decision_frame(decisions)) if len(f)], ignore_index=True)
        if (extra_paths or decisions)
        else None
    )
    df = trainset.training_frame(tr.seed_dir, tr.extra_data_dir, extra, dedupe=True)
    y = df["label"].to_numpy().astype(int)
    gid = df["gid"].to_numpy()
    if eval_paths:
        df, split = _fixed_split(df, eval_paths)
        y, gid = df["label"].to_numpy().astype(int), df["gid"].to_numpy()
    else:
        split = holdout_split(y, gid, tr.holdout_fraction, params["random_state"])
    train, test = df.iloc[split.train], df.iloc[split.test]
    fit = fit_with_threshold(
        build_pipeline(**params),
        train,
        y[split.train],
        gid[split.train],
        target_recall=tr.target_recall,
        n_splits=tr.n_splits,
        random_state=params["random_state"],
        sample_weight=train["weight"].to_numpy(float),
        progress=show,
    )
    y_test = y[split.test]
    new_scores = fit.pipeline.predict_proba(test)[:, 1]
    new = model_summary(y_test, new_scores, fit.threshold, tr.max_false_positive_rate)
    cur, cur_problem = _current(config.models.dir)
    cur_version = cur_sum = cur_scores = None
    if cur is not None:
        cur_pipe, cur_card = cur
        cur_version = cur_card["version"]
        cur_scores = cur_pipe.predict_proba(test)[:, 1]
        cur_sum = model_summary(y_test, cur_scores, float(cur_card["threshold"]), tr.max_false_positive_rate)
    ok, reason = promotion_verdict(new, cur_sum)
    if cur_problem:
        reason = f"{reason} (the current model cannot be loaded: {cur_problem})"
    full = ~df["short"].to_numpy(bool)
    card = {
        "threshold": fit.threshold,
        "target_recall": tr.target_recall,
        "parameters": params,
        "cv": {
            "scheme": f"StratifiedGroupKFold({fit.cv_metrics['n_splits']}) on the training part only; "
            "groups = campaign / seed variant / source article / employer merged with MinHash "
            "near-duplicate clusters",
            "all_texts": fit.cv_metrics,
        },
        "heldout": {
            "rows": int(len(split.test)),
            "fraction": None if eval_paths else tr.holdout_fraction,
            "files": [str(p) for p in eval_paths],
            "new": new,
            "current": cur_sum,
            "current_version": cur_version,
            "verdict": reason,
            "not_worse": ok,
            "tolerance": PROMOTION_TOLERANCE,
        },
        "training": {
            "rows": int(len(df)),
            "fitted_rows": int(len(split.train)),
            "data_sha256": trainset.data_sha256(df),
            "decisions": int(len(decision_frame(decisions))),
            "per_language_class_full_ads": _counts(df[full]),
            "per_subset": {k: int(v) for k, v in df[full].groupby("subset").size().items()},
            "short_versions": int((~full).sum()),
            "shared_data_used": bool(df["subset"].isin(list(datasets.SHARED_CORPORA) + ["quoted"]).any()),
        },
        "command": TRAIN_COMMAND,
    }
    analyser = fit.pipeline.named_steps["analyse"]
    card.update(indicators_sha256=analyser.indicators_sha256_, gazetteer_sha256=analyser.gazetteer_sha256_)
    version = registry.save_model(config.models.dir, fit.pipeline, card)
    _write_report(
        config.models.dir / version,
        version,
        y_test,
        new_scores,
        new,
        cur_version,
        cur_scores,
        cur_sum,
        reason,
        df.iloc[split.test],
    )
    table = format_comparison(version, new, cur_version, cur_sum)
    return TrainOutcome(
        version,
        registry.read_card(config.models.dir, version),
        cur_version,
        new,
        cur_sum,
        ok,
        reason,
        table,
        train.index.to_numpy(),
        test.index.to_numpy(),
        int(card["training"]["decisions"]),
    )


def _write_report(
    folder: Path,
    version: str,
    y: np.ndarray,
    new_scores: np.ndarray,
    new: dict,
    cur_version: str | None,
    cur_scores: np.ndarray | None,
    cur: dict | None,
    verdict: str,
    heldout: pd.DataFrame,
) -> None:
    """heldout.json (both models' metrics and PR curves) and heldout_pr.png (both curves)."""
    curves = {f"new {version}": evaluation.pr_curve(y, new_scores)}
    points = {f"new {version}": (new["recall"], new["precision"])}
    report = {
        "new_version": version,
        "current_version": cur_version,
        "verdict": verdict,
        "rows": int(len(y)),
        "per_subset": {k: int(v) for k, v in heldout.groupby("subset").size().items()},
        "new": {
            **new,
            "per_language": evaluation.report(y, new_scores, new["threshold"], heldout["language"])["per_language"],
        },
        "current": cur,
    }
    if cur_scores is not None and cur is not None:
        curves[f"current {cur_version}"] = evaluation.pr_curve(y, cur_scores)
        points[f"current {cur_version}"] = (cur["recall"], cur["precision"])
    report["pr_curves"] = curves
    evaluation.plot_pr_comparison(curves, points, folder / REPORT_PNG, f"held-out PR curves ({len(y)} ads)")
    (folder / REPORT_JSON).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def check_promotion(outcome: TrainOutcome, force: bool) -> str:
    """The HISTORY reason for promoting, or NotPromoted when the model is worse and not forced."""
    if outcome.promote_ok:
        return "train --promote"
    if not force:
        raise NotPromoted(
            f"not promoted: {outcome.reason}; model {outcome.version} kept "
            f"(`pipeline.py models promote {outcome.version}` or --force to use it anyway)"
        )
    return "train --promote --force"


@dataclass
class RescoreCounts:
    """What rescoring the queue after a promotion did."""

    scored: int = 0
    entered: int = 0
    left: int = 0
    model: str = ""
    skipped_reason: str | None = None


def make_current(config: Config, version: str, reason: str) -> None:
    """Point CURRENT at a version after loading it (hash and library checks): a tampered
    or unloadable artefact never becomes current."""
    registry.load_model(config.models.dir, version)
    registry.set_current(config.models.dir, version, reason)


def rescore_queue(config: Config, factory: sessionmaker[Session], *, progress: bool | None = None) -> RescoreCounts:
    """Rescore every undecided ad with the (new) current model; decisions stay untouched.

    Returns how many undecided items entered the flagged queue and how many left it
    (those stay pending at their lower score, with an audit event; see store.training).
    """
    if config.scoring.model != "current":
        return RescoreCounts(
            skipped_reason=f"scoring.model pins {config.scoring.model}: the promoted model does not score the queue"
        )
    with factory() as session:
        before = undecided_flags(session)
    result = score_ads(config, factory, rescore=True, progress=progress)
    version = result.counts["model"]
    with factory.begin() as session:
        after = undecided_flags(session, version)
        entered, left = note_crossings(session, before, after, version, utcnow())
    log.info(
        "rescored %d ad(s) with %s: %d entered the queue, %d left it", result.counts["scored"], version, entered, left
    )
    return RescoreCounts(int(result.counts["scored"]), entered, left, version)


def _metric(card: dict, *path: str) -> float | None:
    node: object = card
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, (int, float)) else None


def format_models(models_dir: Path) -> str:
    """`models list`: one line per version, newest last; `*` marks the current one.

    Held-out metrics for models trained by `pipeline.py train`; grouped-CV figures (marked
    cv) for older cards that have no held-out comparison.
    """
    versions = registry.list_versions(models_dir)
    if not versions:
        return f"no models in {models_dir}"
    try:
        current = registry.current_version(models_dir)
    except registry.ModelError:
        current = None

    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    lines = [
        f"  {'VERSION':<20} {'CREATED':<25} {'ROWS':>6} {'DECIDED':>7} {'THRESH':>6} {'R@FPR':>6} {'PR-AUC':>6} EVAL"
    ]
    for v in versions:
        try:
            card = registry.read_card(models_dir, v)
        except registry.ModelError as exc:
            lines.append(f"{'*' if v == current else ' '} {v:<20} unreadable card: {exc}")
            continue
        heldout = _metric(card, "heldout", "new", "pr_auc") is not None
        r_fpr = _metric(card, "heldout", "new", "recall_at_max_fpr")
        pr_auc = (
            _metric(card, "heldout", "new", "pr_auc")
            if heldout
            else _metric(card, "cv", "full_ads", "pr_auc") or _metric(card, "cv", "all_texts", "pr_auc")
        )
        rows = _metric(card, "training", "rows")
        decided = _metric(card, "training", "decisions")
        lines.append(
            f"{'*' if v == current else ' '} {v:<20} {str(card.get('created', '-')):<25} "
            f"{'-' if rows is None else int(rows):>6} {'-' if decided is None else int(decided):>7} "
            f"{fmt(_metric(card, 'threshold')):>6} {fmt(r_fpr):>6} {fmt(pr_auc):>6} "
            f"{'held-out' if heldout else 'cv'}"
        )
    return "\n".join(lines)
