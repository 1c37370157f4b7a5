"""The score stage: real models score stored ads, fill the queue, keep decisions on rescoring."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

import pipeline
from classifier import registry
from config import load_config
from stages.common import database
from stages.score import score_ads
from store.ads import upsert_ad
from store.queue import decide
from store.schema import ReviewItem, Score

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
LURE = (
    "캄보디아 시아누크빌 채팅 상담원 모집. 경험 무관, 월 1000만원 보장, 항공권 숙소 제공. "
    "감금 절대 없음, 외박 가능. 여권만 준비되면 바로 출국. 텔레그램 @fastjob_kh 로만 연락"
)
LEGIT = (
    "(주)한빛소프트 백엔드 개발자 채용. 자격요건: Python 경력 3년 이상, 4대보험, "
    "서울 근무. 지원: careers@hanbit.example 사업자등록번호 123-45-67890"
)


def _ads(factory, n_legit: int = 3) -> None:
    with factory.begin() as s:
        upsert_ad(
            s,
            {"source": "t", "external_id": "lure", "title": "고수익 해외 알바", "description": LURE, "language": "ko"},
            T0,
        )
        for i in range(n_legit):
            upsert_ad(
                s,
                {
                    "source": "t",
                    "external_id": f"legit{i}",
                    "title": "백엔드 개발자",
                    "description": LEGIT + f" 공고번호 {i}",
                    "language": "ko",
                },
                T0,
            )


@pytest.fixture
def shipped_config(write_config):
    return load_config(write_config({"database": {"url": "sqlite:///t.db"}, "logging": {"dir": "logs"}}))


def test_shipped_model_queues_the_lure_not_the_ordinary_ad(shipped_config):
    with database(shipped_config) as factory:
        _ads(factory)
        result = score_ads(shipped_config, factory)
        assert result.counts["scored"] == 4 and result.counts["queued"] == 1
        assert result.counts["model"] == registry.current_version(shipped_config.models.dir)
        with factory() as s:
            [item] = s.scalars(select(ReviewItem)).all()
            assert item.status == "pending" and item.priority > 0.5
        again = score_ads(shipped_config, factory)  # nothing new: idempotent
        assert again.counts["scored"] == 0
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(Score)) == 4
            assert s.scalar(select(func.count()).select_from(ReviewItem)) == 1


def test_rescore_with_another_model_keeps_decisions(write_config, tiny_models_dir):
    cfg_path = write_config(
        {
            "database": {"url": "sqlite:///t.db"},
            "models": {"dir": str(tiny_models_dir)},
            "scoring": {"threshold": 0.01},
            "logging": {"dir": "logs"},
        }
    )
    config = load_config(cfg_path)
    with database(config) as factory:
        _ads(factory)
        first = score_ads(config, factory)
        assert first.counts["queued"] == 4  # a threshold this low queues everything
        with factory.begin() as s:
            ids = s.scalars(select(ReviewItem.id).order_by(ReviewItem.id)).all()
            decide(s, ids[0], "scam", "ana", T0)
            decide(s, ids[1], "legit", "ana", T0, note="known employer")
        # A second model version (same tiny fit, saved anew) rescoring every undecided ad.
        pipe, card = registry.load_model(tiny_models_dir, "current")
        v2 = registry.save_model(
            tiny_models_dir, pipe, {"threshold": card["threshold"], "target_recall": 0.9}, version="20991231T000000Z"
        )
        registry.set_current(tiny_models_dir, v2)
        second = score_ads(config, factory, rescore=True)
        assert second.counts["model"] == v2 and second.counts["scored"] == 2
        with factory() as s:
            statuses = s.scalars(select(ReviewItem.status).order_by(ReviewItem.id)).all()
            assert statuses[:2] == ["scam", "legit"]
            assert s.scalar(select(func.count()).select_from(Score)) == 6  # history kept


def test_score_command_and_run_include_scoring(shipped_config, capsys):
    with database(shipped_config) as factory:
        _ads(factory)
    assert pipeline.main(["score", "--config", str(shipped_config.path)]) == 0
    out = capsys.readouterr().out
    assert "scored 4 ad(s)" in out and "1 newly queued" in out
    assert pipeline.main(["run", "--config", str(shipped_config.path)]) == 0
    out = capsys.readouterr().out
    assert "score: model" in out and "export: items 1" in out


def test_unknown_model_version_is_a_one_line_error(write_config, capsys):
    path = write_config({"database": {"url": "sqlite:///t.db"}, "scoring": {"model": "20000101T000000Z"}})
    assert pipeline.main(["score", "--config", str(path)]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("INFO ")]
    assert len(err) == 1 and err[0].startswith("error: no model 20000101T000000Z")
    assert "Traceback" not in err[0]


def test_a_one_line_chinese_post_is_kept_stored_and_scored(shipped_config):
    """A 7-character post passes validation, is stored and gets a score, a band and reasons
    from the shipped model: a one-line text must not crash or be skipped anywhere."""
    from core.bands import BANDS
    from crawler.items import new_ad
    from crawler.pipelines.validate import drop_reason

    text = "日薪800，做30天"
    item = new_ad(source="t", external_id="zh1", url="http://jobs.example/zh1", description=text, language="zh")
    assert drop_reason(item) is None
    with database(shipped_config) as factory:
        with factory.begin() as s:
            upsert_ad(s, dict(item), T0)
        result = score_ads(shipped_config, factory)
        assert result.counts["scored"] == 1
        with factory() as s:
            row = s.scalars(select(Score)).one()
            queued = s.scalar(select(func.count()).select_from(ReviewItem))
    assert 0.0 <= row.score <= 1.0 and row.band in BANDS and queued == int(row.flagged)
    for reason in row.reasons:
        assert reason["evidence"] and reason["evidence"] in text  # whole words of the post itself
