"""What every spider shares (crawler/spiders/base.py)."""

from __future__ import annotations

import pytest

from crawler.spiders.telegram import TelegramSpider
from tests.crawler.spiderkit import make


def test_spider_refuses_a_source_of_another_kind():
    from config import ConfigError

    with pytest.raises(ConfigError, match="not 'telegram'"):
        make(TelegramSpider, kind="jsonld")
