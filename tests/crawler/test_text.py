"""Field helpers: dates, countries, HTML to text, encodings, URLs and ids."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from scrapy.http import HtmlResponse

from crawler.encoding import detect_korean, fix_encoding
from crawler.text import clean_text, country_code, find_country, html_to_text, http_date, parse_date
from crawler.urls import canonical_url, external_id_for, site_id_from_url, url_hash

UTC = timezone.utc


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2026-11-19T22:15:00+09:00", datetime(2026, 11, 19, 13, 15, tzinfo=UTC)),
        ("2026.11.19 22:10", datetime(2026, 11, 19, 22, 10, tzinfo=UTC)),
        ("2026년 11월 9일", datetime(2026, 11, 9, tzinfo=UTC)),
        ("Thu, 19 Nov 2026 22:15:00 +0900", datetime(2026, 11, 19, 13, 15, tzinfo=UTC)),
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
        ("3시간 전", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


def test_http_date():
    assert http_date(b"Wed, 25 Nov 2026 03:00:00 GMT") == datetime(2026, 11, 25, 3, tzinfo=UTC)
    assert http_date(None) is None and http_date(b"garbage") is None


@pytest.mark.parametrize(
    "raw, code",
    [("KH", "KH"), ("Cambodia", "KH"), ("캄보디아", "KH"), ("MMR", "MM"), ("라오스", "LA"), ("Atlantis", ""), ("", "")],
)
def test_country_code(raw, code):
    assert country_code(raw) == code


def test_find_country_in_free_text():
    assert find_country("Phnom Penh, Cambodia") == "KH"
    assert find_country("캄보디아 프놈펜") == "KH"
    assert find_country("somewhere nice") == ""


def test_html_to_text_and_clean_text():
    text = html_to_text("<div>a<br/>b</div><style>p{}</style><p>&lt;c&gt; &amp; d</p>")
    assert clean_text(text, multiline=True) == "a\nb\n\n<c> & d"  # paragraphs stay apart
    assert clean_text(" a \n b\u3000c ") == "a b c"


def test_korean_encoding_detected_and_fixed():
    body = "<html><body><p>똠방각하 캄보디아</p></body></html>".encode("cp949")
    assert detect_korean(body) == "cp949" and detect_korean("utf-8 한국어".encode()) is None
    declared = HtmlResponse("http://x/", body=body, headers={"Content-Type": "text/html; charset=euc-kr"})
    assert "똠방각하" in fix_encoding(declared).text  # EUC-KR label, CP949 bytes
    forced = HtmlResponse("http://x/", body=body, headers={"Content-Type": "text/html; charset=iso-8859-1"})
    assert "똠방각하" in fix_encoding(forced, "euc-kr").text


def test_urls_and_ids():
    assert canonical_url("http://a.example/p?b=2&a=1#x") == "http://a.example/p?a=1&b=2"
    assert url_hash("http://a.example/p?b=2&a=1") == url_hash("http://a.example/p?a=1&b=2#frag")
    assert site_id_from_url("http://b.example/bbs/view.php?bo_table=job&wr_id=12") == "job:12"
    assert site_id_from_url("http://b.example/jobs/job-0042.html") == "0042"
    assert site_id_from_url("http://b.example/about") == ""
    assert external_id_for("http://b.example/about").startswith("u:")


def test_a_post_without_a_title_gets_its_first_line_cut_to_a_readable_length() -> None:
    from crawler.text import TITLE_LENGTH, title_from_text

    assert title_from_text("\n  캄보디아 고수익 상담원 모집  \n월 500 보장") == "캄보디아 고수익 상담원 모집"
    long = "Hiring chat agents in Sihanoukville now. " + "Free housing and flights, contact us on Telegram " * 4
    assert title_from_text(long) == "Hiring chat agents in Sihanoukville now."
    title = title_from_text("word " * 60)
    assert len(title) <= TITLE_LENGTH + 1 and title.endswith("…") and not title.endswith(" …")
    assert title_from_text("") == "" and title_from_text("\n \n") == ""


def test_the_normaliser_titles_a_post_by_its_first_line_and_leaves_an_empty_post_untitled() -> None:
    from crawler.items import new_ad
    from crawler.pipelines.normalise import NormalisePipeline

    pipe = NormalisePipeline()
    post = pipe.process_item(new_ad(source="tg", url="https://t.me/c/1", external_id="c/1",
                                    description="<div>캄보디아 사무직 모집<br>텔레 @kh_jobs</div>"))  # fmt: skip
    assert post["title"] == "캄보디아 사무직 모집"
    empty = pipe.process_item(new_ad(source="tg", url="https://t.me/c/2", external_id="c/2", description=""))
    assert empty["title"] == ""


def test_plain_iso_dates_read_as_dateutil_reads_them(monkeypatch) -> None:
    """parse_date reads the plain ISO forms itself (crawler.text._iso_date): the same datetime,
    or the same None, as dateutil gives, out-of-range fields and odd offsets included."""
    import itertools

    import crawler.text as text

    parts = {
        "year": ("0000", "0001", "0999", "1970", "2026", "9999"),
        "month": ("00", "01", "02", "11", "12", "13"),
        "day": ("00", "01", "28", "29", "30", "31", "32"),
        "time": ("", "T00:00", " 14:30", "T23:59:59", "T24:00", "T12:60", "T12:30:60", "T07:05:09"),
        "zone": ("", "Z", "+00:00", "-00:00", "+09:00", "-05:30", "+23:59", "+24:00", "+14:75"),
    }
    forms = {f"{y}-{m}-{d}{t}{z if t else ''}" for y, m, d, t, z in itertools.product(*parts.values())}
    forms |= {"2026-11-20", "2026-11-20 14:30", "2026-11-19T22:15:00+09:00", "2026-11-20T10:00:00Z"}

    def outcome(form: str) -> object:
        try:
            dt = parse_date(form)
        except (ValueError, OverflowError) as exc:  # "+24:00", or year 1 moved back a day
            return repr(exc)
        return dt if dt is None else (dt, dt.tzinfo)

    ours = {form: outcome(form) for form in forms}
    assert sum(text._iso_date(form) is not None for form in forms) > 2000  # the fast path is taken
    monkeypatch.setattr(text, "_iso_date", lambda _: None)
    assert {form: outcome(form) for form in forms} == ours
