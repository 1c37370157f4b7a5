"""Shared fixtures: a tiny model trained in well under a second, the shipped model, paths."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from classifier import registry
from classifier.model import build_pipeline, fit_with_threshold

PROJECT = Path(__file__).resolve().parents[2]
SHIPPED_MODELS = PROJECT / "models"
SHARED_DATA = PROJECT.parent / "shared" / "data"

_SCAM = [
    "캄보디아 고수익 알바 월 1000만원 숙식 제공 텔레그램 @abc 문의. 감금 절대 없음",
    "Work in Sihanoukville, no experience, $3000/month, contact on Telegram @hr",
    "시아누크빌 채팅 상담 월 800 경력무관 텔레 @kk",
    "KK Park data entry job, free flight, whatsapp only, urgent hiring",
    "월 500 보장 해외 알바 비자 없이 가능 카톡 문의",
    "急招 西港 客服 月薪3万 包吃包住 飞机号 联系",
]
_LEGIT = [
    "Software engineer at a Seoul company, 5 years of experience, apply via our website hr@example.com",
    "EPS 고용허가제 한국산업인력공단 취업비자 제공 제조업 근무",
    "Hotel receptionist in Dubai, work visa provided, accommodation, apply to careers@hotel.ae",
    "(주)블루닷 백엔드 개발자 채용 자격요건 경력 3년 4대보험",
    "프놈펜 한국계 은행 통역 담당 취업비자 지원 사업자등록번호 123-45-67890",
    "Data analyst at a bank in Kuala Lumpur, degree in statistics required",
]


def tiny_training_frame() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """24 rows, 6 groups: enough for a 3-fold grouped fit."""
    texts = (_SCAM + _LEGIT) * 2
    y = np.array(([1] * len(_SCAM) + [0] * len(_LEGIT)) * 2)
    groups = np.arange(len(texts)) % len(_SCAM + _LEGIT)
    return pd.DataFrame({"description": texts, "language": ""}), y, groups


@pytest.fixture(scope="session")
def tiny_fit():
    """A FitResult trained on the tiny inline set (well under a second)."""
    X, y, g = tiny_training_frame()
    return fit_with_threshold(build_pipeline(calibration_cv=2, min_df=1), X, y, g, n_splits=3)


@pytest.fixture()
def tiny_models_dir(tmp_path, tiny_fit) -> Path:
    """A temporary models folder holding the tiny model as CURRENT."""
    d = tmp_path / "models"
    version = registry.save_model(d, tiny_fit.pipeline, {"threshold": tiny_fit.threshold, "target_recall": 0.9})
    registry.set_current(d, version)
    return d


@pytest.fixture(scope="session")
def shipped():
    """(pipeline, card) of the model shipped in models/."""
    return registry.load_model(SHIPPED_MODELS, "current")
