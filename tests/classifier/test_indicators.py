"""Indicator table: evasion spellings, every language, and false-positive traps."""

from __future__ import annotations

import pytest

from classifier.errors import PatternFileError
from classifier.indicators import find_hits, load_signals, parse_signals
from classifier.normalize import normalize

# (text, signal, should fire)
CASES = [
    # safety denials (S11), including spacing tricks
    ("감금은 절대 없으며 외박도 가능하다", "safety_denial", True),
    ("감 금 절 대 없 음", "safety_denial", True),
    ("감금\u200b절대 없습니다", "safety_denial", True),
    ("뉴스에 나오는 그런 곳 아닙니다", "safety_denial", True),
    ("This is not a scam, 100% safe", "safety_denial", True),
    ("you are free to leave any time", "safety_denial", True),
    ("工作合法，不扣护照", "safety_denial", True),
    ("công ty hợp pháp, an toàn tuyệt đối", "safety_denial", True),
    ("Our privacy policy: no confinement of your data", "safety_denial", False),
    ("Beware of scams: this is not a scam warning we send", "safety_denial", False),
    ("사기 주의하세요, 안전합니다 라는 말에 속지 마세요", "safety_denial", False),
    # messenger contact (S06)
    ("텔레그램 @kh_job 으로 연락", "messenger_contact", True),
    ("텔.레 @abc", "messenger_contact", True),
    ("텔 레 그 램 문의", "messenger_contact", True),
    ("ＴＥＬＥＧＲＡＭ: abc", "messenger_contact", True),
    ("T e l e g r a m me", "messenger_contact", True),
    ("telеgram (Cyrillic e)", "messenger_contact", True),
    ("contact wa.me/85512345", "messenger_contact", True),
    ("카톡 오픈채팅으로 문의", "messenger_contact", True),
    ("加微信详聊", "messenger_contact", True),
    ("liên hệ qua Zalo", "messenger_contact", True),
    ("텔레비전 수리 기사 모집", "messenger_contact", False),
    ("호텔 레스토랑 서버 모집", "messenger_contact", False),
    ("admin assistant wanted", "messenger_contact", False),
    ("we use the Telegraph newspaper", "messenger_contact", False),
    # pay claims (S02 text side) and no experience (S03)
    ("고수익 보장", "high_pay_claim", True),
    ("고 수 익 보장", "high_pay_claim", True),
    ("月入过万", "high_pay_claim", True),
    ("việc nhẹ lương cao", "short_term_quick_money", True),
    ("รายได้สูง", "high_pay_claim", True),
    ("경력 및 학력 무관", "no_experience", True),
    ("No experience needed", "no_experience", True),
    ("无需经验", "no_experience", True),
    ("không cần kinh nghiệm", "no_experience", True),
    ("tanpa pengalaman", "no_experience", True),
    ("ไม่ต้องใช้ทักษะ", "no_experience", True),
    ("5 years of experience required", "no_experience", False),
    # vague desk roles (S04)
    ("TM 구인합니다", "vague_desk_role", True),
    ("data entry from home", "vague_desk_role", True),
    ("แอดมินออนไลน์ ตอบแชทลูกค้า", "vague_desk_role", True),
    ("招打字员", "vague_desk_role", True),
    # travel paid (S05a) and advanced (S05b)
    ("숙식 제공", "travel_lodging_paid", True),
    ("包吃包住", "travel_lodging_paid", True),
    ("항공료 선지급(차후 정산)", "costs_advanced", True),
    ("ticket will be deducted from your salary", "costs_advanced", True),
    ("항공권은 회사 부담이며 공제 없음", "costs_advanced", False),
    # visa (S10), passport (S09)
    ("비자 없이 리조트 알바 가능", "visa_irregular", True),
    ("관광비자로 입국 후 근무", "visa_irregular", True),
    ("we convert it to a working visa", "visa_irregular", True),
    ("hindi na kailangan ng visa", "visa_irregular", True),
    ("visa turis, bukan visa kerja", "visa_irregular", True),
    ("여권 사진 먼저 보내주세요", "passport_upfront", True),
    ("send a photo of your passport today", "passport_upfront", True),
    ("cukup punya paspor", "passport_upfront", True),
    # debt (S12), crime (S19), urgency (S08), route (S17), looks (S14), commission (S15)
    ("빚 청산 도와드립니다", "debt_targeting", True),
    ("신용불량자 가능", "debt_targeting", True),
    ("clear your debts fast", "debt_targeting", True),
    ("코인 리딩방 운영", "crime_duties", True),
    ("种菠菜项目", "crime_duties", True),
    ("judi online", "crime_duties", True),
    ("cờ bạc online", "crime_duties", True),
    ("급구! 즉시 출국", "urgency", True),
    ("tuyển gấp", "urgency", True),
    ("공항에서 업체 관계자가 픽업", "indirect_route", True),
    ("fly to Bangkok first, we pick you up at the airport", "indirect_route", True),
    ("남녀무관 커플 동반 가능", "age_gender_looks", True),
    ("unlimited commission plus referral bonus", "commission_quota", True),
    ("회사명은 면접 때 알려드립니다", "employer_vague", True),
    ("한국인만 지원 가능", "nationality_targeting", True),
    # in the ad's favour
    ("취업비자 발급 지원", "work_visa_stated", True),
    ("work permit provided", "work_visa_stated", True),
    ("사업자등록번호 214-86-31847", "registered_employer", True),
    ("Angkor Garments Co., Ltd.", "registered_employer", True),
    ("고용허가제 EPS", "official_programme", True),
    ("BP2MI program resmi", "official_programme", True),
    ("JLPT N2 이상", "qualifications_required", True),
]


