"""The seed data: shape, provenance on every row, both classes per main language."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

SEED = Path(__file__).resolve().parents[2] / "data" / "seed" / "seed_ads.csv"


COLUMNS = ["id", "title", "description", "company", "location", "salary", "language", "label", "provenance", "group"]
FILES = sorted(SEED.parent.glob("*.csv"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_seed_shape_and_provenance(path: Path) -> None:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(df.columns) == COLUMNS
    assert len(df) >= 100 and df["id"].is_unique
    assert (df["provenance"].str.startswith("written by lurewatch team")).all() and (df["group"] != "").all()
    assert set(df["label"]) <= {"0", "1"} and (df["title"] + df["description"]).str.strip().ne("").all()


def test_the_seed_set_has_both_classes_per_main_language_and_short_legit_ads() -> None:
    df = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in FILES], ignore_index=True)
    assert df["id"].is_unique
    for lang in ("ko", "en", "zh", "th", "vi", "id", "ja"):
        assert set(df.loc[df["language"] == lang, "label"]) == {"0", "1"}, lang
    short = (df["title"] + df["description"]).str.len() < 80
    assert (short & (df["label"] == "0")).sum() >= 10  # short legit ads exist


def test_seed_is_reproducible() -> None:
    import importlib.util
    import sys

    path = SEED.with_name("compose_seed.py")
    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location("compose_seed", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        rows = mod.build()
    finally:
        sys.path.remove(str(path.parent))
    df = pd.read_csv(SEED, dtype=str, keep_default_na=False)
    assert [r["description"] for r in rows] == df["description"].tolist()
