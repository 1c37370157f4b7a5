"""Each item pipeline on its own, through process_item (All The Places style)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from scrapy.exceptions import DropItem
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from core.ad import content_hash
from crawler.items import new_ad
from crawler.pipelines.contacts import ContactsPipeline
from crawler.pipelines.hashing import ContentHashPipeline
from crawler.pipelines.language import LanguagePipeline, detect_language
from crawler.pipelines.normalise import NormalisePipeline
from crawler.pipelines.store import StorePipeline
from crawler.pipelines.validate import ValidatePipeline
from store.db import open_database
from store.schema import Ad

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def stats():
    return MemoryStatsCollector(get_crawler())


def ad(**values):
    base = {
        "source": "s",
        "external_id": "1",
        "url": "http://jobs.example/a/1",
        "title": "Cook",
        "description": "Kitchen work in Busan, meals included.",
    }
    return new_ad(**{**base, **values})


def test_normalise_text_html_dates_urls(stats):
    item = ad(
        title="  Cook\n  (full\u00a0time) ",
        company="<b>Sea</b> Grill",
        description="<p>Line&nbsp;one</p><p>Line two<br>three</p><script>x()</script>",
        posted_at="2026-11-19T22:15:00+09:00",
        country="Cambodia",
        contacts={"url": ["/apply?id=1"]},
        extra={"valid_through": "2026-12-01"},
        salary="월 300만원",
    )
    item["title"] = item["title"].replace("Cook", "Coo\u0301k")  # decomposed accent -> NFC
    out = NormalisePipeline(stats, clock=lambda: NOW).process_item(item)
    assert out["title"] == "Coók (full time)" and out["company"] == "Sea Grill"
    assert out["description"] == "Line one\n\nLine two\nthree"
    assert out["posted_at"] == datetime(2026, 11, 19, 13, 15, tzinfo=timezone.utc)
    assert out["fetched_at"] == NOW and out["country"] == "KH"
    assert out["contacts"]["url"] == ["http://jobs.example/apply?id=1"]
    assert out["extra"]["valid_through"] == "2026-12-01T00:00:00+00:00"
    assert stats.get_value("lurewatch/normalise/html_to_text") == 2


def test_normalise_keeps_unreadable_date_raw(stats):
    out = NormalisePipeline(stats, clock=lambda: NOW).process_item(ad(posted_at="3시간 전", country="Atlantis"))
    assert out["posted_at"] is None and out["extra"]["posted_at_raw"] == "3시간 전"
    assert out["country"] == ""
    assert stats.get_value("lurewatch/normalise/date_unparsed") == 1
    assert stats.get_value("lurewatch/normalise/country_unresolved") == 1


def test_contacts_pipeline_reclassifies_links_and_counts(stats):
    item = ad(
        description="텔레 @kh_jobs_01 / 010-1234-5678",
        contacts={"url": ["https://t.me/other_chan", "https://example.org/apply"]},
    )
    out = ContactsPipeline(stats).process_item(item)
    assert out["contacts"]["telegram"] == ["@other_chan", "@kh_jobs_01"]
    assert out["contacts"]["url"] == ["https://example.org/apply"]
    assert out["contacts"]["phone"] == ["+821012345678"]
    assert stats.get_value("lurewatch/contacts/telegram") == 2


def test_language_pipeline(stats):
    pipe = LanguagePipeline(stats)
    assert pipe.process_item(ad(title="캄보디아 고수익", description="경험 무관, 항공권 숙소 제공"))["language"] == "ko"
    assert pipe.process_item(ad())["language"] == "en"
    assert pipe.process_item(ad(title="ok", description=""))["language"] == ""
    assert detect_language("Trabajo en el almacén, contrato indefinido y seguro médico.") == "es"
    assert stats.get_value("lurewatch/language/ko") == 1


@pytest.mark.parametrize(
    "text, language",
    [
        ("บริษัทรับสมัครพนักงานขายออนไลน์ ทำงานที่กัมพูชา เงินเดือนสูง มีที่พักและอาหารฟรี", "th"),
        ("Tuyển nhân viên chăm sóc khách hàng làm việc tại Campuchia, lương cao, bao ăn ở", "vi"),
        ("ក្រុមហ៊ុនត្រូវការបុគ្គលិកផ្នែកលក់ ប្រាក់ខែល្អ មានកន្លែងស្នាក់នៅ", "km"),
        ("招聘客服人员，柬埔寨工作，高薪包吃住，无需经验，机票报销", "zh"),
        ("Lowongan kerja di Kamboja, gaji tinggi, tempat tinggal dan makan gratis", "id"),
        ("カンボジアでのカスタマーサポート業務、高収入、住居と食事付き", "ja"),
        # Mostly English words in a Korean ad (langdetect said "en" to 25 of 303 such ads).
        ("Backend Engineer (Python/Django, AWS, Kubernetes, CI/CD) 채용 - REST API 설계 경험자 우대", "ko"),
    ],
)
def test_detect_language_of_our_sources(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(
    "text, language",
    [
        ("テレグラムで連絡してね", "ja"),  # short kana post: kana is written only in Japanese
        ("高収入バイト", "ja"),
        ("ｶﾝﾎﾞｼﾞｱ ﾊﾞﾍﾞｯﾄ勤務", "ja"),  # half-width katakana
        ("急募 海外勤務 高収入 日給五万円 寮完備", "ja"),  # kanji only: fastText tells it from Chinese
        ("Backend Engineer (Python/Django, AWS, Kubernetes, CI/CD) の募集 - REST API 設計の経験がある方", "ja"),
        ("我の店 招聘客服人员 高薪包吃住", "zh"),  # one borrowed の does not make Chinese Japanese
        ("Customer support team in Phnom Penh, Japanese speakers welcome, 日本語ネイティブ歓迎", "en"),
        ("すごい", ""),  # too short to tell
    ],
)
def test_japanese_is_recognised_in_short_and_mixed_posts(text, language):
    assert detect_language(text) == language


def test_language_detection_needs_no_network_nor_download(tmp_path):
    """The model ships in the package: no socket is opened and nothing lands in the cache dir."""
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from crawler.pipelines.language import detect_language\n"
        "print(detect_language('Warehouse assistant wanted, full time contract with insurance.'))\n"
    )
    env = {**os.environ, "FTLANG_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "en"
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    "values, reason",
    [
        ({"title": "", "description": "  "}, "no_text"),
        ({"description": "x" * 100_001}, "absurd_length"),
        ({"title": "Page not found", "description": "Sorry."}, "not_an_ad"),
        ({"title": "ok", "description": "!!"}, "not_an_ad"),
        ({"external_id": ""}, "no_id"),
    ],
)
def test_validate_drops_with_counted_reason(stats, values, reason):
    with pytest.raises(DropItem, match=reason):
        ValidatePipeline(stats).process_item(ad(**values))
    assert stats.get_value(f"lurewatch/dropped/{reason}") == 1
    assert stats.get_value("lurewatch/dropped") == 1


CHINESE_ONE_LINER = "日薪800，做30天"  # daily pay 800, 30 days of work: a real lure, 4 Han characters
KOREAN_ONE_LINER = "캄보디아 월천 보장 텔방 문의"  # Cambodia, 10M won a month guaranteed, ask in the Telegram room


@pytest.mark.parametrize(
    "title, description",
    [
        ("", CHINESE_ONE_LINER),
        (CHINESE_ONE_LINER, ""),
        ("", KOREAN_ONE_LINER),
        ("", "고수익 알바"),  # "high-paying part-time job": 5 syllables
        ("", "กัมพูชา"),  # Cambodia in Thai: 7 code points, as "Cambodia" has 8 letters
        ("", "Cambodia"),  # Latin keeps its rule: 8 letters pass
    ],
)
def test_validate_keeps_short_posts_in_dense_scripts(stats, title, description):
    """The minimum text counts by script: a Han or Hangul character says what ~3 Latin
    letters say. No contacts here, so nothing else can rescue these posts."""
    item = ad(title=title, description=description)
    assert ValidatePipeline(stats).process_item(item) is item
    assert stats.get_value("lurewatch/dropped") is None


@pytest.mark.parametrize(
    "title, description",
    [
        ("", "abc"),  # three Latin letters
        ("", "Cambodi"),  # seven
        ("!!", "... ??? 123 456"),  # punctuation and digits only
        ("", "ㅋㅋ"),  # two jamo: a laugh, not an ad
        ("", "日薪"),  # two Han characters: not enough to be an ad
        ("", "๑๒๓ ๔๕๖"),  # Thai digits only
    ],
)
def test_validate_still_drops_texts_too_short_to_be_ads(stats, title, description):
    with pytest.raises(DropItem, match="not_an_ad"):
        ValidatePipeline(stats).process_item(ad(title=title, description=description))


def test_validate_passes_short_ads_with_contacts(stats):
    item = ad(title="", description="@kh_boss", contacts={"telegram": ["@kh_boss"]})
    assert ValidatePipeline(stats).process_item(item) is item


def test_content_hash_is_the_stores(stats):
    item = ContentHashPipeline(stats).process_item(ad())
    assert item["content_hash"] == content_hash(item) and len(item["content_hash"]) == 64


def test_store_pipeline_upserts_and_counts(stats, db_url):
    engine, factory = open_database(db_url)
    try:
        pipe = StorePipeline(stats, factory=factory, clock=lambda: NOW, batch_size=2)
        items = [ContentHashPipeline().process_item(ad(external_id=str(i), fetched_at=NOW)) for i in range(3)]
        for item in items:
            pipe.process_item(item)
        assert stats.get_value("lurewatch/ads/new") == 2  # one batch written, one pending
        pipe.close_spider()
        assert stats.get_value("lurewatch/ads/new") == 3
        again = StorePipeline(stats, factory=factory, clock=lambda: NOW)
        edited = ContentHashPipeline().process_item(ad(external_id="1", title="Cook (edited)", fetched_at=NOW))
        for item in (items[0], edited):
            again.process_item(item)
        again.close_spider()
        assert stats.get_value("lurewatch/ads/unchanged") == 1
        assert stats.get_value("lurewatch/ads/updated") == 1
        with factory() as session:
            assert len(session.scalars(select(Ad)).all()) == 3
    finally:
        engine.dispose()


def test_store_pipeline_from_crawler_needs_database_url():
    crawler = get_crawler(settings_dict={})
    with pytest.raises(ValueError, match="LUREWATCH_DATABASE_URL"):
        StorePipeline.from_crawler(crawler)


def test_normalise_strips_control_characters_everywhere_and_counts(stats):
    item = ad(
        title="Cook\x00\x85 in\x9b Busan\x0bnow",
        description="Line\x00 one\r\nline\x07 two\ud800\tend",
        contacts={"url": ["http://jobs.example/a\x00b"], "telegram": ["@x\x01y"]},
        extra={"cat\x00": ["a\x1fb", {"n": float("nan"), "k": "v\x9f"}]},
    )
    out = NormalisePipeline(stats, clock=lambda: NOW).process_item(item)
    assert out["title"] == "Cook in Busan now"
    assert out["description"] == "Line one\nline two\tend".replace("\t", " ")
    assert out["contacts"] == {"url": ["http://jobs.example/ab"], "telegram": ["@xy"]}
    assert out["extra"] == {"cat": ["ab", {"n": None, "k": "v"}]}
    assert stats.get_value("lurewatch/normalise/control_chars") == 1
    NormalisePipeline(stats, clock=lambda: NOW).process_item(ad())
    assert stats.get_value("lurewatch/normalise/control_chars") == 1  # a clean ad is not counted


def test_normalise_hashes_an_id_longer_than_the_column(stats):
    out = NormalisePipeline(stats, clock=lambda: NOW).process_item(ad(external_id="g" * 600))
    assert out["external_id"].startswith("h:") and len(out["external_id"]) == 66
    again = NormalisePipeline(stats, clock=lambda: NOW).process_item(ad(external_id="g" * 600))
    assert again["external_id"] == out["external_id"]  # stable across crawls
    assert stats.get_value("lurewatch/normalise/long_external_id") == 2


def test_normalise_drops_script_even_entity_encoded(stats):
    item = ad(description="&lt;p&gt;Kitchen work&lt;/p&gt;&lt;script&gt;steal()&lt;/script&gt; &lt;c&gt; stays")
    out = NormalisePipeline(stats, clock=lambda: NOW).process_item(item)
    assert out["description"] == "Kitchen work\n<c> stays"


def test_a_batch_the_database_refuses_is_stored_ad_by_ad(stats, db_url):
    """One ad the database cannot take (here an unencodable character that got past the
    normaliser) costs that ad only, counted, never the other ads of its batch."""
    engine, factory = open_database(db_url)
    try:
        pipe = StorePipeline(stats, factory=factory, clock=lambda: NOW, batch_size=5)
        for i in range(5):
            bad = {"title": "Cook \ud800 broken", "content_hash": "0" * 64} if i == 2 else {}
            item = ad(external_id=str(i), fetched_at=NOW, **bad)
            pipe.process_item(item if bad else ContentHashPipeline().process_item(item))
        pipe.close_spider()
        with factory() as session:
            assert sorted(a.external_id for a in session.scalars(select(Ad))) == ["0", "1", "3", "4"]
        assert stats.get_value("lurewatch/ads/new") == 4
        assert stats.get_value("lurewatch/dropped/store_refused") == 1 and stats.get_value("lurewatch/dropped") == 1
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_nul_costs_only_its_own_ad_on_postgresql(stats, fresh_postgres_url):
    """PostgreSQL refuses NUL in text: with the normaliser bypassed, the store still keeps the rest."""
    engine, factory = open_database(fresh_postgres_url)
    try:
        pipe = StorePipeline(stats, factory=factory, clock=lambda: NOW, batch_size=100)
        for i in range(100):
            extra = {"description": "Kitchen\x00 work"} if i == 50 else {}
            pipe.process_item(ContentHashPipeline().process_item(ad(external_id=str(i), fetched_at=NOW, **extra)))
        assert stats.get_value("lurewatch/ads/new") == 99 and stats.get_value("lurewatch/dropped/store_refused") == 1
        with factory() as session:
            assert len(session.scalars(select(Ad)).all()) == 99
    finally:
        engine.dispose()


def test_entities_are_decoded_once_per_layer(stats):
    """Each layer of escaping is undone once, where text enters: ``&amp;quot;`` is ``&quot;``."""
    from parsel import Selector

    from crawler.jobposting import page_postings, posting_fields

    block = {
        "@type": "JobPosting",
        "title": "Say &amp;quot;hi&amp;quot; &amp; go",  # a JSON-LD string: raw template output
        "description": "&lt;p&gt;Korean &amp;amp; English&lt;/p&gt;&lt;p&gt;We&#39;re &quot;open&quot;&lt;/p&gt;",
        "hiringOrganization": "<b>F&amp;amp;B</b> Co",  # HTML in a JSON-LD string: the pipeline's layer
        "jobLocation": "Busan &quot;Haeundae&quot;",  # entities alone, no markup: decoded all the same
    }
    page = f'<script type="application/ld+json">{json.dumps(block)}</script>'
    [posting] = page_postings(Selector(text=page)).postings
    fields = {k: v for k, v in posting_fields(posting).items() if k in ("title", "description", "company", "location")}
    out = NormalisePipeline(stats, clock=lambda: NOW).process_item(ad(**fields))
    assert out["title"] == "Say &quot;hi&quot; & go"
    assert out["description"] == 'Korean & English\n\nWe\'re "open"'  # paragraphs apart
    assert out["company"] == "F&amp;B Co"
    assert out["location"] == 'Busan "Haeundae"'
    # Text an HTML parser already decoded (a board's ::text of "Tom &amp;amp; Jerry") stays as it is.
    parsed = NormalisePipeline(stats, clock=lambda: NOW).process_item(ad(title="Tom &amp; Jerry", description="x"))
    assert parsed["title"] == "Tom &amp; Jerry"