@pytest.mark.parametrize("text,signal,fires", CASES, ids=[f"{i:02d}-{c[1]}-{c[2]}" for i, c in enumerate(CASES)])
def test_indicator_table(text: str, signal: str, fires: bool) -> None:
    hits = find_hits(normalize(text), load_signals())
    assert (signal in {h.signal for h in hits}) is fires, [(h.signal, h.text) for h in hits]


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize(
    "text,expected",
    [
        ("연락: 텔.레 그.램 @abc", "텔.레 그.램"),
        ("캄 보 디 아 고 수 익", "고 수 익"),
        ("ＴＥＬＥＧＲＡＭ now", "ＴＥＬＥＧＲＡＭ"),
        ("x t.e.l.e.g.r.a.m y", "t.e.l.e.g.r.a.m"),
    ],
)
def test_evidence_is_original_text(text: str, expected: str) -> None:
    hits = find_hits(normalize(text), load_signals())
    spans = {text[h.start : h.end] for h in hits}
    assert expected in spans
    assert all(text[h.start : h.end] == h.text for h in hits)


def test_every_signal_has_four_languages() -> None:
    import yaml

    from classifier.indicators import DEFAULT_PATH

    spec = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    for entry in spec["signals"]:
        assert {"ko", "en", "zh"} <= set(entry["patterns"]), entry["id"]
        assert {"th", "vi", "id"} & set(entry["patterns"]), entry["id"]


@pytest.mark.parametrize(
    "spec,fragment",
    [
        ({"signals": [{"id": "x", "label": "x", "weight": 1, "patterns": {"en": ["re:(unclosed"]}}]}, "signal 'x'"),
        ({"signals": [{"id": "x", "label": "x", "patterns": {"en": ["a"]}}]}, "missing key 'weight'"),
        (
            {"signals": [{"id": "x", "label": "x", "weight": "high", "patterns": {"en": ["a"]}}]},
            "'weight' must be a number",
        ),
        ({"nope": []}, "top-level 'signals'"),
    ],
)
def test_bad_pattern_file_names_the_entry(spec: dict, fragment: str) -> None:
    with pytest.raises(PatternFileError, match=fragment.replace("(", r"\(")):
        parse_signals(spec)


def test_every_signal_cites_an_id_documented_in_docs_signals() -> None:
    """indicators.yaml's `ref` names a signal of docs/signals.md, where its sources are."""
    import re
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "signals.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| (S\d\d[ab]?|RET|M-[a-z]+) \|", doc, re.M))
    spec = yaml.safe_load((root / "classifier" / "data" / "indicators.yaml").read_text(encoding="utf-8"))
    refs = {s["ref"] for s in spec["signals"]}
    assert len(documented) >= 24 and refs <= documented, refs - documented
