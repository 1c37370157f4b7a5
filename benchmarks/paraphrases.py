"""Per-signal catch rates on the blind paraphrase tables (tests/classifier/data/paraphrases/).

    PYTHONPATH=. python benchmarks/paraphrases.py [--table tune|sealed|all] [--language ja] [--model current] [--out FILE]

The tables were written by people who read only the signal catalogue, never our patterns:
for every signal and language, lure sentences that express it in new words, and near-miss
legitimate sentences on the same topic. For each signal this prints:

- catch: the share of its lure sentences on which the signal fires;
- false: the share of its near-miss sentences on which it fires anyway;
- flagged: with --model, the share of lure / near-miss sentences the whole model flags at
  its own threshold (one sentence carries one or two signals, so this is a floor).

The `tune` tables may be used to change the patterns; the `sealed` tables never are, and
are only reported on. Every `tune_*.csv` / `sealed_*.csv` file is read (tune_ja.csv and
sealed_ja.csv included); --language keeps only the rows of the given languages, so one
language's table can be reported alone (e.g. --language ja).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier.features import AdAnalyzer  # noqa: E402

TABLES = ROOT / "tests" / "classifier" / "data" / "paraphrases"

# Catalogue signal -> the reasons of ours that express it (indicator ids of
# classifier/data/indicators.yaml, or the structured reasons computed in code).
SIGNALS: dict[str, set[str]] = {
    "S01": {"destination"},
    "S02": {"high_pay_claim", "pay_above_market"},
    "S03": {"no_experience"},
    "S04": {"vague_desk_role"},
    "S05a": {"travel_lodging_paid"},
    "S05b": {"costs_advanced"},
    "S06": {"messenger_contact", "messenger_only"},
    "S07": {"employer_vague"},
    "S08": {"urgency"},
    "S09": {"passport_upfront"},
    "S10": {"visa_irregular"},
    "S11": {"safety_denial"},
    "S12": {"debt_targeting"},
    "S13": {"nationality_targeting"},
    "S14": {"age_gender_looks"},
    "S15": {"commission_quota"},
    "S16": {"short_term_quick_money"},
    "S17": {"indirect_route"},
    "S19": {"crime_duties"},
    "S20": {"social_proof"},
    "RET": {"passport_retention"},
    "M-employer": {"registered_employer"},
    "M-visa": {"work_visa_stated", "visa_sponsored"},
    "M-programme": {"official_programme"},
    "M-qualifications": {"qualifications_required"},
}


def load_tables(which: str, languages: list[str] | None = None) -> pd.DataFrame:
    """The paraphrase rows of the chosen tables (tune, sealed or all), optionally of some languages."""
    files = sorted(TABLES.glob("*.csv"))
    if which != "all":
        files = [f for f in files if f.name.startswith(which + "_")]
    if not files:
        raise SystemExit(f"no paraphrase tables for {which!r} in {TABLES}")
    frames = [pd.read_csv(f, dtype=str, keep_default_na=False).assign(table=f.stem) for f in files]
    df = pd.concat(frames, ignore_index=True)
    if languages:
        df = df[df["language"].isin(languages)].reset_index(drop=True)
        if df.empty:
            raise SystemExit(f"no {which!r} paraphrase rows in language(s) {', '.join(languages)}")
    return df


def fired_signals(texts: list[str]) -> list[set[str]]:
    """The reasons (indicator ids and structured reasons) that fire on each text alone."""
    analyser = AdAnalyzer().fit(pd.DataFrame())
    ads = pd.DataFrame({"description": texts})
    analyses = analyser.transform(ads)["_analysis"]
    return [{r.signal for r in a.reasons} for a in analyses]


def model_flags(texts: list[str], model: str) -> list[bool]:
    """Whether the saved model flags each text at its own threshold."""
    from classifier import registry
    from classifier.scoring import score_frame

    pipeline, card = registry.load_model(ROOT / "models", model)
    scored = score_frame(pipeline, pd.DataFrame({"description": texts}), float(card["threshold"]))
    return scored["flagged"].astype(bool).tolist()


def rates(df: pd.DataFrame) -> pd.DataFrame:
    """catch / false (and flagged) per signal and language, plus per-signal totals."""
    rows = []
    for (sig, lang), g in df.groupby(["signal", "language"]):
        lure, miss = g[g["kind"] == "lure"], g[g["kind"] == "near_miss"]
        row = {
            "signal": sig,
            "language": lang,
            "n_lure": len(lure),
            "n_miss": len(miss),
            "catch": lure["hit"].mean(),
            "false": miss["hit"].mean(),
        }
        if "flagged" in g:
            row.update(flag_lure=lure["flagged"].mean(), flag_miss=miss["flagged"].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def report(df: pd.DataFrame) -> str:
    """Readable table: one line per signal (all languages), then per language."""
    per = rates(df)
    lines = []
    has_flags = "flag_lure" in per
    head = f"{'signal':<17} {'catch':>6} {'false':>6}" + (f" {'flag+':>6} {'flag-':>6}" if has_flags else "")
    lines.append(head + "   per language: catch/false")
    for sig in sorted(per["signal"].unique(), key=lambda s: (s.startswith("M-"), s)):
        sub = df[df["signal"] == sig]
        lure, miss = sub[sub["kind"] == "lure"], sub[sub["kind"] == "near_miss"]
        line = f"{sig:<17} {lure['hit'].mean():>6.2f} {miss['hit'].mean():>6.2f}"
        if has_flags:
            line += f" {lure['flagged'].mean():>6.2f} {miss['flagged'].mean():>6.2f}"
        langs = per[per["signal"] == sig]
        line += "   " + " ".join(f"{r.language}:{r.catch:.1f}/{r.false:.1f}" for r in langs.itertuples())
        lines.append(line)
    scam = df[~df["signal"].str.startswith("M-")]
    lure, miss = scam[scam["kind"] == "lure"], scam[scam["kind"] == "near_miss"]
    total = f"{'all risk signals':<17} {lure['hit'].mean():>6.2f} {miss['hit'].mean():>6.2f}"
    if has_flags:
        total += f" {lure['flagged'].mean():>6.2f} {miss['flagged'].mean():>6.2f}"
    lines.append(total + f"   ({len(lure)} lure, {len(miss)} near-miss sentences)")
    by_lang = defaultdict(list)
    for lang, g in scam.groupby("language"):
        lu, mi = g[g["kind"] == "lure"], g[g["kind"] == "near_miss"]
        by_lang[lang] = [lu["hit"].mean(), mi["hit"].mean()]
    lines.append(
        "per language (risk signals): " + "  ".join(f"{k} {v[0]:.2f}/{v[1]:.2f}" for k, v in sorted(by_lang.items()))
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", choices=("tune", "sealed", "all"), default="tune")
    ap.add_argument(
        "--language", action="append", metavar="CODE", help="only rows of this language (repeatable), e.g. ja"
    )
    ap.add_argument("--model", help="also score every sentence with this saved model (e.g. current)")
    ap.add_argument("--out", type=Path, help="also write the report to this file")
    args = ap.parse_args(argv)
    df = load_tables(args.table, args.language)
    fired = fired_signals(df["text"].tolist())
    df["hit"] = [bool(SIGNALS.get(sig, set()) & f) for sig, f in zip(df["signal"], fired)]
    if args.model:
        df["flagged"] = model_flags(df["text"].tolist(), args.model)
    langs = f", language {'+'.join(args.language)}" if args.language else ""
    text = f"paraphrase table(s): {args.table}{langs} ({len(df)} sentences)\n" + report(df)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
