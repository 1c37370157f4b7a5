"""Indicator patterns run in linear time on any text, and a pattern that could not is refused.

Issue 23, Build 1 and probe 5: every regex of indicators.yaml, and every one a model file
carries, runs over every ad on Python's re. classifier.patterns admits only shapes that
cannot backtrack without bound; these tests hold the rules to their word: the analysis of
the shipped rules grows linearly on the inputs that stress each open repetition they use,
and the shapes that do blow up are refused.
"""

from __future__ import annotations

import pytest

from classifier import indicators as ind
from classifier.errors import PatternFileError
from classifier.normalize import normalize_batch
from classifier.patterns import linear_problem
from tests.crawler.test_linear import assert_linear


def _iset() -> ind.IndicatorSet:
    import yaml

    return ind.build_set(ind.parse_signals(yaml.safe_load(ind.DEFAULT_PATH.read_text(encoding="utf-8"))))


# Each open repetition of the shipped patterns (\s*, \d*, [^\n]{0,12}?) fed what it accepts,
# after the literal that starts its pattern, with the tail that would complete it missing.
WORST = {
    "korean years": lambda n: "경력 " + " " * n + "1" * n,
    "minimum years": lambda n: "최소" + " " * n + "9" * n,
    "kakao id": lambda n: "카톡" + " " * n + "i",
    "japanese amounts": lambda n: "1" * n + "日で",
    "visa arranged": lambda n: "work permit and " + "a" * n + " visa",
    "handle after kana": lambda n: "テレ@" + "a" * n,
    "repeated openers": lambda n: "(필수) 경력 최소 テレ 카톡 " * n,
}


@pytest.mark.parametrize("name", sorted(WORST))
def test_the_shipped_patterns_run_in_linear_time(name: str) -> None:
    iset = _iset()

    def scan(text: str) -> object:
        return ind.find_hits_batch(normalize_batch([text]), iset)

    assert_linear(scan, WORST[name], 2000)


# Shapes the rules admit whose open repetition, read without bound, costs the square of a
# long run (tried at every start): compiled with OPEN_READS as the bound, they are linear.
ADMITTED = {
    r"a[^\n]*z": lambda n: "a" * n,
    r"\d*x": lambda n: "1" * n,
    r"\s*\d+y": lambda n: " " * n + "1" * n,
    r"a{0,15}a{0,15}!": lambda n: "a" * n,  # two overlapping bounded repetitions: 256 ways a position
}


@pytest.mark.parametrize("source", sorted(ADMITTED))
def test_an_admitted_open_repetition_is_read_in_linear_time(source: str) -> None:
    assert linear_problem(source) is None
    spec = {"signals": [{"id": "s", "ref": "S01", "label": "l", "weight": 1.0, "patterns": {"en": ["re:" + source]}}]}
    iset = ind.build_set(ind.parse_signals(spec))

    def scan(text: str) -> object:
        return ind.find_hits_batch(normalize_batch([text]), iset)

    assert_linear(scan, ADMITTED[source], 2000)


@pytest.mark.parametrize(
    "source",
    [
        r"(\w+\s?)+$",
        r"(a|aa)*b",
        r"(?:\d+\s*)+x",
        r"(\w)\1+",
        r"a{0,5000}",
        r"\s*\s*\s*\s*x",
        # bounded repetitions in a row (review of this change: 3 s on 100 characters)
        r"a{0,100}a{0,100}a{0,100}a{0,100}a{0,100}!",
        r"\w{0,30}\s?\w{0,30}\s?\w{0,30}\s?\w{0,30}!",
        r"a{0,20}a{0,20}a{0,20}!",
    ],
)
def test_shapes_that_backtrack_are_refused(source: str) -> None:
    assert linear_problem(source) is not None
    spec = {"signals": [{"id": "s", "ref": "S01", "label": "l", "weight": 1.0, "patterns": {"en": ["re:" + source]}}]}
    with pytest.raises(PatternFileError, match="refused"):
        ind.build_set(ind.parse_signals(spec))
