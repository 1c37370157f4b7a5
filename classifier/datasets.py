"""Training data as rows: the seed set, files of labelled ads, data folders, analysts' decisions.

Every loader returns rows with the KEEP columns: the ad's text, its label, a `group`
(related rows stay on one side of every split: seed variants, quoted snippets of one
article, ads of one employer or campaign), the `subset` it came from and its weight.

A data folder (``training.extra_data``, e.g. ../shared/data) is read in this layout,
and this is what we use from it and why:
- quoted_dev.csv, quoted_dev_extra.csv and quoted_dev_r3.csv: real lure wording quoted by news
  and official sources, weight 2. Only compound-job lures and legit postings: rows with a
  `subtype` (mule-account recruitment, domestic fee scams, fake government jobs, recruiters'
  chat replies, task scams) are adjacent fraud, not the job ads this model is for; they are
  reported apart (load_adjacent), never trained on;
- corpora: legit ads. Cambodian job boards are the hardest negatives (same region and
  vocabulary), so full weight; the Korean IT, Korean research and JobStreet sets are
  narrow ("tech words mean safe" shortcut), so down-weighted;
- EMSCAD: left out. It is generic 2012-14 US recruitment fraud (work-from-home, payment
  scams), not trafficking lures, and the balanced copy is lower-cased and stopword-stripped,
  so its legit rows would teach "preprocessed text means legit". Useful only as a
  separate out-of-domain check.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from classifier import adfiles
from classifier.errors import ClassifierError
from classifier.extract import coerce_ads
from classifier.neighbours import KnownLure
from core.ad import TEXT_FIELDS, model_text

log = logging.getLogger(__name__)

DECISION_WEIGHT = 2.0  # verified by an analyst on ads from our own sources: worth more than seed rows
LABELS = {"scam": 1, "legit": 0}
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


def seed_lures(seed_dir: Path | str, shown_as: str | None = None) -> list[KnownLure]:
    """The lures (label 1) of data/seed/*.csv, the rows training reads, with where each comes
    from: its file (``shown_as``/name, e.g. data/seed/hard_cases.csv), row id and provenance.

    Only these team-written rows may be stored in a model (classifier.neighbours): never
    third-party text.
    """
    prefix = str(shown_as if shown_as is not None else seed_dir).rstrip("/")
    out = []
    for f in sorted(Path(seed_dir).glob("*.csv")):
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        if "label" not in df:
            continue
        for r in df[df["label"].str.strip() == "1"].to_dict("records"):
            text = model_text(r)
            if text.strip():
                out.append(
                    KnownLure(
                        text,
                        f"{prefix}/{f.name}",
                        str(r.get("id", "")),
                        str(r.get("title", "")),
                        str(r.get("provenance", "")),
                        f"seed:{r['group']}" if r.get("group") else "",
                    )
                )
    return out


QUOTED_FILES = {"quoted": "quoted_dev.csv", "quoted_extra": "quoted_dev_extra.csv", "quoted_r3": "quoted_dev_r3.csv"}
ADJACENT = "adjacent"  # the subset of adjacent-fraud rows (reported apart, never trained on)


def load_quoted(shared: Path, subset: str = "quoted", adjacent: bool = False) -> pd.DataFrame:
    """Real quoted snippets; text -> description, grouped by source article.

    Rows with a `subtype` are adjacent fraud (mule accounts, fee scams, fake government jobs,
    recruiters' chat replies, task scams): real, but not the compound job ads this model is
    for. They are left out, or with ``adjacent`` they are the only rows returned (subset
    ``adjacent``), for a report of their own.
    """
    df = pd.read_csv(shared / QUOTED_FILES[subset], dtype=str, keep_default_na=False)
    other = df["subtype"].str.strip() != "" if "subtype" in df else pd.Series(False, index=df.index)
    df = df[other] if adjacent else df[~other]
    df = df.rename(columns={"text": "description"})
    df["group"] = "quoted:" + df["source_group"]
    return _frame(df, ADJACENT if adjacent else subset, 2.0)


def load_adjacent(shared_dir: Path | str) -> pd.DataFrame:
    """The adjacent-fraud rows of every quoted file (for evaluation only)."""
    shared = Path(shared_dir)
    frames = [load_quoted(shared, s, adjacent=True) for s, name in QUOTED_FILES.items() if (shared / name).is_file()]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KEEP)


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
    """All usable rows of a data folder, or an empty frame when the folder is absent."""
    if shared_dir is None or not Path(shared_dir).is_dir():
        log.info("no data folder at %s", shared_dir)
        return pd.DataFrame(columns=KEEP)
    shared = Path(shared_dir)
    frames = [load_quoted(shared, subset) for subset, name in QUOTED_FILES.items() if (shared / name).is_file()]
    for name, (rel, _) in SHARED_CORPORA.items():
        if (shared / rel).is_file():
            frames.append(load_corpus(shared, name))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KEEP)


def decision_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Decided review items (dicts from store.training) as training rows.

    Groups: the item's campaign when it has one (ads of one recruiter stay on one side of
    every split), else source + ad; training_frame then merges near-duplicate clusters.
    """
    out = []
    for r in rows:
        if r["decision"] not in LABELS:
            continue  # needs_info / skipped say nothing about the label
        campaign = r.get("campaign_id")
        group = f"campaign:{campaign}" if campaign is not None else f"ad:{r.get('source', '')}:{r['ad_id']}"
        out.append(
            {
                **{f: str(r.get(f) or "") for f in TEXT_FIELDS},
                "language": str(r.get("language") or ""),
                "label": LABELS[r["decision"]],
                "group": "decision:" + group,
                "subset": f"decision:{r.get('source', '')}",
                "weight": DECISION_WEIGHT,
                "short": False,
            }
        )
    return pd.DataFrame(out, columns=KEEP)


def load_labelled_file(path: Path | str, max_mb: float | None = None) -> pd.DataFrame:
    """A CSV/JSONL of ads with a `label` column (1 scam, 0 legit), grouped by employer.

    Rows without a company are grouped by their title and opening words. Every column of
    the file is kept (the KEEP ones coerced), so evaluation files can pass through. A row
    without text is refused (it would teach "no text means legit"), and so is a file
    larger than ``max_mb`` megabytes, before it is read.
    """
    p = Path(path)
    if max_mb is not None and p.is_file() and p.stat().st_size > max_mb * 1e6:
        raise ClassifierError(
            f"{p}: {p.stat().st_size / 1e6:,.0f} MB is more than training.max_data_mb ({max_mb:g}); training "
            f"holds every row in memory (about 50 times the file size): sample the file, or raise the limit"
        )
    df = adfiles.read_all(p)
    empty = adfiles.textless(df)
    if empty.any():
        lines = df.index[empty.to_numpy()]
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        raise ClassifierError(f"{p}:{lines[0]}: a row without text (title, description, text){more}; remove or fill it")
    y = adfiles.labels(df, p)
    ads = coerce_ads(df)
    ads["label"] = y.to_numpy()
    key = ads["company"].where(ads["company"] != "", ads["title"] + ads["description"].str[:80])
    ads["group"] = f"extra:{p.name}:" + key
    ads["subset"] = f"extra:{p.name}"
    ads["weight"] = 1.0
    ads["short"] = False
    return ads


def load_extra(path: Path, max_mb: float | None = None) -> pd.DataFrame:
    """One ``training.extra_data`` entry: a data folder (layout above) or a labelled file."""
    return load_shared(path) if Path(path).is_dir() else load_labelled_file(path, max_mb)[KEEP]
