"""Comparing a new model with the current one on held-out rows neither of them was fitted on.

The new model never saw a held-out row; the current one may have been fitted on some (the
shipped model saw every seed row), and a model scored on its own training rows looks
perfect. Cards record the keys of their fitted rows, so those rows are left out; for an
older card without them, every row of a data source it was trained on counts as seen.
Also here: the held-out report files, and finding a saved model identical to a new one.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from classifier import evaluation, registry, trainset
from classifier.retrain import PROMOTION_TOLERANCE, model_summary, promotion_verdict
from config import Config
from core.files import atomic_write_text

log = logging.getLogger(__name__)

KEY_DIGITS = 16  # 64 bits of each fitted row's content hash: no collisions at our sizes
REPORT_JSON = "heldout.json"
REPORT_PNG = "heldout_pr.png"


def current_model(models_dir: Path) -> tuple[object, str | None]:
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


def row_keys(df: pd.DataFrame) -> np.ndarray:
    """A short content key per row (16 hex digits of trainset.content_key): what a card
    records of the rows its model was fitted on."""
    if not len(df):
        return np.array([], dtype=object)
    return df.apply(trainset.content_key, axis=1).str[:KEY_DIGITS].to_numpy()


def seen_by(card: dict, rows: pd.DataFrame) -> tuple[np.ndarray, str]:
    """(mask of ``rows`` the model of ``card`` was fitted on, how that was decided).

    Cards record the keys of their fitted rows. An older card (the shipped model's, for
    one) does not: then every row of a data source it lists (seed, a data folder, a file,
    analysts' decisions) counts as seen, which can only leave out too much, never too little.
    """
    keys = (card.get("training") or {}).get("fitted_row_keys")
    if keys is not None:
        return np.isin(row_keys(rows), np.asarray(keys, dtype=object)), "by the row hashes in its card"
    subsets = set(((card.get("training") or {}).get("per_subset") or {}).keys())
    mask = rows["subset"].isin(subsets).to_numpy() if len(rows) else np.zeros(0, bool)
    shown = ", ".join(sorted(subsets)) or "none"
    return mask, f"by data source (its card records no row hashes; it was trained on: {shown})"


def compare(config: Config, fit, test: pd.DataFrame) -> dict:
    """The new and the current model on the held-out rows the current model never saw, and the verdict.

    The new model never saw any held-out row; the current one may have been fitted on
    some (the shipped model saw all the seed rows), and a model scored on its own
    training rows looks perfect. Those rows are left out of the comparison.
    """
    y_all = test["label"].to_numpy().astype(int)
    max_fpr = config.training.max_false_positive_rate
    new_scores = fit.pipeline.predict_proba(test)[:, 1] if len(test) else np.zeros(0)
    new_all = model_summary(y_all, new_scores, fit.threshold, max_fpr)
    cur, problem = current_model(config.models.dir)
    compared = np.ones(len(test), bool)
    cur_version = cur_sum = cur_scores = None
    how = "no current model"
    if cur is not None:
        cur_pipe, cur_card = cur
        cur_version = cur_card["version"]
        seen, how = seen_by(cur_card, test)
        compared = ~seen
    rows = test[compared]
    y = y_all[compared]
    new = model_summary(y, new_scores[compared], fit.threshold, max_fpr) if len(rows) else None
    if cur is not None and len(rows):
        cur_scores = cur_pipe.predict_proba(rows)[:, 1]
        cur_sum = model_summary(y, cur_scores, float(cur_card["threshold"]), max_fpr)
    if cur is not None and len(set(y.tolist())) < 2:
        ok, reason = one_class_verdict(new, cur_sum, cur_version, fit.cv_metrics.get("recall"))
    else:
        ok, reason = promotion_verdict(new or new_all, cur_sum)
    if problem:
        reason = f"{reason} (the current model cannot be loaded: {problem})"
    scope = {
        "rows": int(len(rows)),
        "excluded": int((~compared).sum()),
        "how": how,
        "subsets": {k: int(v) for k, v in rows.groupby("subset").size().items()} if len(rows) else {},
    }
    return {
        "y": y,
        "new_scores": new_scores[compared],
        "cur_scores": cur_scores,
        "rows": rows,
        "y_all": y_all,
        "new_scores_all": new_scores,
        "card": {
            "rows": int(len(test)),
            "new": new_all,
            "compared": {**scope, "new": new},
            "current": cur_sum,
            "current_version": cur_version,
            "verdict": reason,
            "not_worse": ok,
            "tolerance": PROMOTION_TOLERANCE,
        },
    }


def one_class_verdict(
    new: dict | None, current: dict | None, current_version: str | None, cv_recall: float | None
) -> tuple[bool, str]:
    """The verdict when the rows neither model saw are of one class only.

    Recall at a false-positive rate needs both classes. All legit (analysts clearing a
    kind of ad, say), the rows still show each model's false-positive rate at its own
    threshold; all scam, each model's recall. The new model must not be worse on that,
    within the tolerance; what the rows cannot show is said, with the new model's
    grouped cross-validated recall.
    """
    if not new or not current or not new["n"]:
        return False, (
            f"no held-out rows that the current model {current_version} did not see: no fair comparison; "
            f"compare on --eval FILE, or --force"
        )
    cv = "n/a" if cv_recall is None else f"{cv_recall:.3f}"
    if new["n_scam"] == 0:
        nf, cf = new["false_positive_rate"], current["false_positive_rate"]
        what = f"on {new['n']} held-out rows neither model saw, all legit: FPR {nf:.3f} vs the current model's {cf:.3f}"
        ok = nf <= cf + PROMOTION_TOLERANCE
    else:
        nr, cr = new["recall"], current["recall"]
        what = (
            f"on {new['n']} held-out rows neither model saw, all scam: recall {nr:.3f} vs the current model's {cr:.3f}"
        )
        ok = nr >= cr - PROMOTION_TOLERANCE
    return (
        ok,
        f"{what} ({'not worse' if ok else 'worse'}); one class only, so no recall-at-FPR comparison (the new model's grouped-CV recall: {cv})",
    )


def identical_version(config: Config, card_key: dict) -> str | None:
    """A saved version trained on the same data with the same parameters and patterns, if any."""
    for version in reversed(registry.list_versions(config.models.dir)):
        try:
            card = registry.read_card(config.models.dir, version)
        except registry.ModelError:
            continue
        if _card_key(card) == card_key:
            return version
    return None


def _card_key(card: dict) -> dict:
    training = card.get("training") or {}
    return {
        "data_sha256": training.get("data_sha256"),
        "fitted_rows": training.get("fitted_rows"),
        "parameters": card.get("parameters"),
        "target_recall": card.get("target_recall"),
        "threshold_fpr": ((card.get("cv") or {}).get("all_texts") or {}).get("threshold_max_fpr"),
        "threshold_fpr_cap": ((card.get("cv") or {}).get("all_texts") or {}).get("threshold_fpr_cap"),
        "indicators_sha256": card.get("indicators_sha256"),
        "gazetteer_sha256": card.get("gazetteer_sha256"),
        "neighbours": (card.get("neighbours") or {}).get("format"),
    }


def compared_rows_text(c: dict) -> str:
    """Which held-out rows the comparison used, how many, and which it left out and why."""
    scope = c["compared"]
    subsets = ", ".join(f"{k} {v}" for k, v in scope["subsets"].items()) or "none"
    line = f"compared on {scope['rows']} of {c['rows']} held-out rows (by source: {subsets})"
    if c["current_version"] is not None and scope["excluded"]:
        line += (
            f"; {scope['excluded']} left out because the current model {c['current_version']} "
            f"was fitted on them ({scope['how']})"
        )
    return line


def write_report(folder: Path, version: str, compared: dict, heldout: pd.DataFrame) -> None:
    """heldout.json (both models' metrics and PR curves) and heldout_pr.png (both curves)."""
    y, new_scores, cur_scores = compared["y"], compared["new_scores"], compared["cur_scores"]
    c = compared["card"]
    if not len(y):
        atomic_write_text(folder / REPORT_JSON, json.dumps({"verdict": c["verdict"], "rows": 0}, indent=2) + "\n")
        return
    new, cur, cur_version = c["compared"]["new"] or c["new"], c["current"], c["current_version"]
    curves = {f"new {version}": evaluation.pr_curve(y, new_scores)}
    points = {f"new {version}": (new["recall"], new["precision"])}
    per_language = evaluation.report(y, new_scores, new["threshold"], heldout["language"])["per_language"]
    report = {
        "new_version": version,
        "current_version": cur_version,
        "verdict": c["verdict"],
        "rows": int(len(y)),
        "per_subset": {k: int(v) for k, v in heldout.groupby("subset").size().items()},
        "new": {**new, "per_language": per_language},
        "current": cur,
    }
    if cur_scores is not None and cur is not None:
        curves[f"current {cur_version}"] = evaluation.pr_curve(y, cur_scores)
        points[f"current {cur_version}"] = (cur["recall"], cur["precision"])
    report["pr_curves"] = curves
    if len(set(y.tolist())) == 2:  # a PR curve needs both classes
        evaluation.plot_pr_comparison(curves, points, folder / REPORT_PNG, f"held-out PR curves ({len(y)} ads)")
    elif len(set(compared["y_all"].tolist())) == 2:  # one class left to compare on: the new model alone
        y_all, s_all = compared["y_all"], compared["new_scores_all"]
        curve = {f"new {version}, all {len(y_all)} held-out rows": evaluation.pr_curve(y_all, s_all)}
        evaluation.plot_pr_comparison(curve, {}, folder / REPORT_PNG, f"held-out PR curve ({len(y_all)} ads)")
    atomic_write_text(folder / REPORT_JSON, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
