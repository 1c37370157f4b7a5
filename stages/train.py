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

from classifier import adfiles, datasets, neighbours, registry, trainset
from classifier.card import build_card
from classifier.errors import ClassifierError
from classifier.model import DEFAULT_PARAMS, build_pipeline, fit_with_threshold
from classifier.retrain import (
    HoldoutSplit,
    format_comparison,
    holdout_split,
)
from config import Config
from core.ad import TEXT_FIELDS, model_text
from stages.common import database, missing_database
from stages.comparison import (
    REPORT_JSON,
    REPORT_PNG,
    compare,
    compared_rows_text,
    identical_version,
    row_keys,
    write_report,
)
from stages.models import Promotion, format_promotion, promote
from store.training import decided_rows

log = logging.getLogger(__name__)


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
    identical: bool = False  # nothing trained: ``version`` is the identical saved model


@dataclass
class TrainReport:
    """What `pipeline.py train` did: the model, and its promotion or why it was refused."""

    outcome: TrainOutcome
    folder: Path
    promotion: Promotion | None = None
    refused: str | None = None


def read_decisions(config: Config) -> list[dict] | None:
    """Decided (scam/legit) review items from the configured database; None when it does not
    exist yet (a fresh clone: nothing has been decided, and training must not create it)."""
    if missing_database(config):
        log.info("no database at %s: training without analysts' decisions", config.database.url)
        return None
    with database(config, create=False) as factory, factory() as session:
        return decided_rows(session)


def check_request(config: Config, request: TrainRequest) -> None:
    """Refuse missing, unknown or oversized --data/--eval files before any data is loaded."""
    for flag, paths in (("--data", request.data), ("--eval", request.eval)):
        for path in paths:
            if not Path(path).is_file():
                raise ClassifierError(f"{flag} {path}: no such file")
            adfiles.file_format(path)
            size = Path(path).stat().st_size
            if size > config.training.max_data_mb * 1e6:
                raise ClassifierError(
                    f"{flag} {path}: {size / 1e6:,.0f} MB is more than training.max_data_mb "
                    f"({config.training.max_data_mb:g}); training holds every row in memory (about 50 times "
                    f"the file size): sample the file, or raise the limit"
                )


def _name(config: Config, path: Path) -> str:
    """A path as the config names it: relative to the config's folder when it can be."""
    return os.path.relpath(path, config.base_dir) if path.is_absolute() else str(path)


def gather(
    config: Config,
    data_paths: Sequence[Path] = (),
    decisions: Sequence[dict] | None = None,
    decisions_note: str = "not read: --no-decisions",
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
        parts.append(datasets.load_extra(path, config.training.max_data_mb))
        sources.append(DataSource(_name(config, path), len(parts[-1]), "" if len(parts[-1]) else "no usable rows"))
    for path in data_paths:
        parts.append(datasets.load_labelled_file(path, config.training.max_data_mb))
        sources.append(DataSource(f"{path} (--data)", len(parts[-1])))
    parts.append(datasets.decision_frame(decisions or []))
    note = decisions_note if decisions is None else ""
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
    decisions_note: str = "not read: --no-decisions",
) -> TrainOutcome:
    """Train a new model and save it (never promotes).

    Unless ``all_rows``, it and the current model are compared on the same held-out rows,
    less those the current model was fitted on: a grouped split of the training data, or,
    with ``eval_paths``, those labelled files (a fixed gold set keeps comparisons stable
    across retrains, and stays trustworthy when the training labels are not);
    heldout.json and heldout_pr.png go into its folder. A model identical to a saved one
    (same data, parameters and patterns) is not trained again: the outcome names that
    version and nothing is saved.
    """
    show = sys.stderr.isatty() if progress is None else progress
    params = {**DEFAULT_PARAMS, **(params or {})}
    parts, sources = gather(config, extra_paths, decisions, decisions_note)
    df, split = _split(config, trainset.training_frame(parts), eval_paths, all_rows, params["random_state"])
    train, test = df.iloc[split.train], df.iloc[split.test]
    n_decisions = len(parts[-1])  # gather() puts the decisions last
    patterns = build_pipeline(**params).named_steps["analyse"].fit(df.head(1))
    key = {
        "data_sha256": trainset.data_sha256(df),
        "fitted_rows": int(len(train)),
        "parameters": json.loads(json.dumps(params)),
        "target_recall": config.training.target_recall,
        "threshold_fpr": config.training.threshold_fpr,
        "threshold_fpr_cap": config.training.max_false_positive_rate,
        "indicators_sha256": patterns.indicators_sha256_,
        "gazetteer_sha256": patterns.gazetteer_sha256_,
        "neighbours": neighbours.FORMAT,  # a model saved before the index is not this one
    }
    same = identical_version(config, key)
    if same is not None:
        log.info("identical to %s (data sha256 %s…): nothing trained or saved", same, key["data_sha256"][:12])
        card = registry.read_card(config.models.dir, same)
        reason = f"identical to {same}: same data (sha256 {key['data_sha256'][:12]}…), parameters and patterns"
        return TrainOutcome(
            same, card, None, None, None, False, reason, None, train.index.to_numpy(), test.index.to_numpy(),
            n_decisions, sources, identical=True,
        )  # fmt: skip
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
        max_fpr=config.training.threshold_fpr,
        fpr_cap=config.training.max_false_positive_rate,
        eval_mask=trainset.threshold_rows(train),
    )
    compared = None if all_rows else compare(config, fit, test)
    heldout = None
    if compared is not None:
        heldout = {**compared["card"], "fraction": None if eval_paths else config.training.holdout_fraction}
        heldout["files"] = [str(p) for p in eval_paths]
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
    # What a later comparison must leave out: the texts this model was fitted on.
    card["training"]["fitted_row_keys"] = sorted(set(row_keys(train).tolist()))
    card["neighbours"] = attach_seed_index(config, fit.pipeline, df)
    version = registry.save_model(config.models.dir, fit.pipeline, card)
    if compared is None:
        ok, reason, table = True, "not compared: --all-rows fits every row, none is held out", None
    else:
        c = compared["card"]
        ok, reason = c["not_worse"], c["verdict"]
        write_report(config.models.dir / version, version, compared, compared["rows"])
        table = format_comparison(version, c["compared"]["new"] or c["new"], c["current_version"], c["current"])
        table += "\n" + compared_rows_text(c)
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


