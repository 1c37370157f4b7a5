"""Analysis once, stored (issue 24): what the score stage keeps, and what the read side does with it.

Every span a score stores lies inside the ad's model text and holds its evidence words;
pay, destination and contacts are stored beside it; views, exports and ``review show``
read them, and an ad edited (or scored before analyses were kept) is scored again.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

import pipeline
from config import load_config
from core.ad import model_text, text_sha256
from core.evidence import evidence_runs
from core.reasons import evidence_parts
from stages.common import database
from stages.desk import open_item
from stages.score import score_ads
from store.ads import upsert_ad
from store.analysis import read_analysis
from store.schema import Ad, ReviewItem, Score

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
ADS = [
    {
        "title": "캄보디아 고수익 채팅 상담원 모집",
        "location": "Phnom Penh, KH",
        "salary": "  월 1000만원 ",
        "description": "경험 무관! 항공권 숙소 식사 전부 제공, 여권만 있으면 바로 출국.\n\n문의는 텔레그램 @gold_cs_kh 로만",
        "contacts": {"telegram": ["@gold_cs_kh"]},
    },
    {
        "title": "Casino customer service – Sihanoukville, visa and flight provided",
        "location": "Sihanoukville, KH",
        "salary": "USD 1,500–3,000 per MONTH",
        "description": "Easy job, no experience needed, typing only. Free flight ticket.\n"
        "Contact WhatsApp +855 96 123 4567 or Telegram t.me/sihanouk_hr",
        "contacts": {"whatsapp": ["+855961234567"], "telegram": ["@sihanouk_hr"]},
    },
    {
        "title": "해외 마케팅 사무직 (태국 파견)",
        "location": "Bangkok, TH",
        "salary": "KRW 8,000,000–12,000,000 per MONTH",
        "description": "태국 현지 사무직, 타이핑만 가능하면 OK. 나이 무관, 경험 무관.\n\n비자는 현지에서 처리, 출국 비용 전액 지원.",
        "contacts": {"kakao": ["easyjob77"]},
    },
]


@pytest.fixture
def scored(write_config, tiny_models_dir):
    config = load_config(
        write_config(
            {
                "database": {"url": "sqlite:///t.db"},
                "models": {"dir": str(tiny_models_dir)},
                "scoring": {"threshold": 0.05},
                "export": {"dir": "exports"},
                "logging": {"dir": "logs"},
            }
        )
    )
    with database(config) as factory:
        with factory.begin() as s:
            for n, ad in enumerate(ADS):
                upsert_ad(s, {"source": "demo", "external_id": f"a{n}", "language": "ko", **ad}, T0)
        score_ads(config, factory)
        yield config, factory


def _spans(score: Score) -> list[tuple[str, int, int]]:
    parts = [p for r in score.reasons for p in evidence_parts(r)]
    for key in ("pay", "destination"):
        if score.analysis.get(key):
            parts.append((score.analysis[key]["evidence"], score.analysis[key]["start"], score.analysis[key]["end"]))
    return parts


def test_every_stored_span_lies_in_its_text_and_covers_its_evidence_words(scored):
    config, factory = scored
    with factory() as s:
        rows = s.execute(select(Score, Ad).join(Ad, Ad.id == Score.ad_id)).all()
        assert len(rows) == len(ADS)
        placed = 0
        for score, ad in rows:
            text = model_text({f: getattr(ad, f) for f in ("title", "company", "location", "salary", "description")})
            assert score.analysis["text_sha256"] == text_sha256(text) and score.analysis["text_length"] == len(text)
            assert score.content_hash == ad.content_hash
            for evidence, start, end in _spans(score):
                if start < 0:  # evidence from the contacts field: no place in the text, and says so
                    assert end < 0
                    continue
                placed += 1
                assert 0 <= start < end <= len(text), (evidence, start, end)
                assert text[start:end] == text[start:end].strip(), "a span starts or ends on a space"
                assert " ".join(text[start:end].split()).lower() == " ".join(evidence.split()).lower()
        assert placed >= 10
        pays = {ad.external_id: score.analysis["pay"] for score, ad in rows}
    # The pay came from the salary field, and its offsets still count in the whole text.
    assert pays["a0"]["currency"] == "KRW" and pays["a0"]["evidence"] == "1000만원" and pays["a0"]["start"] > 0


def test_views_exports_and_review_show_read_what_was_stored(scored, tmp_path, capsys):
    config, factory = scored
    with factory() as s:
        item_id = s.scalar(select(ReviewItem.id).join(Ad, Ad.id == ReviewItem.ad_id).where(Ad.external_id == "a0"))
    assert item_id is not None
    with factory.begin() as s:
        page = open_item(s, item_id, T0)
    assert page.analysis.current and page.pay["currency"] == "KRW"
    marked = [text for text, marks in page.runs if marks]
    assert any("1000만원" in text for text in marked)  # the pay reason, usually the strongest, is marked now
    assert all(text == text.strip() and text.strip(" ,.") for text in marked)  # no mark on a space or a comma
    out = tmp_path / "q.jsonl"
    assert pipeline.main(["export", "--format", "jsonl", "--out", str(out), "--config", str(config.path)]) == 0
    rows = {r["review_id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    row = rows[item_id]
    text = row["scored_text"]
    assert row["analysis_current"] and row["pay"]["evidence"] == "1000만원"
    for r in row["reasons"]:
        for evidence, start, end in evidence_parts(r):
            assert start < 0 or text[start:end] == evidence  # offsets count in scored_text, never past its end
    capsys.readouterr()
    assert pipeline.main(["review", "show", str(item_id), "--config", str(config.path)]) == 0
    shown = capsys.readouterr().out
    assert "1000만원«" in shown and "pay read 1000만원" in shown


def test_nothing_on_the_read_side_parses_an_ad(scored, monkeypatch):
    """The item page, the exports and review show never call the classifier's parsers."""
    import classifier.features
    import classifier.salary

    config, factory = scored

    def refuse(*args, **kwargs):
        raise AssertionError("the read side parsed an ad")

    for module, name in ((classifier.salary, "parse_pay"), (classifier.salary, "best_pay")):
        monkeypatch.setattr(module, name, refuse)
    monkeypatch.setattr(classifier.features, "analyse_batch", refuse)
    with factory.begin() as s:
        for item_id in s.scalars(select(ReviewItem.id)):
            open_item(s, item_id, T0)
    assert pipeline.main(["export", "--format", "xlsx", "--out", "q.xlsx", "--config", str(config.path)]) == 0
    assert pipeline.main(["review", "show", "1", "--config", str(config.path)]) == 0


