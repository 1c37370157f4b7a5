"""The train stage: the one way every model is trained, the shipped one included.

Data, in this order (a later source's label wins for the same text, see
classifier.trainset): the seed set (``training.seed_dir``), every entry of
``training.extra_data`` (data folders and labelled files; a missing entry is
reported and skipped), the ``--data`` files, and every review item decided scam or
legit (unless ``decisions`` is off: then the database is not read at all).

By default whole groups (campaign, near-duplicate cluster, seed variant, employer)
are held out: the new model is fitted, and its threshold chosen by grouped
cross-validation, on the rest only, and it is compared with the current model on
the held-out rows, so the figures in its card are honest figures for what gets
promoted. With ``all_rows`` every row is fitted and nothing is compared (the
shipped model: ``python pipeline.py train --all-rows --no-decisions --promote``);
its threshold still comes from grouped out-of-fold scores.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from classifier import datasets, evaluation, registry, trainset
from classifier.card import build_card
from classifier.model import DEFAULT_PARAMS, build_pipeline, fit_with_threshold
from classifier.retrain import (
    PROMOTION_TOLERANCE,
    HoldoutSplit,
    format_comparison,
    holdout_split,
    model_summary,
    promotion_verdict,
)
from config import Config
from core.files import atomic_write_text
from stages.common import database
from stages.models import Promotion, format_promotion, promote
from store.training import decided_rows

log = logging.getLogger(__name__)

REPORT_JSON = "heldout.json"
REPORT_PNG = "heldout_pr.png"


@dataclass(frozen=True)
class TrainRequest:
    """What `pipeline.py train` was asked to do."""

    data: tuple[Path, ...] = ()  # more labelled files, for this training only
    eval: tuple[Path, ...] = ()  # labelled files to compare on instead of a held-out split
    all_rows: bool = False  # fit every row; no comparison
    decisions: bool = True  # read the analysts' decisions from the database
    promote: bool = False
    force: bool = False

    def command(self) -> str:
        """The command line that makes this model (recorded in its card)."""
        flags = [f"--data {p}" for p in self.data] + [f"--eval {p}" for p in self.eval]
        flags += [f for f, on in (("--all-rows", self.all_rows), ("--no-decisions", not self.decisions)) if on]
        flags += [f for f, on in (("--promote", self.promote), ("--force", self.force)) if on]
        return " ".join(["python pipeline.py train", *flags])


@dataclass(frozen=True)
class DataSource:
    """One source of training rows, as the training summary lists it."""

    name: str
    rows: int
    note: str = ""


@dataclass
class TrainOutcome:
    """A trained, saved (not yet promoted) model and how it compares with the current one."""

    version: str
    card: dict
    current_version: str | None
    new: dict | None
    current: dict | None
    promote_ok: bool
    reason: str
    table: str | None
    fitted_rows: np.ndarray = field(repr=False)  # positions in the training frame used for fitting
    heldout_rows: np.ndarray = field(repr=False)  # positions kept out for the comparison
    decisions: int = 0
    sources: list[DataSource] = field(default_factory=list)


@dataclass
class TrainReport:
    """What `pipeline.py train` did: the model, and its promotion or why it was refused."""

    outcome: TrainOutcome
    folder: Path
    promotion: Promotion | None = None
    refused: str | None = None


def read_decisions(config: Config) -> list[dict]:
    """Decided (scam/legit) review items from the configured database."""
    with database(config) as factory, factory() as session:
        return decided_rows(session)


def _name(config: Config, path: Path) -> str:
    """A path as the config names it: relative to the config's folder when it can be."""
    return os.path.relpath(path, config.base_dir) if path.is_absolute() else str(path)


def gather(
    config: Config, data_paths: Sequence[Path] = (), decisions: Sequence[dict] | None = None
) -> tuple[list[pd.DataFrame], list[DataSource]]:
    """The training rows of every source, in order, and what each brought.

    ``decisions`` None means they were not read (--no-decisions), which the summary says.
    """
    parts = [datasets.load_seed(config.training.seed_dir)]
    sources = [DataSource(f"seed: {_name(config, config.training.seed_dir)}", len(parts[0]))]
    for path in config.training.extra_data:
        if not path.exists():
            log.warning("training.extra_data: %s does not exist; skipped", path)
            sources.append(DataSource(_name(config, path), 0, "missing: skipped"))
            continue
        parts.append(datasets.load_extra(path))
        sources.append(DataSource(_name(config, path), len(parts[-1]), "" if len(parts[-1]) else "no usable rows"))
    for path in data_paths:
        parts.append(datasets.load_labelled_file(path))
        sources.append(DataSource(f"{path} (--data)", len(parts[-1])))
    parts.append(datasets.decision_frame(decisions or []))
    note = "not read: --no-decisions" if decisions is None else ""
    sources.append(DataSource("analysts' decisions", len(parts[-1]), note))
    return parts, sources


