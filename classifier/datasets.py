"""Training data: the seed set, the third-party data in ../shared/data, grouping, augmentation.

Groups keep related rows on one side of every split: seed variants (`group`), quoted
snippets from one article (`source_group`), ads of one employer (`company`), and
near-duplicates found by MinHash (reposts across boards).

What we use from ../shared/data and why:
- quoted_dev.csv: all rows (the only real lure wording we have), weight 2;
- corpora: legit ads. Cambodian job boards are the hardest negatives (same region and
  vocabulary), so full weight; the Korean IT, Korean research and JobStreet sets are
  narrow ("tech words mean safe" shortcut), so down-weighted;
- EMSCAD: left out. It is generic 2012-14 US recruitment fraud (work-from-home, payment
  scams), not trafficking lures, and the balanced copy is lower-cased and stopword-stripped,
  so its legit rows would teach "preprocessed text means legit". Useful only as a
  separate out-of-domain check.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.errors import ClassifierError
from core.ad import TEXT_FIELDS
from core.minhash import NEAR_DUPLICATE, NUM_PERM, minhash
from core.unionfind import UnionFind

log = logging.getLogger(__name__)

SHARED_CORPORA = {
    # name: (relative csv path, sample weight, filter usable rows)
    "cambodia_jobboards": ("corpora/cambodia_jobboards/cambodia_jobboards_dev.csv", 1.0),
    "ko_mma_research_jobs": ("corpora/ko_mma_research_jobs/ko_mma_research_jobs_dev.csv", 0.5),
    "ko_wanted_programmers": ("corpora/ko_wanted_programmers/ko_wanted_programmers_dev.csv", 0.3),
    "sea_jobstreet": ("corpora/sea_jobstreet/sea_jobstreet_dev.csv", 0.5),
}
KEEP = [*TEXT_FIELDS, "language", "label", "group", "subset", "weight", "short"]


def _frame(df: pd.DataFrame, subset: str, weight: float) -> pd.DataFrame:
    out = pd.DataFrame({c: df[c].fillna("").astype(str) if c in df else "" for c in [*TEXT_FIELDS, "language"]})
    out["label"] = df["label"].astype(int).to_numpy()
    out["group"] = df["group"].astype(str).to_numpy()
    out["subset"] = subset
    out["weight"] = weight
    out["short"] = False
    return out


def load_seed(seed_dir: Path | str) -> pd.DataFrame:
    """data/seed/*.csv (team-written), grouped by their `group` column."""
    files = sorted(Path(seed_dir).glob("*.csv"))
    if not files:
        raise ClassifierError(f"{seed_dir}: no seed CSV files")
    frames = []
    for f in files:
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        df["group"] = "seed:" + df["group"]
        frames.append(_frame(df, "seed", 1.0))
    return pd.concat(frames, ignore_index=True)


def load_quoted(shared: Path) -> pd.DataFrame:
    """quoted_dev.csv: real quoted snippets; text -> description, grouped by source article."""
    df = pd.read_csv(shared / "quoted_dev.csv", dtype=str, keep_default_na=False)
    df = df.rename(columns={"text": "description"})
    df["group"] = "quoted:" + df["source_group"]
    return _frame(df, "quoted", 2.0)


def load_corpus(shared: Path, name: str) -> pd.DataFrame:
    """One legit corpus, grouped by employer (ads of one company stay together)."""
    rel, weight = SHARED_CORPORA[name]
    df = pd.read_csv(shared / rel, dtype=str, keep_default_na=False)
    if "usable_job_ad" in df:
        df = df[df["usable_job_ad"].str.lower().isin(["true", "1"])]
    df = df.copy()
    # BongThom bodies put a newline after almost every word (layout artefact).
    df["description"] = df["description"].map(lambda s: re.sub(r"\s+", " ", s))
    df["label"] = 0
    comp = df["company"].str.strip().str.lower()
    df["group"] = f"{name}:" + comp.where(
        comp != "", df.get("external_id", pd.Series(range(len(df)), index=df.index)).astype(str)
    )
    df["language"] = df["language"].str.split("+").str[0]
    return _frame(df, name, weight)


def load_shared(shared_dir: Path | str | None) -> pd.DataFrame:
    """All usable third-party rows, or an empty frame when the folder is absent."""
    if shared_dir is None or not Path(shared_dir).is_dir():
        log.info("no shared data at %s: training on seed data only", shared_dir)
        return pd.DataFrame(columns=KEEP)
    shared = Path(shared_dir)
    frames = [load_quoted(shared)] if (shared / "quoted_dev.csv").is_file() else []
    for name, (rel, _) in SHARED_CORPORA.items():
        if (shared / rel).is_file():
            frames.append(load_corpus(shared, name))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KEEP)


def near_duplicate_clusters(texts: list[str]) -> np.ndarray:
    """Cluster number per text; texts whose MinHash Jaccard reaches NEAR_DUPLICATE share one."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=NEAR_DUPLICATE, num_perm=NUM_PERM)
    clusters = UnionFind()
    for i, t in enumerate(texts):
        m = minhash(t)
        for j in lsh.query(m):
            clusters.union(i, int(j))
        lsh.insert(str(i), m)
    return np.array(clusters.labels(range(len(texts))))


def merge_groups(groups: list[str], clusters: np.ndarray) -> np.ndarray:
    """Union of declared groups and near-duplicate clusters -> one integer group per row."""
    linked = UnionFind()
    for g, c in zip(groups, clusters):
        linked.union(f"g:{g}", f"c:{c}")
    return np.array(linked.labels(f"g:{g}" for g in groups))


def first_sentence(text: str, limit: int = 120) -> str:
    """Opening line of a text (up to the first sentence end or line break)."""
    t = text.strip()
    m = re.search(r"[.!?。！？\n]", t[3:])  # skip a few chars: "1. ", "Q. " are not sentences
    cut = t[: 3 + m.start() + 1] if m else t
    return cut[:limit].strip()


def short_versions(df: pd.DataFrame) -> pd.DataFrame:
    """Title-only or opening-line versions of each row, same label and group.

    Both classes get them, so the model cannot learn "short text means scam"
    (the real quoted lures are mostly fragments; the legit corpora are long).
    """
    rows = df.copy()
    has_title = rows["title"].str.strip() != ""
    rows["description"] = np.where(has_title, "", rows["description"].map(first_sentence))
    rows[["company", "location", "salary"]] = ""
    rows["short"] = True
    keep = (rows["title"].str.strip() + rows["description"].str.strip()) != ""
    return rows[keep]


def training_frame(
    seed_dir: Path | str, shared_dir: Path | str | None, extra: pd.DataFrame | None = None, dedupe: bool = False
) -> pd.DataFrame:
    """Seed + shared + extra rows with merged integer groups (`gid`) and short versions.

    With ``dedupe``, one row per content hash, later parts overriding earlier ones (so extra
    rows, e.g. analysts' decisions, win). Off by default so `python -m stages.classify train`
    still reproduces the shipped model's data hash (the seed set has a few repeated ads).
    """
    from classifier.retrain import dedupe_by_content

    parts = [load_seed(seed_dir), load_shared(shared_dir)]
    if extra is not None and len(extra):
        parts.append(extra[KEEP])
    df = pd.concat([p for p in parts if len(p)], ignore_index=True)
    before = len(df)
    df = dedupe_by_content(df) if dedupe else df
    if len(df) < before:
        log.info("training frame: %d duplicate texts dropped (the last label kept)", before - len(df))
    texts = (df["title"] + " " + df["description"]).tolist()
    df["gid"] = merge_groups(df["group"].tolist(), near_duplicate_clusters(texts))
    short = short_versions(df)
    out = pd.concat([df, short], ignore_index=True)
    log.info("training frame: %d rows (%d short versions), %d groups", len(out), len(short), out["gid"].nunique())
    return out


def data_sha256(df: pd.DataFrame) -> str:
    """Content hash of the training rows (order-sensitive, columns that affect the model)."""
    h = hashlib.sha256()
    for rec in df[["title", "description", "company", "location", "salary", "label", "weight"]].itertuples(index=False):
        h.update(("\x1f".join(map(str, rec)) + "\x1e").encode("utf-8"))
    return h.hexdigest()
