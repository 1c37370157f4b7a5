"""Cost of the nearest known lures (classifier.neighbours): per flagged ad, per index build,
and the bytes the seed index adds to a model.

    python benchmarks/neighbours.py [--n 400] [--confirmed 5000] [--models-dir models] [--model current]

The seed index is built from data/seed on the given model (as `pipeline.py train` builds it);
a stand-in "confirmed scams" index of --confirmed ads is recombined from the seed sentences
(benchmarks/score.generate_ads), since no real decided ads ship. Queries are --n generated
ads, timed in one batch (as the score stage asks for a batch's flagged ads) and one by one
(as `explain` does). Nothing is written to the models folder.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from benchmarks.score import generate_ads
    from classifier import datasets, neighbours, registry
    from core.ad import model_text

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--confirmed", type=int, default=5000)
    ap.add_argument("--models-dir", default=str(ROOT / "models"))
    ap.add_argument("--model", default="current")
    args = ap.parse_args()

    pipeline, card = registry.load_model(Path(args.models_dir), args.model)
    t = time.perf_counter()
    seed = neighbours.build_index(pipeline, datasets.seed_lures(ROOT / "data" / "seed", "data/seed"), "seed")
    print(f"seed index: {len(seed)} lures, built in {1000 * (time.perf_counter() - t):.0f} ms")
    fake = [model_text(a) for a in generate_ads(args.confirmed + args.n, seed=11).to_dict("records")]
    t = time.perf_counter()
    confirmed = neighbours.build_index(
        pipeline, [neighbours.KnownLure(x, "bench", str(i)) for i, x in enumerate(fake[: args.confirmed])], "confirmed"
    )
    print(
        f"confirmed index: {len(confirmed)} ads, built in {1000 * (time.perf_counter() - t):.0f} ms (once per score run)"
    )
    queries = fake[args.confirmed :]
    for name, indexes in (("seed", [seed]), ("seed + confirmed", [seed, confirmed])):
        t = time.perf_counter()
        found = neighbours.nearest(pipeline, queries, indexes)
        batch = 1000 * (time.perf_counter() - t) / len(queries)
        t = time.perf_counter()
        for q in queries[:100]:
            neighbours.nearest(pipeline, [q], indexes)
        single = 1000 * (time.perf_counter() - t) / min(100, len(queries))
        shown = sum(len(f) for f in found) / len(found)
        print(
            f"{name}: {batch:.3f} ms per flagged ad in a batch of {len(queries)}, {single:.2f} ms alone; "
            f"{shown:.2f} neighbours shown per ad"
        )
    with tempfile.TemporaryDirectory() as tmp:
        bare, with_index = Path(tmp) / "bare.skops", Path(tmp) / "index.skops"
        registry.dump_artefact(pipeline, bare)
        copied = copy.copy(pipeline)
        neighbours.attach(copied, seed)
        registry.dump_artefact(copied, with_index)
        import skops.io as sio

        loads = {bare: [], with_index: []}
        for art in (bare, with_index) * 3:  # alternated, fastest of three: the machine is shared
            t = time.perf_counter()
            sio.load(art, trusted=list(registry.TRUSTED))
            loads[art].append(time.perf_counter() - t)
        added = with_index.stat().st_size - bare.stat().st_size
        print(
            f"model artefact: {bare.stat().st_size:,} bytes, with the seed index {with_index.stat().st_size:,} "
            f"(+{added:,} bytes); loads in {min(loads[bare]):.2f} s without it, {min(loads[with_index]):.2f} s with it"
        )


if __name__ == "__main__":
    main()
