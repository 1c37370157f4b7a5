"""The mechanisms behind "signals fire on the right words" (issue 19, Build 4 and 5).

Small inline ads, each written to exercise one mechanism: address spans, refusals, the
messenger-only conclusion, whole words in dense scripts, text-direction controls and the
workplace country. The blind table (test_false_readings.py) checks the same on other text.
"""

from __future__ import annotations

import pytest

from classifier import gazetteer as gz
from classifier.errors import PatternFileError
from classifier.extract import contact_types, messenger_only
from classifier.features import analyse
from classifier.indicators import address_spans, find_hits, load_signals, parse_signals
from classifier.normalize import normalize, normalize_batch
from classifier.salary import parse_pay
from classifier.scoring import _is_filler
from classifier.tokens import tokenize


def _fired(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for h in find_hits(normalize(text), load_signals()):
        out.setdefault(h.signal, []).append(h.text)
    return out


def _country(title: str, description: str = "", salary: str = "") -> str:
    row = {"title": title, "description": description, "salary": salary}
    return analyse(row, load_signals(), gz.load_gazetteer()).country


# ---- text-direction controls and dense scripts -------------------------------------------


@pytest.mark.parametrize(
    "control", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
)
def test_text_direction_controls_are_removed_and_offsets_still_map(control: str) -> None:
    text = f"pass{control}port kept by the company"
    n = normalize(text)
    assert n.text.startswith("passport kept")
    assert n.span_text(0, 8)[2] == f"pass{control}port"


def test_khmer_lao_and_burmese_tokens_are_bigrams_not_pieces_cut_at_marks() -> None:
    for word in ("ប្រាក់ខែ", "ເງິນເດືອນ", "လစာ"):
        tokens = tokenize(normalize(word).text)
        assert tokens and all(len(t) == 2 for t in tokens), tokens


@pytest.mark.parametrize("token,filler", [("월", True), ("ក", True), ("万", True), ("여권", False), ("qq", False)])
def test_a_lone_dense_character_is_never_a_wording(token: str, filler: bool) -> None:
    assert _is_filler(token) is filler


# ---- handles, e-mail addresses and URLs ---------------------------------------------------


def test_address_spans_cover_handles_emails_urls_and_bare_domains() -> None:
    text = normalize("IG @hold_recruit, mail hr@siam-food.co.th, apply careers.example.ph/jobs or www.x.com.").text
    spans = address_spans(text)
    assert [text[a:b] for a, b in zip(spans.starts, spans.ends)] == [
        "@hold_recruit",
        "hr@siam-food.co.th",
        "careers.example.ph/jobs",
        "www.x.com",
    ]


@pytest.mark.parametrize(
    "text,signal",
    [
        ("Questions: telegram @hold_recruit", "passport_retention"),
        ("Kirim CV via IG @freshstart_bakery", "debt_targeting"),
        ("문의 visa_safe_jobs@mail.com", "safety_denial"),
    ],
)
def test_words_inside_a_handle_or_address_are_never_evidence(text: str, signal: str) -> None:
    assert signal not in _fired(text)


def test_an_address_pattern_shows_the_whole_address() -> None:
    fired = _fired("Apply: hr@siamfood.co.th or t.me/kh_recruit")
    assert "hr@siamfood.co.th" in fired.get("registered_employer", [])
    assert "t.me/kh_recruit" in fired.get("messenger_contact", [])


# ---- refusals and working hours -----------------------------------------------------------


@pytest.mark.parametrize(
    "text,fires",
    [
        ("경력 무관 아님 (최소 2년)", False),
        ("무경험자 지원 불가", False),
        ("No experience? Not for this role.", False),
        ("无经验者勿扰", False),
        ("(필수) QA 실무 경험 3년 이상", False),
        ("경력 무관, 초보 가능", True),
        ("No experience needed, we train you", True),
    ],
)
def test_a_refused_or_required_qualification_is_never_no_experience(text: str, fires: bool) -> None:
    assert ("no_experience" in _fired(text)) is fires


@pytest.mark.parametrize(
    "text,fires",
    [
        ("출퇴근이 자유로운 유연근무제", False),
        ("You're free to leave at 1 pm on Fridays", False),
        ("You are free to leave the compound any time, no confinement", True),
    ],
)
def test_working_hours_are_not_a_safety_denial(text: str, fires: bool) -> None:
    assert ("safety_denial" in _fired(text)) is fires


def test_negated_by_is_validated() -> None:
    base = {"id": "x", "label": "x", "weight": 1, "patterns": {"en": ["a"]}}
    with pytest.raises(PatternFileError, match="negated_by: missing key 'window'"):
        parse_signals({"signals": [{**base, "negated_by": {"terms": ["b"]}}]})
    with pytest.raises(PatternFileError, match="key 'window' must be between 1 and 80"):
        parse_signals({"signals": [{**base, "negated_by": {"terms": ["b"], "window": 500}}]})


# ---- messenger only -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,only",
    [
        ("Telegram @abc only", True),
        ("Telegram @abc or call 012 555 678", False),
        ("Zalo/ĐT: 0905 555 123", False),
        ("텔레그램 @abc, 방문 접수: 서울 중구 을지로 155", False),
        ("텔레그램 @abc, 정식 지원은 채용 홈페이지", False),
        ("Telegram @abc, formal applications via example.com.kh/jobs", False),
        ("Chat saja lewat wa.me/6281255507788 (tidak terima telepon)", True),
    ],
)
def test_messenger_only_needs_no_other_channel(text: str, only: bool) -> None:
    norm = normalize(text).text
    assert messenger_only(contact_types({}, norm), norm) is only