def attach_seed_index(config: Config, pipeline, frame: pd.DataFrame) -> dict:
    """Store the seed lures in the fitted model as its known-lure index (classifier.neighbours);
    what the card says about it.

    Only our own seed rows (``training.seed_dir``) go in: the model may be trained on third-
    party text, but that text never goes into the artefact. A seed lure whose text a later
    source labels legit (an analyst's decision) is left out, as training left it out.
    """
    seed = frame[(frame["subset"] == "seed") & (frame["label"] == 1) & ~frame["short"].astype(bool)]
    kept = {model_text(r) for r in seed[list(TEXT_FIELDS)].to_dict("records")}
    where = _name(config, config.training.seed_dir)
    lures = [x for x in datasets.seed_lures(config.training.seed_dir, where) if x.text in kept]
    index = neighbours.build_index(pipeline, lures, "seed")
    neighbours.attach(pipeline, index)
    files: dict[str, int] = {}
    for x in lures:
        files[x.source] = files.get(x.source, 0) + 1
    log.info("known-lure index: %d seed lures", len(lures))
    return {
        "format": neighbours.FORMAT,
        "kind": "seed",
        "rows": len(lures),
        "files": files,
        "similarity": "cosine of the model's TF-IDF text vectors",
        "note": "our own seed lures only (file, row id, provenance); third-party training text is never stored",
    }


def train(config: Config, request: TrainRequest, *, progress: bool | None = None) -> TrainReport:
    """`pipeline.py train`: train, save, and promote when asked and not worse (or forced)."""
    check_request(config, request)
    decisions, note = None, "not read: --no-decisions"
    if request.decisions:
        decisions = read_decisions(config)
        note = "" if decisions is not None else f"no database at {config.database.url}: none read"
    outcome = train_candidate(
        config,
        decisions,
        request.data,
        eval_paths=request.eval,
        all_rows=request.all_rows,
        command=request.command(),
        progress=progress,
        decisions_note=note,
    )
    report = TrainReport(outcome, config.models.dir / outcome.version)
    if not request.promote or outcome.identical and _current_name(config.models.dir) == outcome.version:
        return report
    if outcome.identical:  # the saved twin's own verdict stands
        heldout = outcome.card.get("heldout") or {}
        outcome.promote_ok = heldout.get("not_worse", True)
        outcome.reason = f"{outcome.reason}; its verdict: {heldout.get('verdict', 'not compared')}"
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


def _current_name(models_dir: Path) -> str | None:
    try:
        return registry.current_version(models_dir)
    except registry.ModelError:
        return None


def format_train(report: TrainReport) -> str:
    """The training summary: data sources, the model, the comparison, the verdict, files."""
    o = report.outcome
    t = o.card["training"]
    lines = ["training data:"]
    width = max(len(s.name) for s in o.sources)
    lines += [f"  {s.name:<{width}}  {s.rows:>6} rows" + (f"  ({s.note})" if s.note else "") for s in o.sources]
    if not o.identical:
        lines.append(
            f"model {o.version}: {t['rows']} training rows ({o.decisions} analyst decisions), "
            f"fitted on {t['fitted_rows']}, threshold {o.card['threshold']:.4f}"
        )
    if o.identical:
        current = _current_name(report.folder.parent)
        lines.append(f"{o.reason}; nothing saved")
        if report.promotion is not None:
            lines.append(format_promotion(report.promotion))
        elif current == o.version:
            lines.append(f"{o.version} is already the current model")
        else:
            lines.append(f"to use it: pipeline.py models promote {o.version} (current: {current or 'none'})")
        return "\n".join(lines)
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
