"""Formula neutralisation for every CSV meant for people, and the place shown once."""

from __future__ import annotations

import pytest

from core.spreadsheet import neutralise, place_text, wrapped_lines


@pytest.mark.parametrize(
    "value",
    [
        "=1+1", "+cmd", "-1+1", "@SUM(1)", "\t=1", "\r=1", "\nabc", "\n=1",
        "  =1+1",  # spaces before the formula
        "\u200b=1", "\u200d\u2060+1", "\ufeff@x", " \u00a0-2",  # invisible characters before it
        "＝1+1", "＋1", "－1", "＠SUM(1)", "\u3000＝1",  # full-width forms Excel folds to ASCII
    ],
)  # fmt: skip
def test_formula_starts_are_neutralised(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["", "abc", "캄보디아 =1", "a-b", "1+1", "'=already quoted", "\u200babc"])
def test_plain_text_is_left_alone(value):
    assert neutralise(value) == value


def test_place_shows_the_country_once():
    assert place_text("Bangkok, TH", "TH") == "Bangkok, TH"
    assert place_text("Bangkok (TH)", "th") == "Bangkok (TH)"
    assert place_text("Perth", "TH") == "Perth, TH"  # ends with the letters, not the word
    assert place_text("", "KH") == "KH" and place_text("Phnom Penh", "") == "Phnom Penh"


def test_wrapped_lines_count_wide_characters_twice():
    assert wrapped_lines("a" * 10, 10) == 1 and wrapped_lines("a" * 11, 10) == 2
    assert wrapped_lines("가" * 10, 10) == 2 and wrapped_lines("one\ntwo\n", 10) == 3
