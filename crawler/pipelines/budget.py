"""Budget: the CPU time the pipelines spend on one ad, checked against ``crawl.max_seconds_per_ad``.

The crawl is one thread: while a pipeline works on an ad, no page is fetched and no time
limit fires. The work on an ad is bounded by construction: LimitsPipeline caps every field
before anything reads it, and every pattern and text function that runs over it is linear
(tests/crawler/test_linear.py). This is the net under that: ``BudgetStart`` notes the
thread's CPU clock before normalisation, ``BudgetCheck`` reads it after contacts and
language detection, and an ad that cost more than its budget is dropped and counted
(``lurewatch/dropped/too_slow``), so whatever made it slow never reaches the store, and the
crawl goes on with the next one. CPU time of this thread, not wall time: a loaded machine
does not make a good ad "too slow".
"""

from __future__ import annotations

import time
from typing import Any

from scrapy.exceptions import DropItem

from crawler.items import JobAd
from crawler.pipelines import CountingPipeline

_START = "_lurewatch_cpu_start"  # scrapy.Item allows attributes that start with "_"
DEFAULT_SECONDS = 2.0


class BudgetStart(CountingPipeline):
    """Note the thread's CPU clock on the ad, before the costly pipelines."""

    def process_item(self, item: JobAd, spider: Any = None) -> JobAd:
        object.__setattr__(item, _START, time.thread_time())
        return item


class BudgetCheck(CountingPipeline):
    """Drop (counted ``dropped/too_slow``) an ad that cost more CPU than its budget."""

    def __init__(self, stats: Any = None, seconds: float = DEFAULT_SECONDS) -> None:
        super().__init__(stats)
        self.seconds = seconds

    @classmethod
    def from_crawler(cls, crawler: Any) -> "BudgetCheck":
        return cls(crawler.stats, crawler.settings.getfloat("LUREWATCH_SECONDS_PER_AD", DEFAULT_SECONDS))

    def process_item(self, item: JobAd, spider: Any = None) -> JobAd:
        start = getattr(item, _START, None)
        if start is None:
            return item
        spent = time.thread_time() - start
        if spent <= self.seconds:
            return item
        self.count("dropped/too_slow")
        self.count("dropped")
        raise DropItem(f"too_slow ({spent:.2f} s of CPU, budget {self.seconds:g} s): {(item.get('url') or '')[:200]}")
