"""Contact extraction across languages and obfuscations (core/contactscan.py, through crawler.contacts)."""

from __future__ import annotations

import pytest

from crawler.contacts import extract_contacts, merge_contacts

CASES = [
    # Telegram
    ("캄보디아 고수익 채팅 상담, 텔레그램 @goldjob88", {"telegram": ["@goldjob88"]}),
    ("텔레 @Money_Cambo 연락 주세요", {"telegram": ["@money_cambo"]}),
    ("ㅌㄹ: bigpay777", {"telegram": ["@bigpay777"]}),
    ("텔레그램ID：ｇｏｌｄｅｎ＿ｄｒａｇｏｎ", {"telegram": ["@golden_dragon"]}),
    ("문의 ＠ｈｉｇｈｐａｙ１２", {"telegram": ["@highpay12"]}),
    ("https://t.me/cambojobs 로 연락", {"telegram": ["@cambojobs"]}),
    ("t . me / easywork01", {"telegram": ["@easywork01"]}),
    ("join t.me/+AbCdEf123 now", {"telegram": ["t.me/+AbCdEf123"]}),
    ("Telegram: @Cambo_HR", {"telegram": ["@cambo_hr"]}),
    ("tg: superjob", {"telegram": ["@superjob"]}),
    ("𝐭𝐞𝐥𝐞𝐠𝐫𝐚𝐦 @fancyname", {"telegram": ["@fancyname"]}),
    ("텔 레 그 램 @spaced_out", {"telegram": ["@spaced_out"]}),
    # KakaoTalk
    ("카톡 ID: job1234", {"kakao": ["job1234"]}),
    ("카카오톡 아이디 : abc.def", {"kakao": ["abc.def"]}),
    ("오픈채팅 open.kakao.com/o/sAbC1234", {"kakao": ["open.kakao.com/o/sAbC1234"]}),
    ("ㅋㅌ wkjob", {"kakao": ["wkjob"]}),
    ("kakaotalk: hello_1", {"kakao": ["hello_1"]}),
    # WhatsApp
    ("WhatsApp: +855 12 345 678", {"whatsapp": ["+85512345678"]}),
    ("왓츠앱 85512345678", {"whatsapp": ["+85512345678"]}),
    ("wa.me/66812345678", {"whatsapp": ["+66812345678"]}),
    ("https://api.whatsapp.com/send?phone=639171234567", {"whatsapp": ["+639171234567"]}),
    # Line
    ("Line ID: thaijob99", {"line": ["thaijob99"]}),
    ("라인: mylineid", {"line": ["mylineid"]}),
    ("line.me/ti/p/~linejob", {"line": ["linejob"]}),
    # Phones, local and international
    ("연락처 010-1234-5678", {"phone": ["+821012345678"]}),
    ("전화 010 1234 5678", {"phone": ["+821012345678"]}),
    # (+95 9 123 456 789, this case before issue 24, is not a number Myanmar gives out.)
    ("Call +95 9 451 234 567", {"phone": ["+959451234567"]}),
    ("Tel: +856 20 5555 1234", {"phone": ["+8562055551234"]}),
    ("+84 90 123 4567 (Zalo)", {"phone": ["+84901234567"]}),
    ("+63 917 123 4567", {"phone": ["+639171234567"]}),
    ("+82 10-9876-5432", {"phone": ["+821098765432"]}),
    ("โทร +66 81 234 5678", {"phone": ["+66812345678"]}),
    # Written without a country code: not Korean, so the first region where it is valid (KH).
    ("Phnom Penh 012 345 678", {"phone": ["+85512345678"]}),
    ("Bangkok 081 234 5678", {"phone": ["+66812345678"]}),
    ("+44 (0)20 7946 0958", {"phone": ["+442079460958"]}),
    ("00855 12 345 678", {"phone": ["+85512345678"]}),
    ("０１０－１２３４－５６７８", {"phone": ["+821012345678"]}),
    # Emails and links
    ("email: HR@Company.co.kr", {"email": ["hr@company.co.kr"]}),
    ("메일 recruit(at)jobs(dot)com", {"email": ["recruit@jobs.com"]}),
    ("Apply at https://jobs.example.com/apply?id=3.", {"url": ["https://jobs.example.com/apply?id=3"]}),
    ("contact@example.org 또는 @kh_recruit", {"email": ["contact@example.org"], "telegram": ["@kh_recruit"]}),
    # Not contacts: dates, money, "online", plain prose
    ("2026-11-20 마감", {}),
    ("월급 3,000,000원, USD 2500 ~ 3000", {}),
    ("온라인 상담 가능, 오프라인 면접", {}),
    ("Deadline line manager online", {}),
    ("Chinese: 联系电报 @shwe_kokko", {"telegram": ["@shwe_kokko"]}),
    # Issue 24: digits that are not phones. A news URL's path (it gave "+659800" and linked
    # unrelated ads), an id after its label, a bare run with no phone label or grouping.
    (
        "https://news.example.com/article/469/0000659800 참고",
        {"url": ["https://news.example.com/article/469/0000659800"]},
    ),
    ("news.example.com/article/469/0000659800", {}),
    ("Mã số thuế: 0314928735", {}),
    ("주문번호 010-2847-5931", {}),
    ("누적 지원자 01028475931 명", {}),
    ("Contact no.: 01028475931", {"phone": ["+821028475931"]}),
    ("HP no.: 0812-4790-3318", {"phone": ["+6281247903318"]}),
    # A Korean particle or a Chinese word right against the digits.
    ("연락처 010-1234-5678로 연락주세요", {"phone": ["+821012345678"]}),
    ("电话13827419065联系王先生", {"phone": ["+8613827419065"]}),
    ("订单号20261207123456", {}),
    # Handles, e-mails and links by their own rules: a reserved t.me path, a file name's
    # "TLD", an invalid WhatsApp number.
    ("t.me/joinchat", {}),
    ("logo@2x.png", {}),
    ("wa.me/12345", {}),
]


