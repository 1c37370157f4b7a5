"""The blind JobPosting corpus (tests/fixtures/jobposting/): every page through the JSON-LD
spider's callback and the normalise pipeline, checked against expected.json.

The pages were written by someone who had not seen the parser (see the corpus README);
expected.json is theirs and is not edited to fit the code. Both lenient-JSON pages are
expected to be read: browsers and Google accept them, and so do real sites' readers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from config import SourceConfig
from crawler.pipelines.normalise import NormalisePipeline
from crawler.spiders.jsonld import UNREADABLE, JsonLdSpider
from tests.crawler.spiderkit import split

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "jobposting"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def _spaces(text: str) -> str:
    return " ".join(text.split())


def _numbers(text: str) -> set[float]:
    """The numbers written in a salary, thousands separators removed ("2,500,000" is 2500000)."""
    return {float(n) for n in re.findall(r"\d+(?:\.\d+)?", re.sub(r"(?<=\d),(?=\d{3})", "", text))}


def _read(name: str):
    """(normalised ads, spider) for one saved page, through the spider's own parse callback."""
    spider = JsonLdSpider.from_crawler(
        get_crawler(JsonLdSpider),
        source=SourceConfig(name="corpus", kind="jsonld", start_urls=("https://jobs.example.com/",)),
    )
    spider.crawler.stats.open_spider(spider)
    url = f"https://jobs.example.com/jobs/{name}"
    response = HtmlResponse(url, body=(CORPUS / name).read_bytes(), request=Request(url, meta={"listing": True}))
    items, _ = split(spider.parse(response))
    pipeline = NormalisePipeline()
    return [pipeline.process_item(item) for item in items], spider


def test_the_corpus_is_whole():
    assert len(EXPECTED) >= 30 and sorted(EXPECTED) == sorted(p.name for p in CORPUS.glob("*.html"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_page_reads_as_expected(name):
    expected = EXPECTED[name]
    ads, spider = _read(name)
    stats = spider.crawler.stats
    if expected.get("unreadable"):
        assert ads == []
        assert stats.get_value(f"lurewatch/{UNREADABLE}") == 1  # counted: a JobPosting marker gave nothing
        return
    if expected.get("not_an_ad"):
        assert ads == [] and stats.get_value(f"lurewatch/{UNREADABLE}") is None
        return
    assert len(ads) == 1, f"{name}: {len(ads)} ads"
    ad = ads[0]
    assert _spaces(ad["title"]) == _spaces(expected["title"])
    assert _spaces(ad["company"]) == _spaces(expected["company"])
    for part in expected["location_contains"]:
        assert part in ad["location"], (part, ad["location"])
    assert ad["country"] == expected["country"]
    assert {float(n) for n in expected["salary_numbers"]} <= _numbers(ad["salary"]), ad["salary"]
    assert expected["salary_currency"] in ad["salary"]
    if expected["salary_unit"]:
        assert ad["salary"].endswith(f"per {expected['salary_unit']}"), ad["salary"]
    else:
        assert " per " not in ad["salary"]
    # Paragraphs in order, each on lines of its own: never run together, no entity or tag left.
    lines = [_spaces(line) for line in ad["description"].split("\n") if line.strip()]
    at = 0
    for paragraph in expected["description_paragraphs"]:
        wanted = _spaces(paragraph)
        at = next((i for i in range(at, len(lines)) if wanted in lines[i]), -1) + 1
        assert at, f"{name}: paragraph not found on a line of its own after the previous: {wanted!r}"
    assert not re.search(r"&(?:[a-z]+|#\d+|#x[0-9a-f]+);|<[a-z/]", ad["description"] + ad["title"], re.I)
    assert ad["posted_at"] is not None and ad["posted_at"].date().isoformat() == expected["posted_date"]
