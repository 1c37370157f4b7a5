"""Whole-process scoring: `pipeline.py classify` on a CSV against a plain baseline script.

    PYTHONPATH=. python benchmarks/classify_process.py setup [--n 20000] [--dir /tmp/lw-classify]
    PYTHONPATH=. python benchmarks/classify_process.py baseline DIR   # what farm-bench times as B

``setup`` writes DIR/ads.csv (N ads recombined from the seed data, as benchmarks/score.py
makes them) and DIR/baseline.skops: a word 1-2-gram TF-IDF + LogisticRegression trained on
the shipped model's training rows. ``baseline`` is the plain script a data scientist would
write: read the CSV, load that model the same safe way lurewatch loads its own (skops,
trusted types only), score every ad and write id + score as CSV. Then, for example:

    farm-bench -n 5 --timeout 1800 --vs '.venv/bin/python benchmarks/classify_process.py baseline DIR' \\
        -- .venv/bin/python pipeline.py classify -q DIR/ads.csv --out DIR/out.csv

Both are timed from outside, start-up, imports and model loading included.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(n: int, folder: Path) -> None:
    sys.path.insert(0, str(ROOT))
    import skops.io as sio

    from benchmarks.score import _train_baseline, generate_ads

    folder.mkdir(parents=True, exist_ok=True)
    generate_ads(n).to_csv(folder / "ads.csv", index=False)
    sio.dump(_train_baseline(ROOT / "models", "current"), folder / "baseline.skops")
    print(f"wrote {n} ads to {folder / 'ads.csv'} and the baseline to {folder / 'baseline.skops'}")


def baseline(folder: Path) -> None:
    import pandas as pd
    import skops.io as sio

    path = folder / "baseline.skops"
    model = sio.load(path, trusted=sio.get_untrusted_types(file=path))  # our own file, written by setup
    ads = pd.read_csv(folder / "ads.csv", dtype=str, keep_default_na=False)
    text = (
        ads["title"] + "\n" + ads["company"] + "\n" + ads["location"] + "\n" + ads["salary"] + "\n" + ads["description"]
    )
    scores = model.predict_proba(text)[:, 1]
    with open(folder / "baseline-out.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "score"])
        writer.writerows(zip(ads["id"], (f"{s:.6f}" for s in scores)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--n", type=int, default=20_000)
    s.add_argument("--dir", type=Path, default=Path("/tmp/lw-classify"))
    b = sub.add_parser("baseline")
    b.add_argument("dir", type=Path)
    args = ap.parse_args(argv)
    if args.command == "setup":
        setup(args.n, args.dir)
    else:
        baseline(args.dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
