"""Checks of the blind false-reading table (data/false_readings.csv, FALSE_READINGS.md).

The table was written before the fixes by a writer who never saw the classifier; this module
only reads its `expect` language and asks the analysis and the model what they concluded.
A check names catalogue signals (docs/signals.md ids); ``CATALOGUE`` maps them to the reason
signals the classifier emits: its indicators by their `ref`, plus the structured ones.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from classifier.salary import USD_PER_UNIT

TABLE = Path(__file__).parent / "data" / "false_readings.csv"
PROBES = Path(__file__).parent / "data" / "probes.csv"
# Structured reasons computed in code (classifier/features.py), by the catalogue id they express.
STRUCTURED = {"S01": {"destination"}, "S02": {"pay_above_market"}, "S06": {"messenger_only"}}
# Hourly pay: the writer multiplied by 209 hours (the Korean monthly standard), we by 176
# (22 days of 8 hours); both are honest readings, so a pay check allows this much either way.
PAY_TOLERANCE = 0.2


@dataclass(frozen=True)
class Row:
    """One row of the table: the ad and its checks."""

    id: str
    category: str
    language: str
    title: str
    description: str
    checks: tuple[tuple[str, str], ...]  # (kind, argument)


def load(path: Path = TABLE) -> list[Row]:
    """Every row of the table, its `expect` split into checks."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        checks = []
        for part in r["expect"].split(" ; "):
            kind, _, arg = part.strip().partition(":")
            checks.append((kind, arg))
        out.append(Row(r["id"], r["category"], r["language"], r["title"], r["description"], tuple(checks)))
    return out


def catalogue(iset) -> dict[str, set[str]]:
    """Catalogue id -> the reason signals that express it (S06only: the messenger-only conclusion)."""
    out: dict[str, set[str]] = {}
    for s in iset.signals:
        out.setdefault(s.ref, set()).add(s.id)
    for ref, ids in STRUCTURED.items():
        out.setdefault(ref, set()).update(ids)
    out["S06only"] = {"messenger_only"}
    return out


def _boundaries(segmented: str) -> set[int]:
    """Offsets (in the unsegmented text) where the writer put a word boundary."""
    cuts, pos = {0}, 0
    for piece in segmented.split("|"):
        pos += len(piece)
        cuts.add(pos)
    return cuts


def failures(row: Row, scored: pd.Series, analysis, refs: dict[str, set[str]]) -> list[str]:
    """What the classifier got wrong on this row, one line per failed check."""
    reasons = scored["reasons"]
    fired = {r["signal"] for r in reasons}
    text_offset = len(row.title) + 1 if row.title.strip() else 0  # title, newline, then the description
    out = []
    for kind, arg in row.checks:
        if kind == "no_signal" and fired & refs.get(arg, set()):
            out.append(f"{arg} fired: {[r['evidence'] for r in reasons if r['signal'] in refs[arg]]}")
        elif kind == "signal" and not fired & refs.get(arg, set()):
            out.append(f"{arg} did not fire")
        elif kind == "no_pay" and analysis.pay is not None:
            out.append(f"pay read: {analysis.pay}")
        elif kind == "pay_monthly":
            amount, cur = arg.split()
            pay = analysis.pay
            if pay is None:
                out.append(f"no pay read, expected {arg}")
                continue
            local = pay.monthly_usd_high / USD_PER_UNIT.get(pay.currency, 1.0)
            ok = pay.currency == cur and abs(local / float(amount) - 1) <= PAY_TOLERANCE
            if not ok:
                out.append(f"pay {local:,.0f} {pay.currency}/month ({pay.period}), expected {arg}")
        elif kind == "country":
            got = scored.get("country", "") or ""
            if got != arg:
                out.append(f"country {got!r}, expected {arg}")
        elif kind == "flagged" and bool(scored["flagged"]) != (arg == "1"):
            out.append(f"flagged={bool(scored['flagged'])} at {scored['score']:.3f}, expected {arg}")
        elif kind == "words":
            cuts = _boundaries(arg)
            for r in reasons:
                for part in [r, *r.get("more", [])]:
                    s, e = part.get("start", -1) - text_offset, part.get("end", -1) - text_offset
                    if 0 <= s < e <= len(row.description) and not (s in cuts and e in cuts):
                        out.append(f"{r['signal']} evidence {row.description[s:e]!r} is not whole words")
    return out
