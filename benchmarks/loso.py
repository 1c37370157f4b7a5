"""Leave-one-source-group-out evaluation on the real quoted lures and legit ads.

    PYTHONPATH=. python benchmarks/loso.py [--shared ../shared/data] [--per-fold 1] [--out FILE]
    PYTHONPATH=. python benchmarks/loso.py --extra-heldout [--out FILE]

Default mode: every source article of quoted_dev.csv and quoted_dev_extra.csv (its
`source_group`) is held out in turn; the model is trained without it, its threshold chosen
on grouped out-of-fold scores of the training rows only (inner CV), and the held-out rows
are scored at that threshold. The legit corpora are spread over the same folds by employer
group, so every real row is scored exactly once by a model that never saw it or its
near-duplicates. Seed rows always train and are never reported. `--per-fold K` holds out K
source groups per fold (K=1 is strict leave-one-out; larger K is faster, still never scores
a row with a model that saw its group).

`--extra-heldout`: one model trained without quoted_dev_extra.csv (seed, quoted_dev.csv,
corpora), threshold from its grouped OOF scores, scores quoted_dev_extra.csv: the figure the
shipped model is compared on (37% of 38 lures, 12% of 25 legit before this wave).

Prints recall and false-positive rate per language, for one-line texts, and overall.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier.datasets import QUOTED_FILES, load_seed, load_shared  # noqa: E402
from classifier.model import DEFAULT_PARAMS, build_pipeline, fit_with_threshold  # noqa: E402
from classifier.trainset import threshold_rows, training_frame  # noqa: E402
from config import TrainingConfig  # noqa: E402

DEFAULT_SHARED = ROOT.parent / "shared" / "data"
QUOTED = tuple(QUOTED_FILES)  # the subsets of real quoted ads
TRAINING = TrainingConfig()  # as `pipeline.py train` with the default config


@dataclass(frozen=True)
class Fitting:
    """How every fold is trained: model parameters and the threshold rules."""

    params: dict
    inner: int
    target_recall: float
    threshold_on_real: bool = True
    fpr_cap: float | None = TRAINING.max_false_positive_rate


def _fit(df: pd.DataFrame, how: Fitting):
    return fit_with_threshold(
        build_pipeline(**{**DEFAULT_PARAMS, **how.params}),
        df,
        df["label"].to_numpy(int),
        df["gid"].to_numpy(),
        target_recall=how.target_recall,
        n_splits=how.inner,
        sample_weight=df["weight"].to_numpy(float),
        max_fpr=TRAINING.threshold_fpr,
        fpr_cap=how.fpr_cap,
        eval_mask=threshold_rows(df) if how.threshold_on_real else None,
    )


def _one_line(text: str) -> bool:
    return "\n" not in text.strip() and len(text.strip()) <= 120


def _report(scored: pd.DataFrame, title: str) -> str:
    lines = [title, f"{'part':<28}{'recall (lures)':>18}{'FPR (legit)':>18}"]

    def row(name: str, part: pd.DataFrame) -> None:
        flagged = part["score"] >= part["threshold"]
        scam, legit = part["label"] == 1, part["label"] == 0
        rec = f"{flagged[scam].mean():.2f} ({int(scam.sum())})" if scam.any() else "-"
        fpr = f"{flagged[legit].mean():.3f} ({int(legit.sum())})" if legit.any() else "-"
        lines.append(f"{name:<28}{rec:>18}{fpr:>18}")

    quoted = scored[scored["subset"].isin(QUOTED) & ~scored["short"]]
    row("quoted, all", quoted)
    for subset, part in quoted.groupby("subset"):
        row(f"  {subset}", part)
    row("quoted, one-line texts", quoted[quoted["one_line"]])
    for lang, part in quoted.groupby("language"):
        row(f"  quoted, {lang}", part)
    corpora = scored[~scored["subset"].isin(QUOTED)]
    row("legit corpora, full ads", corpora[~corpora["short"]])
    for subset, part in corpora[~corpora["short"]].groupby("subset"):
        row(f"  {subset}", part)
    row("legit corpora, opening lines", corpora[corpora["short"]])
    lures = quoted[quoted["label"] == 1]
    per_group = lures.assign(hit=lures["score"] >= lures["threshold"]).groupby("group")["hit"].mean()
    lines.append(f"quoted lures averaged per source article: {per_group.mean():.2f} ({len(per_group)} articles)")
    return "\n".join(lines)


def loso(df: pd.DataFrame, per_fold: int, how: Fitting) -> pd.DataFrame:
    """Out-of-fold scores of every real (non-seed, full-ad or opening-line) row."""
    real = (df["subset"] != "seed").to_numpy()
    quoted_gids = sorted(set(df.loc[df["subset"].isin(QUOTED), "gid"]))
    # A source article may share a near-duplicate cluster with another: gid already merges them.
    folds = [quoted_gids[i : i + per_fold] for i in range(0, len(quoted_gids), per_fold)]
    other = sorted(set(df.loc[real & ~df["subset"].isin(QUOTED), "gid"]) - set(quoted_gids))
    rng = np.random.default_rng(0)
    rng.shuffle(other)
    for i, g in enumerate(other):
        folds[i % len(folds)].append(g)
    out = df[real].copy()
    out["score"], out["threshold"] = np.nan, np.nan
    for k, held in enumerate(folds):
        t0 = time.time()
        test = df["gid"].isin(held).to_numpy()
        fit = _fit(df[~test], how)
        te = test & real
        out.loc[df.index[te], "score"] = fit.pipeline.predict_proba(df[te])[:, 1]
        out.loc[df.index[te], "threshold"] = fit.threshold
        print(
            f"fold {k + 1}/{len(folds)}: {te.sum()} rows held out, threshold {fit.threshold:.3f}, "
            f"{time.time() - t0:.0f}s",
            flush=True,
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    ap.add_argument("--per-fold", type=int, default=1)
    ap.add_argument("--inner", type=int, default=3)
    ap.add_argument("--target-recall", type=float, default=0.9)
    ap.add_argument("--extra-heldout", action="store_true")
    ap.add_argument("--threshold-on-all", action="store_true", help="choose the threshold on seed rows too (before)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--no-fpr-cap", action="store_true", help="let the threshold flag any share of legit rows (before)")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="model parameter override")
    ap.add_argument(
        "--dump", type=Path, help="write every scored row (subset, language, label, score, threshold) as CSV"
    )
    args = ap.parse_args(argv)
    if not args.shared.is_dir():
        print(f"skipped: {args.shared} not found (third-party data is not part of the repository)")
        return 0
    how = Fitting(
        params={k: float(v) for k, v in (p.split("=", 1) for p in args.param)},
        inner=args.inner,
        target_recall=args.target_recall,
        threshold_on_real=not args.threshold_on_all,
        fpr_cap=None if args.no_fpr_cap else TRAINING.max_false_positive_rate,
    )
    t0 = time.time()
    df = training_frame([load_seed(ROOT / "data" / "seed"), load_shared(args.shared)])
    df["one_line"] = df["description"].map(_one_line) & (df["title"].str.strip() == "")
    if args.extra_heldout:
        test = (df["subset"] == "quoted_extra").to_numpy().copy()
        # Nothing of the extra file, nor anything near-duplicate of it, trains.
        test |= df["gid"].isin(set(df.loc[test, "gid"])).to_numpy()
        fit = _fit(df[~test], how)
        scored = df[test & (df["subset"] == "quoted_extra").to_numpy() & ~df["short"].to_numpy()].copy()
        scored["score"] = fit.pipeline.predict_proba(scored)[:, 1]
        scored["threshold"] = fit.threshold
        title = (
            f"quoted_dev_extra.csv scored by a model trained without it (seed + quoted_dev + corpora), "
            f"threshold {fit.threshold:.3f} from grouped OOF scores"
        )
    else:
        scored = loso(df, args.per_fold, how)
        title = (
            f"leave-one-source-group-out ({args.per_fold} source group(s) per fold), threshold per fold "
            f"from an inner {args.inner}-fold grouped CV on the training rows"
        )
    if args.dump:
        scored[["subset", "language", "label", "short", "one_line", "group", "score", "threshold"]].to_csv(args.dump)
    text = _report(scored, title)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    text += f"\n{len(df)} rows in the frame; {time.time() - t0:.0f}s; load average {load}\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
