"""The ads of the scoring golden file, and how to (re)write the file.

Every ad is built from data/seed/seed_ads.csv (our own data): a spread of seed rows, some
recombined, some disguised with the tricks normalisation undoes (spacing between Hangul
letters, full-width letters, zero-width characters, look-alike Cyrillic letters), so the
golden outputs cover offset mapping back to the original text.

    python tests/classifier/golden_ads.py   # rewrite after a deliberate model change only
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd

PROJECT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("data") / "golden_scores.json"
COLUMNS = ["title", "company", "location", "salary", "description"]


def _disguise(text: str, rng: random.Random) -> str:
    out = []
    for ch in text:
        r = rng.random()
        if "\uac00" <= ch <= "\ud7a3" and r < 0.15:
            out.append(ch + " ")
        elif "a" <= ch <= "z" and r < 0.05:
            out.append(chr(ord(ch) - ord("a") + ord("ａ")))  # full-width
        elif ch in "aeo" and r < 0.1:
            out.append({"a": "а", "e": "е", "o": "о"}[ch])  # Cyrillic look-alikes
        elif r < 0.02:
            out.append(ch + "\u200b")
        else:
            out.append(ch)
    return "".join(out)


def golden_ads() -> pd.DataFrame:
    """60 ads: 40 seed rows, 10 recombined, 10 disguised (deterministic)."""
    seed = pd.read_csv(PROJECT / "data" / "seed" / "seed_ads.csv", dtype=str, keep_default_na=False)
    rng = random.Random(20261125)
    rows = seed.iloc[:: max(1, len(seed) // 40)].head(40)[COLUMNS].to_dict("records")
    for _ in range(10):
        a, b = rng.sample(range(len(seed)), 2)
        r = seed.iloc[a][COLUMNS].to_dict()
        r["description"] = r["description"] + " " + seed.iloc[b]["description"]
        rows.append(r)
    for _ in range(10):
        r = seed.iloc[rng.randrange(len(seed))][COLUMNS].to_dict()
        r["title"] = _disguise(r["title"], rng)
        r["description"] = _disguise(r["description"], rng)
        rows.append(r)
    return pd.DataFrame(rows)


def write_golden(models_dir: Path = PROJECT / "models") -> None:
    """Score the golden ads with the shipped model and write ads + outputs as JSON."""
    from classifier import registry
    from classifier.scoring import score_frame

    pipeline, card = registry.load_model(models_dir, "current")
    ads = golden_ads()
    out = score_frame(pipeline, ads, float(card["threshold"]))
    records = [
        {"score": float(r.score), "flagged": bool(r.flagged), "band": r.band, "reasons": r.reasons}
        for r in out.itertuples()
    ]
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(
        json.dumps({"model": card["version"], "outputs": records}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    write_golden()
