"""core.secrets: one helper masks the credentials of every URL we print, log or store."""

from __future__ import annotations

import logging

import pytest

from core.secrets import MaskingFormatter, mask_log_records, mask_text, mask_url


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("postgresql+psycopg://lw:pw@db:5432/lw", "postgresql+psycopg://lw:***@db:5432/lw"),
        ("redis://:p@ss@cache:6379/0", "redis://:***@cache:6379/0"),  # a raw @ in the password
        ("rediss://user:pw@cache/0?ssl_cert_reqs=none", "rediss://user:***@cache/0?ssl_cert_reqs=none"),
        ("https://token@board.example/list", "https://***@board.example/list"),
        (
            "https://u:pw@a.example/x and https://v:pw2@b.example/",
            "https://u:***@a.example/x and https://v:***@b.example/",
        ),
        ("postgresql://db/lw?user=lw&password=pw", "postgresql://db/lw?user=lw&password=***"),
        ("host=db password=pw user=lw", "host=db password=*** user=lw"),
        ("redis://cache:6379/0", "redis://cache:6379/0"),
        ("postgresql://lw@db/lw", "postgresql://lw@db/lw"),  # a database user name alone is not a secret
        ("mail hr@example.org", "mail hr@example.org"),
        ("", ""),
    ],
)
def test_mask_text(text, masked):
    assert mask_text(text) == masked


def test_mask_url_of_nothing():
    assert mask_url(None) == ""


def test_masking_formatter_masks_messages_and_tracebacks():
    formatter = MaskingFormatter(logging.Formatter("%(message)s"))
    try:
        raise ValueError("cannot reach redis://:pw@cache:6379/0")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "db %s", ("postgresql://u:pw@h/d",), sys.exc_info())
    out = formatter.format(record)
    assert "pw@" not in out and "postgresql://u:***@h/d" in out and "redis://:***@cache" in out


def test_log_records_are_masked_whatever_handler_writes_them(caplog):
    factory = logging.getLogRecordFactory()
    try:
        mask_log_records()
        mask_log_records()  # idempotent
        # scrapy's own level too: an in-process pipeline.main() earlier in the same pytest
        # worker sets scrapy's loggers to WARNING.
        with caplog.at_level(logging.INFO), caplog.at_level(logging.INFO, logger="scrapy"):
            logging.getLogger("scrapy.crawler").info("Overridden settings: %s", {"REDIS_URL": "redis://:pw@cache/0"})
        broken = logging.getLogRecordFactory()("x", logging.INFO, __file__, 1, "%s %s", ("one",), None)
        assert broken.msg == "%s %s"  # a broken format is left for the handler to report, never raised here
    finally:
        logging.setLogRecordFactory(factory)
    assert "redis://:***@cache/0" in caplog.text and ":pw@" not in caplog.text