@pytest.mark.parametrize("text, expected", CASES, ids=[c[0][:30] for c in CASES])
def test_contacts(text, expected):
    found = {k: v for k, v in extract_contacts([text]).items() if v}
    assert found == expected


def test_local_numbers_are_read_in_the_ads_region():
    # 0912 483 761 is a mobile in Vietnam and in Thailand: the ad's country or language decides.
    assert extract_contacts(["ĐT 0912 483 761"], country="VN")["phone"] == ["+84912483761"]
    assert extract_contacts(["ĐT 0912 483 761"], language="th")["phone"] == ["+66912483761"]
    # A Korean ad about Cambodia gives a Korean mobile: the language comes first.
    assert extract_contacts(["연락처 010-4821-7730"], country="KH", language="ko")["phone"] == ["+821048217730"]


def test_table_is_large_enough():
    assert len(CASES) >= 30


def test_links_are_classified_and_merged():
    found = extract_contacts(["see links"], ["https://t.me/abc_jobs", "https://example.org/x"])
    assert found["telegram"] == ["@abc_jobs"] and found["url"] == ["https://example.org/x"]
    merged = merge_contacts({"phone": ["1"]}, {"phone": ["1", "2"], "bogus": ["x"]})
    assert merged["phone"] == ["1", "2"] and "bogus" not in merged


def test_folding_the_text_at_once_is_folding_each_character():
    """fold_text finds what to fold by one regex; the rule is _fold's, character by character."""
    from core.contactscan import _fold, fold_text

    every = "".join(chr(cp) for cp in range(0x80, 0x110000))
    assert fold_text(every) == "".join(_fold(ch) for ch in every)


# Pieces of contacts, obfuscations, labels and digits in several scripts, glued at random.
PIECES = (
    *("텔레", "tg", "telegram", "카톡", "라인", "line", "wa", "whatsapp", "전화", "phone", "id", "아이디", "abc"),
    *("@", "＠", "(at)", "[ at ]", "골뱅이", "앳", "닷", "점", "(dot)", " ", ":", "/", ".", "?", "\n"),
    *("t.me/", "t . me /", "wa.me/", "open.kakao.com/o/", "line.me/ti/p/~", "www.", "http://", "example.com"),
    *("WWW.", "HTTPS://", "TG", "Line", "KAKAO", "ſ", "ı", "\u212a", ".org", "news.example.com/a?"),
    *("bench_1", "010-1234-5678", "+855 12 345 678", "012345678", "１２３", "ｔｇ", "០១២៣៤៥៦៧៨"),
)


def test_skipped_passes_could_have_found_nothing(monkeypatch):
    """extract_contacts skips a pattern when the text lacks a character all its matches have:
    with every pass run, the contacts are the same."""
    import random
    import re

    import core.contactscan as scan

    rng = random.Random(20)
    texts = [text for text, _ in CASES] + [
        "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12))) for _ in range(3000)
    ]
    links = [[], ["https://t.me/abc_jobs"], ["wa.me/66812345678"]]
    skipping = [extract_contacts([t], links[i % 3], country="KH" * (i % 2)) for i, t in enumerate(texts)]
    monkeypatch.setattr(scan, "_has", lambda text, needs: True)
    monkeypatch.setattr(scan, "_DIGIT", re.compile(""))
    for hint in ("_ANY_OBFUSCATION", "_LABEL_START", "_BARE_LINK_END"):  # a match everywhere: every pass runs
        monkeypatch.setattr(scan, hint, re.compile(""))
    assert [extract_contacts([t], links[i % 3], country="KH" * (i % 2)) for i, t in enumerate(texts)] == skipping
