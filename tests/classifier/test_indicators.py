"""Indicator table: evasion spellings, every language, and false-positive traps."""

from __future__ import annotations

import pytest

from classifier.errors import PatternFileError
from classifier.indicators import build_set, find_hits, find_hits_batch, load_signals, parse_signals
from classifier.normalize import normalize, normalize_batch

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
    # paraphrases: a denial near a harm word (near rule), in every covered language
    ("감금이나 폭행 같은 건 절대 없어요", "safety_denial", True),
    ("Nobody here gets beaten, ever", "safety_denial", True),
    ("这里不打人不骂人", "safety_denial", True),
    ("ที่นี่ไม่มีการกักขัง", "safety_denial", True),
    ("không có chuyện bị đánh đập", "safety_denial", True),
    ("di sini tidak ada kekerasan", "safety_denial", True),
    ("walang kulong dito", "safety_denial", True),
    ("[경찰청] '감금 없다'고 강조하는 글은 의심하세요", "safety_denial", False),
    ("Fire drill this Friday at 10am", "safety_denial", False),
    # Korean particles between a noun and its verb
    ("여권은 회사에서 보관합니다", "passport_retention", True),
    ("여권을 보관해 드립니다", "passport_retention", True),
    # passport / ID retention by the employer (RET)
    ("HR holds all passports for the duration of the contract", "passport_retention", True),
    ("护照到了统一交给公司保管", "passport_retention", True),
    ("Paspor disimpan HRD, dikembalikan pas kontrak selesai", "passport_retention", True),
    ("Employers must not keep workers' passports - it is illegal", "passport_retention", False),
    ("Keep your passport in the hotel safe", "passport_retention", False),
    ("체크인 시 여권 스캔 후 즉시 돌려드립니다", "passport_retention", False),
    # a sponsored work visa is in the ad's favour, never paid travel (S05a) or irregular (S10)
    ("Visa sponsorship available for qualified candidates", "visa_sponsored", True),
    ("Visa sponsorship available for qualified candidates", "travel_lodging_paid", False),
    ("Visa sponsorship available for qualified candidates", "visa_irregular", False),
    ("E-7 visa sponsored for this role", "visa_sponsored", True),
    ("The employer sponsors your work permit", "visa_sponsored", True),
    ("E-7 비자 스폰서 제공", "visa_sponsored", True),
    ("Unable to sponsor visas; applicants must already have the right to work", "visa_sponsored", False),
    # messenger nicknames: short tokens only as whole words
    ("Contact on TG, link in bio", "messenger_contact", True),
    ("有意者加V:hr_xg88", "messenger_contact", True),
    ("텔 @kh_job 문의", "messenger_contact", True),
    ("카톡 아이디 abc123", "messenger_contact", True),
    ("Our stage crew uses VXLAN and TGV trains", "messenger_contact", False),
    # S09 / S08 forms
    ("Only those who already hold a passport", "passport_upfront", True),
    ("Send your ID front and back first", "passport_upfront", True),
    ("can come and start right away", "urgency", True),
    ("Photo ID is required to enter the building", "passport_upfront", False),
    # S07 a superlative instead of a name; S12 told as a testimonial
    ("The best company in Southeast Asia, you won't regret it", "employer_vague", True),
    ("One of our guys paid off $20k in loans in 8 months", "debt_targeting", True),
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


def _one_signal(patterns: dict, near: dict | None = None) -> object:
    entry = {"id": "x", "label": "x", "weight": 1, "patterns": patterns}
    if near is not None:
        entry["near"] = near
    return build_set(parse_signals({"signals": [entry]}))


@pytest.mark.parametrize(
    "text,fires",
    [
        ("무직자도 환영", True),
        ("현재 무직이신 분", True),
        ("사무직 채용", False),  # 무직 ends 사무직: not the noun 무직
        ("사 무직 채용", True),  # the original text has a word break before 무직
    ],
)
def test_short_hangul_noun_never_fires_inside_a_longer_word(text: str, fires: bool) -> None:
    iset = _one_signal({"ko": ["무직"]})
    assert bool(find_hits(normalize(text), iset)) is fires
    assert bool(find_hits_batch(normalize_batch(["안녕", text]), iset)[1]) is fires


@pytest.mark.parametrize(
    "text,fires",
    [("paid in cash daily", True), ("cashier wanted", False), ("petty-cash", True), ("ecash app", False)],
)
def test_latin_evidence_is_whole_words_even_for_regexes(text: str, fires: bool) -> None:
    hits = find_hits(normalize(text), _one_signal({"en": ["re:cash"]}))
    assert bool(hits) is fires
    assert all(h.text == "cash" for h in hits)


def test_near_rule_window_order_and_evidence() -> None:
    iset = _one_signal({"en": ["zzz"]}, {"a": ["beaten"], "b": ["nobody", "never"], "window": 12})
    text = "Nobody here gets beaten"
    (hit,) = find_hits(normalize(text), iset)
    assert hit.text == "Nobody here gets beaten"
    assert find_hits(normalize("beaten? never!"), iset)  # either order
    assert not find_hits(normalize("nobody told us the long story of how he was beaten"), iset)  # beyond the window
    assert not find_hits(normalize("nobody\nbeaten"), iset)  # never across a line


def test_near_rule_in_a_batch_stays_inside_its_ad() -> None:
    iset = _one_signal({"en": ["zzz"]}, {"a": ["beaten"], "b": ["nobody"], "window": 12})
    found = find_hits_batch(normalize_batch(["nobody", "beaten", "nobody is beaten"]), iset)
    assert [len(h) for h in found] == [0, 0, 1]


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
        (
            {
                "signals": [
                    {"id": "x", "label": "x", "weight": 1, "patterns": {"en": ["a"]}, "near": {"a": ["b"], "b": ["c"]}}
                ]
            },
            "missing key 'window'",
        ),
        (
            {
                "signals": [
                    {
                        "id": "x",
                        "label": "x",
                        "weight": 1,
                        "patterns": {"en": ["a"]},
                        "near": {"a": [], "b": ["c"], "window": 5},
                    }
                ]
            },
            "a must be a non-empty list",
        ),
        (
            {"signals": [{"id": "x", "label": "x", "weight": 1, "patterns": {"en": ["a"]}, "near": "b"}]},
            "key 'near' must be a mapping",
        ),
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


@pytest.mark.parametrize(
    "text,expected",
    [
        ("P@ssport pic", "passport pic"),
        ("Urg3nt!! C0mpany", "urgent!! company"),
        ("pa55port", "passport"),
        ("hr@company.com", "hr@company.com"),  # an e-mail address keeps its @
        ("usd3000 or $3,000", "usd3000 or $3,000"),  # amounts keep their digits
        ("010-1234-5678", "010-1234-5678"),
    ],
)
def test_look_alike_digits_inside_words_are_letters(text: str, expected: str) -> None:
    norm = normalize(text)
    assert norm.text == expected
    assert len(norm.text) == len(text)  # one to one: evidence offsets do not move


def test_leet_spelling_fires_with_original_evidence() -> None:
    text = "P@ssp0rts collected on day one"
    hits = [h for h in find_hits(normalize(text), load_signals()) if h.signal == "passport_retention"]
    assert hits and hits[0].text.startswith("P@ssp0rts")