# ---- the country the job is in ------------------------------------------------------------


@pytest.mark.parametrize(
    "title,description,country",
    [
        ("[서울 구로] QA 엔지니어", "서울 구로구 디지털로", "KR"),
        ("안산 캄보디아 음식점 주방 직원", "안산 원곡동 캄보디아 음식점에서 구합니다.", "KR"),
        ("Thai cook", "Thai restaurant, Street 51, Phnom Penh.", "KH"),
        ("미야와디 쪽 IT 회사", "태국 메솟에서 픽업, 미야와디 쪽 IT 회사 근무", "MM"),
        ("妙瓦底直招", "湄索接人，过河上班。", "MM"),
        ("Nurse, Mae Sot", "Border clinic in Mae Sot (Tak Province).", "TH"),
        ("Guest relations", "On the Thai side of the Golden Triangle in Chiang Saen.", "TH"),
        ("Customer service", "Inside the Golden Triangle SEZ. Fly to Chiang Rai, cross at Chiang Khong.", "LA"),
        ("Việc làm", "Xe đưa lên Mộc Bài rồi qua bên kia làm việc luôn.", "KH"),
        ("Lao–English interpreter (Seoul)", "Interpreter for Lao workers, liaison office in Seoul.", "KR"),
        ("Accountant", "Call +855 12 555 308.", "KH"),
        ("Accountant", "Apply to hr@example.co.th", "TH"),
        ("Kitchen helper", "Sahod: ₱750 kada araw", "PH"),
        ("Accountant", "Degree in accounting, two years of experience.", ""),
    ],
)
def test_workplace_country(title: str, description: str, country: str) -> None:
    assert _country(title, description) == country


def test_a_gazetteer_country_must_be_an_iso_code() -> None:
    with pytest.raises(PatternFileError, match="key 'across' must be a two-letter country code"):
        gz.parse_gazetteer({"places": [{"id": "x", "country": "TH", "risk": 1, "across": "Myanmar", "names": ["x"]}]})


# ---- hostile input: every new pattern stays linear ----------------------------------------
# No timing is asserted: a pattern that backtracked catastrophically on these inputs would
# not finish, and the test run's own time limit would fail it.

HOSTILE = [
    "a" * 50_000,
    "@" + "a" * 50_000,
    "a." * 25_000 + "com",
    "1" * 50_000,
    "1 " * 25_000 + "원",
    "1," * 25_000 + "000 usd",
    "月薪" + "1" * 50_000,
    "+" + "1 " * 25_000,
    ("월 거래액 " * 5_000) + "56억 원",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_gives_no_pay_and_no_false_address(text: str) -> None:
    norm = normalize(text).text
    assert parse_pay(norm) == []
    spans = address_spans(norm)
    assert all(b - a <= 400 for a, b in zip(spans.starts, spans.ends))
    contact_types({}, norm)
    assert _country("", text) in {"", "US"}  # a "+1" run reads as a US phone code, nothing else


@pytest.mark.parametrize(
    "text,signal,fires",
    [
        ("รับสมัครงานออนไลน์ ทำที่บ้าน", "messenger_contact", False),  # ไลน์ of ออนไลน์ ("online")
        ("สนใจทักไลน์ @abc", "messenger_contact", True),
        ("Fresh Start Bakery (Bandung) mencari baker", "debt_targeting", False),
        ("Clear your debts and make a fresh start abroad", "debt_targeting", True),
    ],
)
def test_a_phrase_inside_a_longer_word_or_a_business_name_does_not_fire(text: str, signal: str, fires: bool) -> None:
    assert (signal in _fired(text)) is fires


def test_a_place_used_as_an_adjective_is_no_destination() -> None:
    text = "안산 원곡동 캄보디아 음식점 주방 직원"
    places = gz.find_places(normalize(text), gz.load_gazetteer())
    assert gz.main_destination(places) is not None and gz.main_destination(places).country == "KH"
    assert gz.main_destination(places, text) is None or gz.main_destination(places, text).country != "KH"


def test_a_chinese_place_takes_its_administrative_suffix() -> None:
    row = {"title": "化验员", "description": "柬埔寨贡布省中资水泥厂招聘化验员"}
    a = analyse(row, load_signals(), gz.load_gazetteer())
    assert a.destination is not None and a.destination.text in {"柬埔寨", "贡布省"}
    places = gz.find_places_batch(normalize_batch(["贡布省"]), gz.load_gazetteer())
    assert [d.text for d in places[0]] == ["贡布省"]
