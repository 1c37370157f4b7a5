"""Precision and recall of contact extraction on the blind corpus (tests/core/data/contact_corpus.csv).

Each row's text goes through core.contactscan.extract_contacts (crawler.contacts before
issue 24; the script runs on either, to measure before and after), with the row's country
and language when the extractor takes them, and its contacts are compared with the row's
``expected`` items. Three figures, each micro-averaged over items:

- ``phones``: phone and WhatsApp values as one kind, matched on the E.164 value
  (CONTACT_CORPUS.md convention 3: a WhatsApp number found as a phone is the right number);
- ``all``: every item as ``kind:value``, phones as above; ``wechat:`` items, a kind
  lurewatch does not have, count as missed;
- each kind apart.

    PYTHONPATH=. python benchmarks/contacts.py [--corpus FILE] [--misses]
"""

from __future__ import annotations

import argparse
import csv
import inspect
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

try:
    from core.contactscan import extract_contacts
except ImportError:  # main before issue 24: the extraction lived in the crawler
    from crawler.contacts import extract_contacts

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "core" / "data" / "contact_corpus.csv"
PHONE_KINDS = ("phone", "whatsapp")


@dataclass
class Score:
    """True positives, false positives and false negatives of one kind (or all)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Result:
    """Scores over the corpus, and the rows that missed or over-found, for reading."""

    by_kind: dict[str, Score] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)

    def kind(self, name: str) -> Score:
        return self.by_kind.setdefault(name, Score())


def _items(pairs: list[tuple[str, str]]) -> set[str]:
    # Phones and WhatsApp numbers are one kind for scoring: the number is what matters.
    return {f"{'tel' if k in PHONE_KINDS else k}:{v}" for k, v in pairs}


def _expected(cell: str) -> list[tuple[str, str]]:
    found = []
    for item in cell.split(" | "):
        kind, sep, value = item.strip().partition(":")
        if sep:
            found.append((kind, value))
    return found


def _extract(text: str, country: str, language: str) -> list[tuple[str, str]]:
    # Before the change, extract_contacts took no region: measure both with one script.
    takes_region = "country" in inspect.signature(extract_contacts).parameters
    kwargs = {"country": country, "language": language} if takes_region else {}
    found = extract_contacts([text], **kwargs)
    return [(k, v) for k, values in found.items() for v in values]


def score_corpus(path: Path = CORPUS) -> Result:
    """Score extract_contacts on every row of the corpus."""
    result = Result()
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            want = _items(_expected(row["expected"]))
            got = _items(_extract(row["text"], row["country"], row["language"]))
            for item in want | got:
                kind = item.partition(":")[0]
                for name in (kind, "all"):
                    s = result.kind(name)
                    if item in want and item in got:
                        s.tp += 1
                    elif item in got:
                        s.fp += 1
                    else:
                        s.fn += 1
            if want != got:
                result.misses.append(
                    f"{row['id']}: missed {sorted(want - got)} extra {sorted(got - want)} | {row['note']}"
                )
    return result


def report(result: Result) -> list[str]:
    """One line per kind: precision, recall and the counts behind them."""
    lines = []
    order = ["all", "tel", *sorted(k for k in result.by_kind if k not in ("all", "tel"))]
    for name in order:
        s = result.by_kind.get(name)
        if s is None:
            continue
        label = "phones (phone+whatsapp, by E.164)" if name == "tel" else name
        lines.append(
            f"{label:36s} precision {s.precision:6.1%}  recall {s.recall:6.1%}  (tp {s.tp}, fp {s.fp}, fn {s.fn})"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--misses", action="store_true", help="list the rows that differ")
    args = parser.parse_args(argv)
    result = score_corpus(args.corpus)
    rows = sum(1 for _ in csv.DictReader(args.corpus.open(encoding="utf-8", newline="")))
    print(f"{args.corpus.name}: {rows} rows, {Counter(m.split(':')[0][0] for m in result.misses)} rows differ")
    print("\n".join(report(result)))
    if args.misses:
        print("\n".join(result.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
