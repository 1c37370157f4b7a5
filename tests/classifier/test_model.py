"""Model building blocks: threshold choice, bands, grouped CV, reasons, rendering, normalisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from classifier.model import choose_threshold, metrics
from classifier.normalize import normalize
from classifier.scoring import band_for, mark_evidence, score_frame
from classifier.tokens import tokenize
from classifier.trainset import first_sentence, merge_groups, near_duplicate_clusters, short_versions
from core.reasons import reason_text, reasons_text


def test_choose_threshold_reaches_target_recall() -> None:
    y = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    s = np.array([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.35, 0.1])
    t = choose_threshold(y, s, 0.9)
    assert t == pytest.approx(0.3)
    assert (s[y == 1] >= t).mean() >= 0.9


@pytest.mark.parametrize(
    "score,weights,band",
    [
        (0.95, {}, "critical"),  # flagged and at the critical score
        (0.9, {"urgency": 1.0}, "critical"),
        (0.89, {"urgency": 1.0, "visa_irregular": 2.0}, "high"),  # flagged, nothing very high
        (0.6, {}, "high"),
        (0.6, {"safety_denial": 3.0}, "critical"),  # a very-high-severity signal (S11) fired
        (0.59, {"safety_denial": 3.0}, "medium"),  # ... but the ad is not flagged
        (0.3, {}, "medium"),
        (0.29, {"crime_duties": 3.0}, "low"),
    ],
)
def test_bands(score, weights, band) -> None:
    assert band_for(score, 0.6, weights) == band


def test_critical_score_is_never_below_the_threshold() -> None:
    """With a threshold above the critical score, flagged ads start at critical: no flagged
    ad may sit below an unflagged one."""
    assert band_for(0.96, 0.95) == "critical" and band_for(0.94, 0.95) == "medium"


def test_bands_are_the_known_ones_riskiest_first() -> None:
    from core.bands import BANDS, band_rank

    seen = {band_for(s / 100, 0.5, w) for s in range(101) for w in ({}, {"x": 3.0})}
    assert seen == set(BANDS)
    assert sorted(["low", "critical", "medium", "high", ""], key=band_rank) == ["critical", "high", "medium", "low", ""]


def test_metrics_with_one_class_are_json_safe() -> None:
    import json

    m = metrics(np.array([0, 0]), np.array([0.1, 0.9]), 0.5)
    json.dumps(m, allow_nan=False)
    assert m["recall"] is None and m["false_positive_rate"] == 0.5


def test_tokenizer_mixes_words_and_dense_bigrams() -> None:
    toks = tokenize(normalize("Telegram 캄 보디아 高薪 x").text)
    assert "telegram" in toks and "캄보" in toks and "디아" in toks and "高薪" in toks and "x" in toks


def test_normalised_offsets_map_back() -> None:
    text = "ＡＢ 캄 보 디 아\u200b텔.레"
    n = normalize(text)
    i = n.text.index("캄보디아")
    assert n.span_text(i, i + 4)[2] == "캄 보 디 아"


def test_near_duplicates_share_a_group() -> None:
    base = "시아누크빌 채팅 상담 월 800 경력무관 텔레그램 문의 숙식 제공 항공권 지원 " * 3
    texts = [base, base + "!", "completely different legit ad about accounting in Seoul " * 3]
    clusters = near_duplicate_clusters(texts)
    assert clusters[0] == clusters[1] != clusters[2]
    groups = merge_groups(["a", "b", "c"], clusters)
    assert groups[0] == groups[1] != groups[2]


def test_short_versions_keep_label_and_group() -> None:
    df = pd.DataFrame(
        {
            "title": ["", "Cook"],
            "description": ["First line. Second line.", "long text"],
            "company": ["c", "d"],
            "location": "",
            "salary": "",
            "language": "en",
            "label": [1, 0],
            "group": ["g1", "g2"],
            "subset": "s",
            "weight": 1.0,
            "short": False,
        }
    )
    short = short_versions(df)
    assert short["description"].tolist() == ["First line.", ""] and short["title"].tolist() == ["", "Cook"]
    assert short["label"].tolist() == [1, 0] and short["group"].tolist() == ["g1", "g2"] and short["short"].all()
    assert first_sentence("감금 없음. 월 천") == "감금 없음."


def test_reasons_render_one_per_line() -> None:
    rs = [
        {"signal": "safety_denial", "label": "safety denial", "weight": 3, "evidence": "감금 절대 없음"},
        {"signal": "work_visa_stated", "label": "work visa stated", "weight": -1, "evidence": "취업비자"},
    ]
    assert reasons_text(rs) == "safety denial: “감금 절대 없음”\nin its favour, work visa stated: “취업비자”"
    assert reason_text({"signal": "x", "label": "x", "weight": 1, "evidence": "a\nb"}) == "x: “a b”"


def test_mark_evidence() -> None:
    text = "abc 감금 없음 def"
    assert mark_evidence(text, [{"start": 4, "end": 9}]) == "abc [[감금 없음]] def"


def test_tiny_model_scores_and_explains(tiny_fit) -> None:
    ads = pd.DataFrame(
        {"title": ["캄보디아 고수익", "Accountant"], "description": ["텔레그램 @x 감금 없음", "degree in accounting"]}
    )
    out = score_frame(tiny_fit.pipeline, ads, tiny_fit.threshold)
    assert list(out.columns) == ["score", "flagged", "band", "reasons", "pay", "destination", "contacts", "country"]
    assert out["country"].tolist() == ["KH", ""]
    assert out["score"].between(0, 1).all() and out["score"].iloc[0] > out["score"].iloc[1]
    assert out.index.equals(ads.index)
    assert score_frame(tiny_fit.pipeline, ads.iloc[:0], 0.5).empty


def test_pay_destination_and_contacts_come_with_offsets_in_the_model_text(tiny_fit) -> None:
    """What the analysis read is returned beside the score, its offsets in core.ad.model_text:
    pay from the salary field too (it is a line of that text), never -1 any more."""
    from core.ad import model_text

    ads = pd.DataFrame(
        {
            "title": ["Chat agent"],
            "location": ["Sihanoukville, Cambodia"],
            "salary": ["  월 1000만원  "],
            "description": ["경험 무관. 텔레그램 @hr_boss"],
            "contacts": [{"telegram": ["@hr_boss"], "phone": []}],
        }
    )
    row = score_frame(tiny_fit.pipeline, ads, tiny_fit.threshold).iloc[0]
    text = model_text(ads.iloc[0])
    pay, place = row["pay"], row["destination"]
    assert pay["currency"] == "KRW" and pay["period"] == "month" and pay["monthly_usd_high"] > 5000
    assert text[pay["start"] : pay["end"]] == pay["evidence"] == "1000만원"  # on the salary line, trimmed
    assert text[place["start"] : place["end"]] == place["evidence"] and place["country"] == "KH"
    assert row["contacts"] == {"listed": {"telegram": ["@hr_boss"]}, "mentioned": []}
    pay_reason = next(r for r in row["reasons"] if r["signal"] == "pay_above_market")
    assert (pay_reason["start"], pay_reason["end"], pay_reason["evidence"]) == (pay["start"], pay["end"], "1000만원")
    assert "US$" in pay_reason["detail"] and "US$" not in pay_reason["evidence"]


def test_missing_columns_and_contacts_field(tiny_fit) -> None:
    ads = pd.DataFrame({"title": ["job"], "contacts": ['{"telegram": ["@boss"]}']})
    row = score_frame(tiny_fit.pipeline, ads, tiny_fit.threshold).iloc[0]
    assert any(r["signal"] == "messenger_only" for r in row["reasons"])


def test_threshold_spends_an_unused_false_alarm_budget_but_never_loses_recall() -> None:
    from classifier.model import choose_threshold

    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    s = np.array([0.9, 0.8, 0.7, 0.3, 0.6, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    assert choose_threshold(y, s, 0.75) == 0.7  # recall target alone
    # One legit row in ten may be flagged: the threshold drops to just above 0.2, catching 0.3.
    t = choose_threshold(y, s, 0.75, max_fpr=0.1)
    assert 0.2 < t <= 0.3 and ((s >= t) & (y == 0)).sum() == 1 and ((s >= t) & (y == 1)).sum() == 4
    # A budget smaller than one row flags no legit row: just above the highest legit score.
    t = choose_threshold(y, s, 0.75, max_fpr=0.01)
    assert 0.6 < t < 0.7 and not ((s >= t) & (y == 0)).any()
    # The recall target always holds, however small the budget.
    assert ((s >= choose_threshold(y, s, 1.0, max_fpr=0.0)) & (y == 1)).sum() == 4


def test_the_threshold_is_chosen_on_real_ads_once_there_are_enough_of_each_class() -> None:
    from classifier.trainset import threshold_rows

    def frame(real_lures: int, real_legit: int) -> pd.DataFrame:
        subsets = ["seed"] * 50 + ["quoted"] * real_lures + ["cambodia_jobboards"] * real_legit
        labels = [1, 0] * 25 + [1] * real_lures + [0] * real_legit
        return pd.DataFrame({"subset": subsets, "label": labels})

    assert threshold_rows(frame(19, 40)) is None  # too few real lures: every row
    mask = threshold_rows(frame(20, 20))
    assert mask is not None and mask.sum() == 40 and not mask[:50].any()


def test_the_false_alarm_cap_wins_over_the_recall_target() -> None:
    from classifier.model import choose_threshold

    y = np.array([1] * 4 + [0] * 10)
    s = np.array([0.9, 0.5, 0.4, 0.3] + [0.45, 0.35, 0.2] + [0.1] * 7)
    assert choose_threshold(y, s, 1.0) == 0.3  # catches every lure, flags two legit ads in ten
    t = choose_threshold(y, s, 1.0, fpr_cap=0.1)
    assert 0.35 < t <= 0.4 and ((s >= t) & (y == 0)).sum() == 1  # one in ten at most