def test_an_edited_ad_is_shown_unmarked_then_scored_again(scored):
    config, factory = scored
    with factory.begin() as s:
        ad = s.scalar(select(Ad).where(Ad.external_id == "a0"))
        changed = {f: getattr(ad, f) for f in ("source", "external_id", "title", "location", "salary", "language")}
        upsert_ad(s, {**changed, "description": "새 공고: 월 1200만원, 경험 무관.", "contacts": ad.contacts}, T0)
        item_id = s.scalar(select(ReviewItem.id).where(ReviewItem.ad_id == ad.id))
    with factory.begin() as s:
        page = open_item(s, item_id, T0)
        assert not page.analysis.current and "changed after it was scored" in page.analysis.why_unmarked
        assert [marks for _, marks in page.runs] == [()]  # no mark at offsets that no longer hold
    assert score_ads(config, factory).counts["scored"] == 1  # only the edited ad
    with factory.begin() as s:
        assert open_item(s, item_id, T0 + timedelta(minutes=1)).analysis.current


def test_scores_from_before_the_analysis_was_kept_are_marked_and_rescored(scored):
    config, factory = scored
    with factory.begin() as s:
        for score in s.scalars(select(Score)):
            score.analysis, score.content_hash = None, None  # as migration 0009 leaves older rows
    with factory.begin() as s:
        page = open_item(s, 1, T0)
        assert not page.analysis.stored and "scored before lurewatch kept the evidence" in page.analysis.why_unmarked
    assert score_ads(config, factory).counts["scored"] == len(ADS)
    with factory.begin() as s:
        assert open_item(s, 1, T0).analysis.current


def test_runs_merge_overlapping_evidence_and_ignore_spans_that_do_not_hold():
    text = "나이 무관, 경험 무관. 텔레그램 @boss"
    reasons = [
        {
            "signal": "a",
            "evidence": "무관, 경험",
            "start": 3,
            "end": 9,
            "more": [{"evidence": "경험 무관", "start": 7, "end": 12}],
        },
        {"signal": "b", "evidence": "텔레그램", "start": 14, "end": 18},
        {"signal": "c", "evidence": "@boss", "start": -1, "end": -1},  # from the contacts field
        {"signal": "d", "evidence": "nothing like it", "start": 0, "end": 5},  # stale offsets
    ]
    assert evidence_runs(text, reasons) == [
        ("나이 ", ()),
        ("무관, 경험 무관", (1,)),
        (". ", ()),
        ("텔레그램", (2,)),
        (" @boss", ()),
    ]
    assert read_analysis({"description": text}, None).why_unmarked.startswith("scored before")