def _fixed_split(df: pd.DataFrame, eval_paths: Sequence[Path]) -> tuple[pd.DataFrame, HoldoutSplit]:
    """Training frame + labelled evaluation files as the held-out part; training rows with
    the same text as an evaluation row are dropped, so the model never fits on them."""
    gold = pd.concat([datasets.load_labelled_file(p) for p in eval_paths], ignore_index=True)
    gold["gid"] = -1
    keys = set(gold.apply(trainset.content_key, axis=1))
    df = df[~df.apply(trainset.content_key, axis=1).isin(keys).to_numpy()]
    both = pd.concat([df, gold[df.columns]], ignore_index=True)
    n = len(df)
    return both, HoldoutSplit(np.arange(n), np.arange(n, len(both)))


def _split(config: Config, df: pd.DataFrame, eval_paths: Sequence[Path], all_rows: bool, seed: int):
    if all_rows:
        return df, HoldoutSplit(np.arange(len(df)), np.arange(0))
    if eval_paths:
        return _fixed_split(df, eval_paths)
    y, gid = df["label"].to_numpy().astype(int), df["gid"].to_numpy()
    return df, holdout_split(y, gid, config.training.holdout_fraction, seed)


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


def _compare(config: Config, fit, test: pd.DataFrame) -> dict:
    """The new and the current model on the held-out rows, and the verdict."""
    y = test["label"].to_numpy().astype(int)
    max_fpr = config.training.max_false_positive_rate
    new_scores = fit.pipeline.predict_proba(test)[:, 1]
    new = model_summary(y, new_scores, fit.threshold, max_fpr)
    cur, problem = _current(config.models.dir)
    cur_version = cur_sum = cur_scores = None
    if cur is not None:
        cur_pipe, cur_card = cur
        cur_version = cur_card["version"]
        cur_scores = cur_pipe.predict_proba(test)[:, 1]
        cur_sum = model_summary(y, cur_scores, float(cur_card["threshold"]), max_fpr)
    ok, reason = promotion_verdict(new, cur_sum)
    if problem:
        reason = f"{reason} (the current model cannot be loaded: {problem})"
    return {
        "y": y,
        "new_scores": new_scores,
        "cur_scores": cur_scores,
        "card": {
            "rows": int(len(test)),
            "new": new,
            "current": cur_sum,
            "current_version": cur_version,
            "verdict": reason,
            "not_worse": ok,
            "tolerance": PROMOTION_TOLERANCE,
        },
    }


def train_candidate(
    config: Config,
    decisions: Sequence[dict] | None = (),
    extra_paths: Sequence[Path] = (),
    *,
    eval_paths: Sequence[Path] = (),
    all_rows: bool = False,
    command: str = "python pipeline.py train",
    progress: bool | None = None,
    params: dict | None = None,
) -> TrainOutcome:
    """Train a new model and save it (never promotes).

    Unless ``all_rows``, it and the current model are compared on the same held-out rows:
    a grouped split of the training data, or, with ``eval_paths``, those labelled files (a
    fixed gold set keeps comparisons stable across retrains, and stays trustworthy when the
    training labels are not); heldout.json and heldout_pr.png go into its folder.
    """
    show = sys.stderr.isatty() if progress is None else progress
    params = {**DEFAULT_PARAMS, **(params or {})}
    parts, sources = gather(config, extra_paths, decisions)
    df, split = _split(config, trainset.training_frame(parts), eval_paths, all_rows, params["random_state"])
    train, test = df.iloc[split.train], df.iloc[split.test]
    # The threshold must reach the target recall on what we actually score: full ads AND
    # short texts (titles, opening lines, Telegram one-liners). Chosen on full ads only it
    # sat at 0.71 and caught about half the short lures (the real lures that news reports
    # and government warnings quote, docs/signals.md §2, are mostly fragments).
    fit = fit_with_threshold(
        build_pipeline(**params),
        train,
        train["label"].to_numpy().astype(int),
        train["gid"].to_numpy(),
        target_recall=config.training.target_recall,
        n_splits=config.training.n_splits,
        random_state=params["random_state"],
        sample_weight=train["weight"].to_numpy(float),
        progress=show,
    )
    compared = None if all_rows else _compare(config, fit, test)
    heldout = None
    if compared is not None:
        heldout = {**compared["card"], "fraction": None if eval_paths else config.training.holdout_fraction}
        heldout["files"] = [str(p) for p in eval_paths]
    n_decisions = len(parts[-1])  # gather() puts the decisions last
    card = build_card(
        fit,
        train,
        df,
        params=params,
        target_recall=config.training.target_recall,
        sources=[{"name": s.name, "rows": s.rows, **({"note": s.note} if s.note else {})} for s in sources],
        decisions=n_decisions,
        command=command,
        heldout=heldout,
    )
    version = registry.save_model(config.models.dir, fit.pipeline, card)
    if compared is None:
        ok, reason, table = True, "not compared: --all-rows fits every row, none is held out", None
    else:
        c = compared["card"]
        ok, reason = c["not_worse"], c["verdict"]
        _write_report(config.models.dir / version, version, compared, test)
        table = format_comparison(version, c["new"], c["current_version"], c["current"])
    c = compared["card"] if compared else {}
    return TrainOutcome(
        version,
        registry.read_card(config.models.dir, version),
        c.get("current_version"),
        c.get("new"),
        c.get("current"),
        ok,
        reason,
        table,
        train.index.to_numpy(),
        test.index.to_numpy(),
        n_decisions,
        sources,
    )


