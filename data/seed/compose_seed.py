"""Compose data/seed/seed_ads.csv from the phrase banks and hand-written ads in this folder.

Everything here was written by the lurewatch team for training; nothing is copied from
third-party data. Scam-side wording is modelled on the signal catalogue of
docs/signals.md (section noted in each row's provenance), legit-side wording
on the shapes of ordinary postings (EPS notices, hotel and factory jobs abroad with paid
flights and dorms, Korean-speaker roles at registered employers, working holidays) so the
model learns that "paid flights" or "Cambodia" alone is not a lure.

Each scenario yields 2-3 variants (reposts with reordered sentences, other handles, other
numbers, evasion spellings); variants share a `group` so grouped splits keep them together.
Run: python data/seed/compose_seed.py  (deterministic: fixed seed).
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from banks_en import EN_LEGIT, EN_SCAM  # noqa: E402
from banks_ko import KO_LEGIT, KO_SCAM  # noqa: E402
from banks_other import OTHER_LEGIT, OTHER_SCAM  # noqa: E402
from handwritten import HANDWRITTEN  # noqa: E402

OUT = Path(__file__).with_name("seed_ads.csv")
COLUMNS = ["id", "title", "description", "company", "location", "salary", "language", "label", "provenance", "group"]
TEAM = "written by lurewatch team"


def _obfuscate(text: str, rng: random.Random) -> str:
    """Evasion spellings documented by MOEL (docs/signals.md §1, S18)."""
    tricks = [
        ("캄보디아", "캄 보 디 아"),
        ("캄보디아", "캄.보.디.아"),
        ("텔레그램", "텔.레"),
        ("텔레그램", "텔레 그램"),
        ("텔레그램", "텔\u200b레\u200b그\u200b램"),
        ("시아누크빌", "시아누 크빌"),
        ("고수익", "고 수 익"),
        ("Telegram", "T e l e g r a m"),
        ("Telegram", "Tele-gram"),
        ("Cambodia", "Camb0dia"),
        ("telegram", "ｔｅｌｅｇｒａｍ"),
        ("Telegram", "Teleɡram"),
        ("감금", "감 금"),
    ]
    rng.shuffle(tricks)
    for a, b in tricks[:2]:
        if a in text:
            text = text.replace(a, b, 1)
    return text


# Slots that name one thing per ad (the employer, the place, the role, the pay) keep one
# value across title, company and body; the others are drawn without repeats.
CONSISTENT = {
    "corp",
    "domain",
    "dest",
    "city",
    "handle",
    "role",
    "lrole",
    "pay",
    "lpay",
    "line",
    "t",
    "z",
    "n",
    "qq",
    "n5",
    "n6",
}


class _Filler:
    def __init__(self, slots: dict[str, list[str]], rng: random.Random):
        self.slots, self.rng = slots, rng
        self.fixed: dict[str, str] = {}
        self.pools: dict[str, list[str]] = {}

    def pick(self, key: str) -> str:
        if key in CONSISTENT:
            if key not in self.fixed:
                self.fixed[key] = self.rng.choice(self.slots[key])
            return self.fixed[key]
        pool = self.pools.get(key)
        if not pool:
            pool = self.pools[key] = self.rng.sample(self.slots[key], len(self.slots[key]))
        return pool.pop()

    def __call__(self, template: str) -> str:
        out = template
        for _ in range(4):  # slots may contain slots
            for key in self.slots:
                token = "{" + key + "}"
                while token in out:
                    out = out.replace(token, self.pick(key), 1)
        return out


def _compose(bank: dict, lang: str, label: int, rng: random.Random, start: int) -> list[dict]:
    rows = []
    for s, scenario in enumerate(bank["scenarios"]):
        # +2: reposts are how these ads circulate (MOEL, docs/signals.md S18); grouped splits
        # keep the variants of one scenario on one side.
        n_variants = scenario.get("variants", 2) + 2
        group = f"{lang}-{'scam' if label else 'legit'}-{bank['family']}-{s:03d}"
        for v in range(n_variants):
            fill = _Filler(bank["slots"], rng)
            title = fill(scenario["title"])
            company = fill(scenario.get("company", ""))
            location = fill(scenario.get("location", ""))
            salary = fill(scenario.get("salary", ""))
            sentences = [fill(t) for t in scenario["body"]]
            if v and scenario.get("shuffle", True) and len(sentences) > 2:
                head, rest = sentences[0], sentences[1:]
                rng.shuffle(rest)
                sentences = [head] + rest
            if v and rng.random() < 0.4:  # reposts often drop a sentence
                sentences = sentences[:-1] if len(sentences) > 2 else sentences
            desc = bank.get("joiner", " ").join(sentences)
            if label == 1 and v and rng.random() < 0.6:
                desc, title = _obfuscate(desc, rng), _obfuscate(title, rng)
            if v == n_variants - 1 and scenario.get("short_variant", True) and rng.random() < 0.5:
                desc = sentences[0]  # short repost: opening line only
            rows.append(
                {
                    "id": f"seed-{start + len(rows):04d}",
                    "title": title,
                    "description": desc,
                    "company": company,
                    "location": location,
                    "salary": salary,
                    "language": lang,
                    "label": label,
                    "provenance": f"{TEAM}; composed from phrase bank {bank['family']} scenario {s}; "
                    f"{scenario['basis']}",
                    "group": group,
                }
            )
    return rows


def build() -> list[dict]:
    """All seed rows, deterministic."""
    rng = random.Random(20261125)
    rows: list[dict] = []
    for banks, label in ((KO_SCAM + EN_SCAM + OTHER_SCAM, 1), (KO_LEGIT + EN_LEGIT + OTHER_LEGIT, 0)):
        for bank in banks:
            rows.extend(_compose(bank, bank["lang"], label, rng, len(rows)))
    for i, h in enumerate(HANDWRITTEN):
        rows.append(
            {
                "id": f"seed-h{i:03d}",
                "title": h.get("title", ""),
                "description": h["description"],
                "company": h.get("company", ""),
                "location": h.get("location", ""),
                "salary": h.get("salary", ""),
                "language": h["language"],
                "label": h["label"],
                "provenance": f"{TEAM}; hand-written single ad; {h['basis']}",
                "group": h.get("group", f"hand-{i:03d}"),
            }
        )
    return rows


def main() -> int:
    rows = build()
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
