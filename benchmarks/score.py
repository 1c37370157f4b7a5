"""Scoring speed and memory: the lurewatch model against a plain word TF-IDF baseline.

    python benchmarks/score.py [--n 20000] [--models-dir models] [--model current]

Generates N ads from variations of the seed data (sentences recombined within a language
and class, titles swapped), trains the baseline (word 1-2-gram TF-IDF + LogisticRegression)
on the same training rows as the shipped model, then scores the ads in batches of 2,000,
each model in its own fresh process so peak RSS is its own. Prints ads/s and peak RSS.
The text-only row times just the multilingual text representation (normalise, tokenise,
TF-IDF), the counterpart of the baseline's word TF-IDF.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import re
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 2_000


def generate_ads(n: int, seed: int = 7):
    """N ads recombined from seed sentences (deterministic)."""
    import pandas as pd

    seed_df = pd.read_csv(ROOT / "data" / "seed" / "seed_ads.csv", dtype=str, keep_default_na=False)
    rng = random.Random(seed)
    pools: dict[tuple[str, str], list[str]] = {}
    for r in seed_df.itertuples():
        for s in re.split(r"(?<=[.!?。])\s+", r.description):
            if s.strip():
                pools.setdefault((r.language, r.label), []).append(s.strip())
    rows = seed_df.to_dict("records")
    out = []
    for i in range(n):
        base = rng.choice(rows)
        pool = pools.get((base["language"], base["label"]), [base["description"]])
        k = rng.randint(2, 8)
        desc = " ".join(rng.sample(pool, min(k, len(pool))))
        title = rng.choice(rows)["title"] if rng.random() < 0.2 else base["title"]
        out.append(
            {
                "id": f"bench-{i}",
                "title": title,
                "description": desc,
                "company": base["company"],
                "location": base["location"],
                "salary": base["salary"],
            }
        )
    return pd.DataFrame(out)


def _train_baseline(models_dir: Path, version: str):
    """Word 1-2-gram TF-IDF + LogisticRegression on the shipped model's training rows."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from classifier.trainset import training_frame
    from config import load_config
    from stages.train import gather

    # The data the shipped config trains on: seed + training.extra_data (when present).
    parts, _ = gather(load_config(Path(__file__).resolve().parent.parent / "config.yaml"))
    df = training_frame(parts)
    text = df["title"] + "\n" + df["company"] + "\n" + df["location"] + "\n" + df["salary"] + "\n" + df["description"]
    base = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        LogisticRegression(class_weight="balanced", max_iter=3000),
    )
    base.fit(text, df["label"].astype(int))
    return base


def _child(kind: str, n: int, models_dir: str, version: str, queue) -> None:
    ads = generate_ads(n)
    if kind == "baseline":
        model = _train_baseline(Path(models_dir), version)
        texts = (
            ads["title"]
            + "\n"
            + ads["company"]
            + "\n"
            + ads["location"]
            + "\n"
            + ads["salary"]
            + "\n"
            + ads["description"]
        )
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        for i in range(0, n, BATCH):
            model.predict_proba(texts.iloc[i : i + BATCH])
    elif kind == "lurewatch-text-only":
        # The text representation alone (normalise, script-aware tokens, TF-IDF): the part
        # of the model that stands in for the baseline's word TF-IDF. The design
        # question is whether a multilingual representation can be as fast as word n-grams.
        from classifier import registry
        from classifier.extract import ad_text, coerce_ads
        from classifier.normalize import normalize_batch
        from classifier.tokens import tokenize

        pipeline, card = registry.load_model(Path(models_dir), version)
        vec = pipeline.named_steps["features"].named_transformers_["text"]
        raw = [ad_text(r) for r in coerce_ads(ads).to_dict("records")]  # like the baseline's joined text
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        for i in range(0, n, BATCH):
            texts = normalize_batch(raw[i : i + BATCH]).texts()
            vec.transform([tokenize(t) for t in texts])
    elif kind == "lurewatch-2-processes":
        from classifier import registry
        from stages.classify import score_chunks

        pipeline, card = registry.load_model(Path(models_dir), version)
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        chunks = (ads.iloc[i : i + BATCH] for i in range(0, n, BATCH))
        for _ in score_chunks(pipeline, chunks, float(card["threshold"]), 2, Path(models_dir), card["version"]):
            pass
    else:
        from classifier import registry
        from classifier.scoring import score_frame

        pipeline, card = registry.load_model(Path(models_dir), version)
        thr = float(card["threshold"])
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        for i in range(0, n, BATCH):
            chunk = ads.iloc[i : i + BATCH]
            if kind == "lurewatch":
                score_frame(pipeline, chunk, thr)  # scores + bands + reasons with evidence
            else:
                pipeline.predict_proba(chunk)  # scores only
    dt = time.perf_counter() - t0
    queue.put(
        {
            "kind": kind,
            "seconds": dt,
            "ads_per_s": n / dt,
            "peak_rss_mb": max(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            )
            / 1024,
            "rss_before_scoring_mb": rss0 / 1024,
        }
    )


def run(kind: str, n: int, models_dir: Path, version: str) -> dict:
    """Measure one model in a fresh process."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(kind, n, str(models_dir), version, q))
    p.start()
    res = q.get()
    p.join()
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--models-dir", type=Path, default=ROOT / "models")
    ap.add_argument("--model", default="current")
    args = ap.parse_args(argv)
    print(f"scoring {args.n} generated ads in batches of {BATCH}, one fresh process per model")
    kinds = ("lurewatch", "lurewatch-scores-only", "lurewatch-2-processes", "lurewatch-text-only", "baseline")
    rows = [run(k, args.n, args.models_dir, args.model) for k in kinds]
    print(f"{'model':<24}{'ads/s':>10}{'seconds':>10}{'peak RSS MB':>14}")
    for r in rows:
        print(f"{r['kind']:<24}{r['ads_per_s']:>10.0f}{r['seconds']:>10.2f}{r['peak_rss_mb']:>14.0f}")
    speed = {r["kind"]: r["ads_per_s"] for r in rows}
    lw, base = speed["lurewatch"], speed["baseline"]
    print(f"lurewatch (with explanations) / baseline speed: {lw / base:.2f}x")
    print(f"lurewatch text representation alone / baseline speed: {speed['lurewatch-text-only'] / base:.2f}x")
    print("peak RSS of the 2-process run is the largest single process (parent or a worker)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