def _write_report(folder: Path, version: str, compared: dict, heldout: pd.DataFrame) -> None:
    """heldout.json (both models' metrics and PR curves) and heldout_pr.png (both curves)."""
    y, new_scores, cur_scores = compared["y"], compared["new_scores"], compared["cur_scores"]
    c = compared["card"]
    new, cur, cur_version = c["new"], c["current"], c["current_version"]
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
    evaluation.plot_pr_comparison(curves, points, folder / REPORT_PNG, f"held-out PR curves ({len(y)} ads)")
    atomic_write_text(folder / REPORT_JSON, json.dumps(report, indent=2, ensure_ascii=False) + "\n")


def train(config: Config, request: TrainRequest, *, progress: bool | None = None) -> TrainReport:
    """`pipeline.py train`: train, save, and promote when asked and not worse (or forced)."""
    decisions = read_decisions(config) if request.decisions else None
    outcome = train_candidate(
        config,
        decisions,
        request.data,
        eval_paths=request.eval,
        all_rows=request.all_rows,
        command=request.command(),
        progress=progress,
    )
    report = TrainReport(outcome, config.models.dir / outcome.version)
    if not request.promote:
        return report
    if not (outcome.promote_ok or request.force):
        v = outcome.version
        report.refused = (
            f"not promoted: {outcome.reason}; model {v} kept "
            f"(`pipeline.py models promote {v}` or --force to use it anyway)"
        )
        return report
    reason = "train --all-rows --promote" if request.all_rows else "train --promote"
    report.promotion = promote(config, outcome.version, reason + ("" if outcome.promote_ok else " --force"))
    return report


def format_train(report: TrainReport) -> str:
    """The training summary: data sources, the model, the comparison, the verdict, files."""
    o = report.outcome
    t = o.card["training"]
    lines = ["training data:"]
    width = max(len(s.name) for s in o.sources)
    lines += [f"  {s.name:<{width}}  {s.rows:>6} rows" + (f"  ({s.note})" if s.note else "") for s in o.sources]
    lines.append(
        f"model {o.version}: {t['rows']} training rows ({o.decisions} analyst decisions), "
        f"fitted on {t['fitted_rows']}, threshold {o.card['threshold']:.4f}"
    )
    if o.table:
        lines += [o.table, f"verdict: {o.reason}"]
        lines.append(f"report: {report.folder / REPORT_JSON}, PR curves: {report.folder / REPORT_PNG}")
    else:
        cv = o.card["cv"]["full_ads"]

        def fmt(v: float | None) -> str:
            return "n/a" if v is None else f"{v:.3f}"

        lines.append(
            f"grouped-CV on full ads: recall {fmt(cv['recall'])}, FPR {fmt(cv['false_positive_rate'])}, "
            f"PR-AUC {fmt(cv['pr_auc'])} ({o.reason})"
        )
    if report.promotion is not None:
        lines.append(format_promotion(report.promotion))
    return "\n".join(lines)


def heldout_report(config: Config, version: str) -> dict | None:
    """A saved version's heldout.json (both models' metrics and PR curves), if it has one."""
    root = config.models.dir
    if version not in registry.list_versions(root):
        return None
    path = root / version / REPORT_JSON
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("%s: unreadable held-out report: %s", path, exc)
        return None
    return report if isinstance(report, dict) else None
