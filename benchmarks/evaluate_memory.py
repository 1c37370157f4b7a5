"""Peak memory of `pipeline.py evaluate` on a big labelled file (issue 16: 10.5 GB on 200 MB).

    PYTHONPATH=. python benchmarks/evaluate_memory.py [--mb 200] [--code DIR] [--keep FILE]

Writes a labelled CSV of about --mb megabytes (seed ads recombined, as benchmarks/score.py
does), then runs `pipeline.py evaluate` on it in a child process with the shipped model
and prints its peak RSS and wall time. --code runs another checkout's pipeline.py (for a
before/after comparison on the same file); --keep reuses or keeps the generated file.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def write_file(path: Path, megabytes: float, seed: int = 7) -> int:
    """A labelled CSV of about ``megabytes`` MB (seed ads, sentences recombined within a
    language and class); the number of rows."""
    import pandas as pd

    seed_df = pd.read_csv(ROOT / "data" / "seed" / "seed_ads.csv", dtype=str, keep_default_na=False)
    rng = random.Random(seed)
    pools: dict[tuple[str, str], list[str]] = {}
    for r in seed_df.itertuples():
        for sentence in re.split(r"(?<=[.!?。])\s+", r.description):
            if sentence.strip():
                pools.setdefault((r.language, r.label), []).append(sentence.strip())
    bases = seed_df.to_dict("records")
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "title", "description", "language", "label"])
        while fh.tell() < megabytes * 1e6:
            base = rng.choice(bases)
            pool = pools.get((base["language"], base["label"]), [base["description"]])
            text = " ".join(rng.sample(pool, min(rng.randint(2, 8), len(pool))))
            w.writerow([rows, base["title"], text, base["language"], base["label"]])
            rows += 1
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0)
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose pipeline.py runs")
    parser.add_argument("--keep", type=Path, help="generated file to reuse (written when missing)")
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        data = args.keep or Path(tmp) / "labelled.csv"
        if not data.exists() or data.stat().st_size < args.mb * 1e6 * 0.9:
            began = time.monotonic()
            rows = write_file(data, args.mb)
            print(f"wrote {data} ({data.stat().st_size / 1e6:.0f} MB, {rows} rows) in {time.monotonic() - began:.0f}s")
        config = Path(tmp) / "config.yaml"
        config.write_text(f"models:\n  dir: {ROOT / 'models'}\nlogging:\n  dir: {tmp}/logs\n", encoding="utf-8")
        began = time.monotonic()
        done = subprocess.run(
            [sys.executable, str(args.code / "pipeline.py"), "evaluate", str(data), "--config", str(config),
             "--out-dir", str(Path(tmp) / "reports")],
            capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.monotonic() - began
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"evaluate ({args.code}): exit {done.returncode}, peak RSS {peak_mb:,.0f} MB, {seconds:.0f}s")
    print((done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else "")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
