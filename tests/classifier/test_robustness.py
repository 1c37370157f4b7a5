"""Scraped text is arbitrary: no input may make the analysis raise, and evidence must point
at the ad's own words. The analysis runs on whole batches, so one bad ad would otherwise
fail scoring for the 2,000 ads around it (as "$1.234.5" once did)."""

from __future__ import annotations

import random
import unicodedata

import pytest

from classifier import features as F
from classifier.normalize import _LEET_MAP, _swap_homoglyphs, normalize, normalize_batch

# Pieces that stress each stage: numbers in every separator style next to currency and
# period words (pay), separators between dense letters and spelled-out words
# (normalisation), characters that change length under NFKC or lowercasing (offset maps),
# zero-width and control characters, lone surrogates (JSON can carry them), the batch
# separator itself, handles and phones (contacts), place names (gazetteer).
PIECES = [
    "1.234.5",
    "1,234.567.8",
    "15.000.000",
    "0.5",
    "00",
    "9" * 30,
    "1e9",
    "１２３",
    "½",
    "٣",
    "๓",
    "$",
    "us$",
    "usd",
    "만원",
    "천만",
    "억",
    "원",
    "万",
    "元",
    "฿",
    "triệu",
    "juta",
    "rm",
    "rs.",
    "aed",
    "₩",
    "¥",
    "/month",
    "per day",
    "월",
    "연봉",
    "일당",
    "~",
    "-",
    "–",
    "to",
    "에서",
    "캄 보 디 아",
    "텔.레",
    "t.e.l.e.g.r.a.m",
    "월 4 0 0 만 원",
    "x . y",
    "ﬁ",
    "İ",
    "…",
    "㈜",
    "Ⅻ",
    "ß",
    "\u200b",
    "\u00ad",
    "\ufeff",
    "\x00",
    "\n\x00\n",
    "\t",
    "\r\n",
    "\ud800",
    "\udfff",
    "e\u0301",
    "\U0001f600",
    "@handle_01",
    "t.me/abc",
    "+855 12 345 678",
    "010-1234-5678",
    "wa.me/855",
    "kakao",
    "jobs@example.org",
    "Cambodia",
    "시아누크빌",
    "西港",
    "Myawaddy",
    "ไทย",
    "Sihanoukville",
    "Bavet",
    "no experience",
    "경험 무관",
    "항공권 제공",
    "passport",
    "여권",
    "免签",
    " ",
    ".",
    ",",
    "",
    "(",
    ")",
]


def _random_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(PIECES) + rng.choice(["", " ", "", "."]) for _ in range(rng.randrange(0, 25)))
        for _ in range(n)
    ]


@pytest.mark.parametrize("seed", range(4))
def test_random_ads_never_raise_and_evidence_is_the_ads_own_text(shipped, seed: int) -> None:
    iset, gaz = shipped[0].named_steps["analyse"].compiled()
    texts = _random_texts(500, seed)
    rows = [
        {"title": t[:40], "company": "", "location": t[40:60], "salary": t[:15], "description": t, "contacts": None}
        for t in texts
    ]
    analyses = F.analyse_batch(rows, iset, gaz)
    assert len(analyses) == len(rows)
    for row, a in zip(rows, analyses):
        original = "\n".join(p for p in (row["title"], row["location"], row["salary"], row["description"]) if p.strip())
        for h in a.hits:
            assert original[h.start : h.end] == h.text


@pytest.mark.parametrize("seed", range(4))
def test_batch_normalisation_equals_one_by_one(seed: int) -> None:
    # Except for whitespace opening an ad: in a batch it follows the separator's line break,
    # so it is a run of spaces and collapses away. Nothing matches on leading whitespace.
    texts = _random_texts(300, seed + 10)
    batch = normalize_batch(texts)
    assert [t.lstrip() for t in batch.texts()] == [normalize(t.replace("\x00", " ")).text.lstrip() for t in texts]


def _forms(original: str) -> str:
    """What normalisation may turn these original characters into (before deletions)."""
    forms = _swap_homoglyphs("".join(unicodedata.normalize("NFKC", c).lower() for c in original))
    return forms + forms.translate(_LEET_MAP)  # look-alike digits inside words read as letters


@pytest.mark.parametrize("seed", range(3))
def test_every_normalised_character_maps_back_to_the_original_it_came_from(seed: int) -> None:
    # The offset maps behind every evidence span: each character of the normalised text
    # maps to original characters whose normal form holds it, in order, for single texts
    # and for a whole batch (separators included).
    texts = _random_texts(200, seed + 20)
    cases = [normalize(t) for t in texts] + [normalize_batch(texts).norm]
    for norm in cases:
        n = len(norm.text)
        spans = [norm.to_original(i, i + 1) for i in range(n)]
        assert all(norm.text[i] in _forms(norm.original[a:b]) for i, (a, b) in enumerate(spans))
        assert [a for a, _ in spans] == sorted(a for a, _ in spans)
        many = norm.to_original_many(list(range(n)), list(range(1, n + 1)))
        assert list(zip(*many)) == spans
