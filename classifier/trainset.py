"""The training frame: rows of every source as one frame, grouped, deduplicated, augmented.

Groups keep related rows on one side of every split: seed variants, quoted snippets
from one article, ads of one employer or one campaign (the sources' `group`), merged
with near-duplicates found by MinHash (reposts across boards).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from classifier.datasets import KEEP
from core.ad import TEXT_FIELDS
from core.minhash import NEAR_DUPLICATE, NUM_PERM, minhash
from core.unionfind import UnionFind

log = logging.getLogger(__name__)


def content_key(row: Mapping[str, Any]) -> str:
    """sha256 of an ad's normalised text fields (case and whitespace runs ignored)."""
    text = "\x1f".join(" ".join(str(row.get(f) or "").lower().split()) for f in TEXT_FIELDS)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dedupe_by_content(df: pd.DataFrame) -> pd.DataFrame:
    """A text found in several subsets (data sources) keeps only the rows of the last one.

    Callers put analysts' decisions last, so a verdict overrides a seed or file label for
    the same text. Repeats within one subset are kept: they are reposts, which is how these
    ads circulate (the seed set has some on purpose), and near-duplicate grouping keeps
    them on one side of every split.
    """
    if not len(df):
        return df.reset_index(drop=True)
    keys = df.apply(content_key, axis=1)
    last_subset = pd.Series(df["subset"].to_numpy(), index=keys.to_numpy()).groupby(level=0).last()
    keep = df["subset"].to_numpy() == last_subset.loc[keys.to_numpy()].to_numpy()
    return df[keep].reset_index(drop=True)


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


def training_frame(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Rows of every source (in order, later ones overriding earlier ones for the same
    text), with merged integer groups (`gid`) and short versions appended."""
    df = pd.concat([p[KEEP] for p in parts if len(p)], ignore_index=True)
    before = len(df)
    df = dedupe_by_content(df)
    if len(df) < before:
        log.info("training frame: %d rows dropped whose text a later source labels", before - len(df))
    texts = (df["title"] + " " + df["description"]).tolist()
    df["gid"] = merge_groups(df["group"].tolist(), near_duplicate_clusters(texts))
    short = short_versions(df)
    out = pd.concat([df, short], ignore_index=True)
    log.info("training frame: %d rows (%d short versions), %d groups", len(out), len(short), out["gid"].nunique())
    return out


def data_sha256(df: pd.DataFrame) -> str:
    """Content hash of the training rows (order-sensitive, the columns that affect the model)."""
    h = hashlib.sha256()
    for rec in df[[*TEXT_FIELDS, "label", "weight"]].itertuples(index=False):
        h.update(("\x1f".join(map(str, rec)) + "\x1e").encode("utf-8"))
    return h.hexdigest()


def class_counts(df: pd.DataFrame) -> dict[str, dict[str, int]]:
    """{language: {"scam": n, "legit": n}} of a frame's rows."""
    out: dict[str, dict[str, int]] = {}
    for (lang, label), n in df.groupby(["language", "label"]).size().items():
        out.setdefault(lang or "unknown", {})["scam" if int(label) else "legit"] = int(n)
    return out


MIN_REAL_PER_CLASS = 20


def threshold_rows(df: pd.DataFrame, min_per_class: int = MIN_REAL_PER_CLASS) -> np.ndarray | None:
    """Rows the threshold is chosen on: real ads (every subset but our own seed) when they
    hold at least ``min_per_class`` lures and legit ads, else None (all rows).

    The seed rows teach wording, but the threshold must reach the recall target on real
    text: seed lures score higher out of fold than real ones worded unlike any training
    row, so a threshold set on them catches too few real lures.
    """
    real = (df["subset"] != "seed").to_numpy()
    y = df["label"].to_numpy(int)
    if min(int((real & (y == 1)).sum()), int((real & (y == 0)).sum())) < min_per_class:
        return None
    return real
