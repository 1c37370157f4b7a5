"""Reasons an analyst can read: whole words or named signals, one line per signal.

Run on the shipped model (read-only): the fragments these tests forbid are what its
TF-IDF bigrams used to surface ('무직' highlighted inside 사무직, '000' of 1,000, 'month').
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd
import pytest

from classifier.normalize import DENSE
from classifier.scoring import _bounded, _is_filler, mark_evidence, score_frame
from core.reasons import evidence_parts, reason_text, reasons_text
from tests.classifier.golden_ads import golden_ads

ADS = [
    "사무직 채용 캄보디아 월 1000만원 텔레그램 @abc123 문의 카톡 kakao123 텔레 연락",
    "해외 취업 보장 담경 익알 3개월 단기 고수익 사무직 모집",
    "Customer service job in Cambodia, salary $3,000/month, 1,000 USD bonus, no experience, "
    "contact telegram @jobsabc, whatsapp +85512345678, telegram only",
    "日薪800，做30天",
    "캄보디아 고수익 알바 텔레 @kr_job 문의",
]


@pytest.fixture(scope="module")
def scored(shipped) -> pd.DataFrame:
    pipeline, card = shipped
    ads = pd.concat([pd.DataFrame({"description": ADS}), golden_ads()], ignore_index=True)
    frame = score_frame(pipeline, ads, float(card["threshold"]))
    frame["text"] = [
        "\n".join(str(v) for v in row if isinstance(v, str) and v.strip())
        for row in ads.reindex(columns=["title", "company", "location", "salary", "description"]).itertuples(
            index=False
        )
    ]
    return frame


def _text_words(reasons: list[dict]) -> list[tuple[str, int, int]]:
    return [p for r in reasons if r["signal"] == "text" for p in evidence_parts(r)]


def test_an_ad_with_samujik_never_shows_mujik(scored) -> None:
    for i in (0, 1):
        lines = reasons_text(scored.loc[i, "reasons"])
        assert "무직" not in lines.replace("사무직", ""), lines
        assert "'" not in lines  # no "mentions 'xx'" fragments any more


def test_text_reasons_are_whole_words_of_the_ad(scored) -> None:
    """Every word the model weighs and shows stands alone in the original text."""
    checked = 0
    for reasons, text in zip(scored["reasons"], scored["text"]):
        for word, start, end in _text_words(reasons):
            assert 0 <= start < end <= len(text) and text[start:end] == word
            dense = bool(re.search(f"[{DENSE}]", word))
            assert _bounded(text, start, end, dense), (word, text[max(0, start - 5) : end + 5])
            checked += 1
    assert checked >= 10  # the guard must have looked at real text reasons


def test_no_digits_units_or_stop_words_as_reasons(scored) -> None:
    words = [w.lower() for reasons in scored["reasons"] for w, _, _ in _text_words(reasons)]
    assert words and not [w for w in words if _is_filler(w)]
    assert not [w for w in words if not any(c.isalpha() for c in w)]
    assert "month" not in words and "000" not in words


def test_one_line_per_signal(scored) -> None:
    for reasons in scored["reasons"]:
        counts = Counter(r["signal"] for r in reasons)
        assert max(counts.values(), default=1) == 1, counts
        for r in reasons:
            words = [" ".join(w.split()).lower() for w, _, _ in evidence_parts(r)]
            assert len(words) == len(set(words)), r  # each word listed once
    # The first ad fires the messenger signal on several words: one line lists them all.
    lines = reasons_text(scored.loc[0, "reasons"]).splitlines()
    messenger = [line for line in lines if line.startswith("contact through a messenger app")]
    assert len(messenger) == 1 and messenger[0].count("“") >= 2, lines


def test_every_word_of_a_merged_reason_is_marked(scored) -> None:
    merged = next(r for r in scored.loc[0, "reasons"] if r.get("more"))
    marked = mark_evidence(scored.loc[0, "text"], [merged])
    parts = evidence_parts(merged)
    assert len(parts) >= 2 and all(f"[[{word}]]" in marked for word, _, _ in parts), marked


def test_reason_text_lists_every_word_and_reads_old_reasons() -> None:
    merged = {
        "signal": "messenger_contact",
        "label": "contact through a messenger app",
        "weight": 1.0,
        "evidence": "텔레그램",
        "start": 3,
        "end": 7,
        "more": [{"evidence": "@abc123", "start": 10, "end": 17}],
    }
    assert reason_text(merged) == "contact through a messenger app: “텔레그램”, “@abc123”"
    old = {"signal": "text", "label": "mentions 'visa'", "weight": 0.2, "evidence": "visa"}
    assert reason_text(old) == "mentions 'visa': “visa”"
    assert evidence_parts({"evidence": "", "more": ["junk", {"evidence": "x"}]}) == [("x", -1, -1)]
