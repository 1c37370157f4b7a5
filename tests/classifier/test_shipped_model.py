"""Behaviour of the model shipped in models/: lures flagged, hard negatives not, invariance."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from classifier.scoring import score_frame

LURES = [
    "캄보디아 고수익 알바 모집! 월 1000만원 보장, 숙식 제공. 감금 절대 없음. 텔레그램 @kh_job 문의",
    "시아누크빌 채팅 상담원 급구. 경력 무관, 월 800 이상, 항공권 선지급 후 차후 정산. 텔레 ID: boss77",
    "Hiring customer service in Sihanoukville, $3500/month, no experience, free flights, contact Telegram @hr_kh",
    "Work in KK Park Myanmar, data entry, $4000 a month, tourist visa is fine, send a photo of your passport. WhatsApp only.",
    "西港招客服，月薪3万，包吃包住，无需经验，工作合法不扣护照，飞机号私聊",
    "Việc nhẹ lương cao tại Campuchia, thu nhập nghìn đô, bao ăn ở, không cần kinh nghiệm, liên hệ Zalo",
    "빚 있으신 분 환영. 라오스 골든트라이앵글 단기 알바 월 600, 비자 없이 가능, 오픈채팅 문의",
]
LEGIT = [
    "Dubai 5-star hotel room attendants. Return air ticket, employment visa and staff accommodation paid by the employer; "
    "no recruitment fees. AED 2,800 per month. One year hotel experience. Apply via our website.",
    "두바이 호텔 객실관리 직원 채용. 왕복 항공권·기숙사 제공, 취업비자 발급. 호텔 경력 1년 이상. 월드잡플러스로 지원해 주세요.",
    "프놈펜 소재 한국계 물류회사 통역 담당 채용. 취업비자 및 워크퍼밋 지원, 월 USD 1,400, 관련 경력 2년 이상. "
    "사업자등록번호 214-86-31847. 이메일 지원.",
    "EPS 고용허가제 제조업 근로자 모집 안내. EPS-TOPIK 합격자 대상, 한국산업인력공단을 통해서만 신청하세요.",
    "Garment factory in Svay Rieng SEZ hiring sewing operators. Free dormitory and transport, minimum wage plus bonus. "
    "Apply at the factory gate.",
    "주말 카페 알바 구해요. 시급 10,030원. 카톡 문의 주세요",
    "Senior data engineer, Kuala Lumpur, 7+ years of experience, RM 14,000 monthly, apply through our careers portal.",
]


def _scores(shipped, texts: list[str]) -> pd.DataFrame:
    pipeline, card = shipped
    return score_frame(pipeline, pd.DataFrame({"description": texts}), float(card["threshold"]))


def test_card_has_what_operators_need(shipped) -> None:
    _, card = shipped
    for key in (
        "version",
        "threshold",
        "target_recall",
        "cv",
        "training",
        "libraries",
        "artefact_sha256",
        "parameters",
        "created",
        "command",
    ):
        assert key in card
    assert card["training"]["per_language_class_full_ads"]["ko"]["scam"] > 0


@pytest.mark.parametrize("text", LURES)
def test_obvious_lures_flagged(shipped, text) -> None:
    row = _scores(shipped, [text]).iloc[0]
    assert row["flagged"] and row["band"] in {"critical", "high"}, row["reasons"]
    assert row["reasons"] and all({"signal", "weight", "evidence"} <= set(r) for r in row["reasons"])


@pytest.mark.parametrize("text", LEGIT)
def test_legit_overseas_and_paid_flights_not_flagged(shipped, text) -> None:
    row = _scores(shipped, [text]).iloc[0]
    assert not row["flagged"], (row["score"], row["reasons"])


# Punctuation inside numbers (10,030원, $3,500) is part of the amount, so it is left alone.
_TEXT_PUNCT = r"(?<!\d)([,.])|([,.])(?!\d)"


def _respace(t: str) -> str:
    return re.sub(_TEXT_PUNCT, lambda m: f" {m.group()} ", re.sub(r"\s+", "  ", t))


def _repunctuate(t: str) -> str:
    return re.sub(_TEXT_PUNCT, lambda m: {",": ";", ".": "!"}[m.group()], t)


@pytest.mark.parametrize("text", LURES + LEGIT)
@pytest.mark.parametrize("variant", [_respace, _repunctuate, str.upper], ids=["respaced", "repunctuated", "upper"])
def test_band_invariant_to_spacing_and_punctuation(shipped, text, variant) -> None:
    got = _scores(shipped, [text, variant(text)])
    assert got["band"].iloc[0] == got["band"].iloc[1], got[["score", "band"]]


def test_short_text_alone_is_not_scam(shipped) -> None:
    got = _scores(shipped, ["Cashier wanted", "주방 보조 구합니다", "호텔 프런트 채용"])
    assert not got["flagged"].any(), got


# The place is not the crime (issue 19, Build 6): the model trained for issue 11 flagged a
# bare job title in Phnom Penh (this test was a strict xfail until the model retrained with
# the regional ordinary jobs of data/seed/region_jobs.csv).
def test_a_bare_phnom_penh_job_title_is_not_scam(shipped) -> None:
    assert not _scores(shipped, ["Sous chef, hotel in Phnom Penh"])["flagged"].iloc[0]


def test_the_blind_final_probes(shipped) -> None:
    """Issue 19's ten hand-written probes each way (tests/classifier/data/probes.csv, written
    blind before the signals work): at most one lure missed and one legitimate ad flagged."""
    from tests.classifier.false_readings import PROBES

    probes = pd.read_csv(PROBES, dtype=str, keep_default_na=False)
    pipeline, card = shipped
    flagged = score_frame(pipeline, probes[["title", "description"]], float(card["threshold"]))["flagged"]
    lure = probes["label"].eq("1").to_numpy()
    missed = probes.loc[lure & ~flagged.to_numpy(), "id"].tolist()
    false_alarms = probes.loc[~lure & flagged.to_numpy(), "id"].tolist()
    assert (lure.sum(), (~lure).sum()) == (10, 10)
    assert len(missed) <= 1 and len(false_alarms) <= 1, (missed, false_alarms)
