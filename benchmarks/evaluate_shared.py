"""Honest held-out evaluation on ../shared/data with grouped splits (retrains per fold).

    python benchmarks/evaluate_shared.py [--folds 5] [--shared ../shared/data] [--json out.json]

The shipped model trains on the shared data, so its own scores on those rows mean nothing.
Here every outer fold retrains the whole pipeline (threshold included, chosen by an inner
grouped CV on the training fold only) and scores the held-out fold. Groups: seed variants,
quoted_dev by `source_group`, corpora by `company`, merged with MinHash near-duplicate
clusters; short versions (title or opening line) stay in their ad's group.

Prints recall on scam ads and false-positive rate on legit ads, for full ads and for short
texts, per subset and per language. Also scores EMSCAD's raw fraud ads (never trained on)
as an out-of-domain check. Skips with a message if ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier.datasets import load_seed, load_shared  # noqa: E402
from classifier.model import DEFAULT_PARAMS, build_pipeline, fit_with_threshold, metrics  # noqa: E402
from classifier.trainset import training_frame  # noqa: E402

DEFAULT_SHARED = ROOT.parent / "shared" / "data"


def held_out_scores(
    df: pd.DataFrame, folds: int, inner: int, target_recall: float, params: dict | None = None
) -> pd.DataFrame:
    """Out-of-fold score and fold threshold for every row (full and short)."""
    y = df["label"].to_numpy(int)
    out = df[["subset", "language", "label", "short"]].copy()
    out["score"], out["threshold"], out["fold"] = np.nan, np.nan, -1
    full = ~df["short"].to_numpy(bool)
    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
    # Split on full ads; each short version follows its ad through the shared group id.
    gid = df["gid"].to_numpy()
    for k, (_, te_full) in enumerate(cv.split(np.zeros(full.sum()), y[full], gid[full])):
        te_groups = set(gid[full][te_full])
        te = np.isin(gid, list(te_groups))
        tr = ~te
        t0 = time.time()
        fit = fit_with_threshold(
            build_pipeline(**{**DEFAULT_PARAMS, **(params or {})}),
            df[tr],
            y[tr],
            gid[tr],
            target_recall=target_recall,
            n_splits=inner,
            sample_weight=df.loc[tr, "weight"].to_numpy(float),
            eval_mask=None,
        )  # as train_model: full ads and short versions
        out.loc[te, "score"] = fit.pipeline.predict_proba(df[te])[:, 1]
        out.loc[te, "threshold"] = fit.threshold
        out.loc[te, "fold"] = k
        print(
            f"fold {k + 1}/{folds}: trained on {tr.sum()} rows, scored {te.sum()} held-out rows "
            f"(threshold {fit.threshold:.3f}, {time.time() - t0:.0f}s)",
            flush=True,
        )
    return out


def _rates(part: pd.DataFrame) -> dict:
    flagged = part["score"] >= part["threshold"]
    scam, legit = part["label"] == 1, part["label"] == 0
    return {
        "n_scam": int(scam.sum()),
        "n_legit": int(legit.sum()),
        "recall": float(flagged[scam].mean()) if scam.any() else None,
        "fpr": float(flagged[legit].mean()) if legit.any() else None,
    }


def _fmt(r: dict) -> str:
    rec = f"{r['recall']:.2f} ({r['n_scam']})" if r["recall"] is not None else "   -    "
    fpr = f"{r['fpr']:.3f} ({r['n_legit']})" if r["fpr"] is not None else "   -     "
    return f"recall {rec:>12}   FPR {fpr:>12}"


def summarise(scored: pd.DataFrame) -> dict:
    """Tables by text kind (full/short) x subset and x language."""
    res: dict = {}
    for kind, part in (("full", scored[~scored["short"]]), ("short", scored[scored["short"]])):
        res[kind] = {
            "all": _rates(part),
            "shared_only": _rates(part[part["subset"] != "seed"]),
            "by_subset": {s: _rates(p) for s, p in part.groupby("subset")},
            "by_language": {lang: _rates(p) for lang, p in part.groupby("language")},
            "shared_by_language": {lang: _rates(p) for lang, p in part[part["subset"] != "seed"].groupby("language")},
        }
        # Threshold-free ranking quality per fold is comparable; pooled it is indicative only.
        m = metrics(part["label"].to_numpy(), part["score"].to_numpy(), 0.5)
        res[kind]["pooled_pr_auc"], res[kind]["pooled_roc_auc"] = m["pr_auc"], m["roc_auc"]
    return res


def emscad_check(shared: Path) -> dict | None:
    """Share of EMSCAD's raw fraud ads the shipped model flags (out of domain; info only)."""
    path = shared / "emscad" / "partial_emscad_fraud_only_raw_259.csv"
    if not path.is_file():
        return None
    from classifier import registry
    from classifier.scoring import score_frame

    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    ads = pd.DataFrame(
        {
            "title": raw["title"],
            "location": raw["location"],
            "salary": raw["salary_range"],
            "description": raw["company_profile"] + "\n" + raw["description"] + "\n" + raw["requirements"],
        }
    )
    pipeline, card = registry.load_model(ROOT / "models", "current")
    scored = score_frame(pipeline, ads, float(card["threshold"]))
    return {"n": int(len(ads)), "flagged_share": float(scored["flagged"].mean()), "model": card["version"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--inner", type=int, default=3)
    ap.add_argument("--target-recall", type=float, default=0.9)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a model parameter, e.g. --param signal_weight=2 (for experiments)",
    )
    args = ap.parse_args(argv)
    if not args.shared.is_dir():
        print(f"skipped: {args.shared} not found (third-party data is not part of the repository)")
        return 0
    logging.basicConfig(level=logging.WARNING)
    df = training_frame([load_seed(ROOT / "data" / "seed"), load_shared(args.shared)])
    print(
        f"{len(df)} rows ({int(df['short'].sum())} short versions), {df['gid'].nunique()} groups; "
        f"{args.folds}-fold StratifiedGroupKFold, threshold per fold from an inner {args.inner}-fold grouped CV"
    )
    params = {k: float(v) for k, v in (p.split("=", 1) for p in args.param)}
    scored = held_out_scores(df, args.folds, args.inner, args.target_recall, params)
    res = summarise(scored)
    res["emscad_fraud_raw"] = emscad_check(args.shared)
    for kind in ("full", "short"):
        r = res[kind]
        print(
            f"\n== {kind} texts (held out) ==   pooled PR-AUC {r['pooled_pr_auc']:.3f}  ROC-AUC {r['pooled_roc_auc']:.3f}"
        )
        print(f"{'all rows':<24}{_fmt(r['all'])}")
        print(f"{'shared data only':<24}{_fmt(r['shared_only'])}")
        for name, rr in r["by_subset"].items():
            print(f"  subset {name:<22}{_fmt(rr)}")
        for name, rr in r["by_language"].items():
            print(f"  language {name:<20}{_fmt(rr)}")
        for name, rr in r["shared_by_language"].items():
            print(f"  shared data, {name:<17}{_fmt(rr)}")
    if res["emscad_fraud_raw"]:
        e = res["emscad_fraud_raw"]
        print(
            f"\nEMSCAD raw fraud ads (generic fraud, never trained on): {e['flagged_share']:.1%} of {e['n']} flagged "
            f"by the shipped model {e['model']} (low is expected: not trafficking lures)"
        )
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
