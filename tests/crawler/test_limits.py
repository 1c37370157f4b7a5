"""Size caps before any pipeline reads an ad, the per-ad CPU budget, and mislabelled charsets."""

from __future__ import annotations

import pytest
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.encoding import fix_encoding
from crawler.items import new_ad
from crawler.pipelines.budget import BudgetCheck, BudgetStart
from crawler.pipelines.contacts import ContactsPipeline
from crawler.pipelines.limits import MAX_RAW_FIELD, LimitsPipeline
from crawler.pipelines.normalise import NormalisePipeline


def _stats():
    return MemoryStatsCollector(get_crawler())


def _ad(**fields):
    base = {
        "source": "s",
        "url": "https://x.example/1",
        "external_id": "1",
        "title": "Cook",
        "description": "Kitchen work",
    }
    return new_ad(**{**base, **fields})


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"company": "<a" * 600_000}, "company"),  # probe 3
        ({"url": "https://x.example/" + "u" * 1_000_000}, "url"),  # probe 12
        ({"salary": "9" * (MAX_RAW_FIELD + 1)}, "salary"),
        ({"description": "x" * 500_001}, "description"),
        ({"contacts": {"url": [f"https://x.example/{i}" for i in range(501)]}}, "contacts"),
        ({"extra": {"feed_categories": ["c" * 1000] * 60}}, "extra"),
    ],
)
def test_an_oversized_field_is_dropped_before_anything_reads_it(fields, field):
    stats = _stats()
    with pytest.raises(DropItem, match=f"absurd_length \\({field}\\)"):
        LimitsPipeline(stats).process_item(_ad(**fields))
    assert stats.get_value(f"lurewatch/dropped/absurd_length/{field}") == 1
    assert stats.get_value("lurewatch/dropped/absurd_length") == 1


def test_fields_within_their_caps_pass_untouched():
    ad = _ad(company="Harbour " * 1000, description="<p>x</p>" * 50_000)
    assert LimitsPipeline(_stats()).process_item(ad) is ad


def test_an_ad_over_its_cpu_budget_is_dropped_and_counted():
    stats = _stats()
    ad = BudgetStart(stats).process_item(_ad(description="telegram: @scamboss " * 2000))
    ad = ContactsPipeline(stats).process_item(NormalisePipeline(stats).process_item(ad))
    with pytest.raises(DropItem, match="too_slow"):
        BudgetCheck(stats, seconds=1e-9).process_item(ad)
    assert stats.get_value("lurewatch/dropped/too_slow") == 1


def test_an_ad_within_its_budget_passes():
    stats = _stats()
    ad = BudgetStart(stats).process_item(_ad())
    assert BudgetCheck(stats, seconds=2.0).process_item(NormalisePipeline(stats).process_item(ad)) is ad
    assert stats.get_value("lurewatch/dropped/too_slow") is None


def test_a_cp949_page_declared_utf8_is_read_as_cp949():
    body = "<html><body><p>캄보디아 고수익 텔레그램</p></body></html>".encode("cp949")
    response = HtmlResponse("https://x.example/", body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    assert "캄보디아" in fix_encoding(response).text
    real = HtmlResponse(
        "https://x.example/", body="<p>캄보디아</p>".encode(), headers={"Content-Type": "text/html; charset=utf-8"}
    )
    assert fix_encoding(real) is real  # real UTF-8 stays as declared


def test_direction_overrides_are_removed_when_an_ad_is_normalised():
    ad = NormalisePipeline(_stats()).process_item(_ad(title="Cook \u202egnp.exe\u202c in Busan \u2066x\u2069"))
    assert ad["title"] == "Cook gnp.exe in Busan x"


def test_a_description_over_the_text_cap_is_dropped_before_contacts_read_it():
    stats = _stats()
    ad = _ad(description="<p>" + "Kitchen work, telegram @scamboss. " * 4_000 + "</p>")  # 136,000 characters of text
    with pytest.raises(DropItem, match="absurd_length"):
        NormalisePipeline(stats).process_item(ad)
    assert stats.get_value("lurewatch/dropped/absurd_length") == 1
