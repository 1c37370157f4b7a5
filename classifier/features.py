"""Per-ad analysis (indicators, destination, pay, contacts) and the features built from it.

One pass per ad: normalise, tokenize, match indicators and places, parse pay. The same
analysis feeds the model (numeric columns and tokens) and the explanation (evidence spans),
so scoring never computes it twice.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import yaml
from sklearn.base import BaseEstimator, TransformerMixin

from classifier import gazetteer as gz
from classifier import indicators as ind
from classifier.extract import coerce_ads, contact_types, messenger_only, parse_contacts, ad_text
from classifier.normalize import Normalized, normalize
from classifier.salary import Pay, best_pay, parse_pay
from classifier.tokens import tokenize

# Monthly pay (USD) an honest ad can offer: unskilled overseas work vs work asking for
# qualifications. INDICATORS.md S02: 500만 원 (~US$3,000) for no-skill work is already a red
# flag; Koreans in Vietnam average ~240만 원; senior IT roles legitimately reach 500만+.
BENCHMARK_UNSKILLED_USD = 1_200.0
BENCHMARK_SKILLED_USD = 4_000.0
IMPLAUSIBLE_RATIO = 2.5
VERY_HIGH_USD = 7_000.0  # ~1,000만 원 a month: "very high" in S02 whatever the role
SKILL_SIGNALS = frozenset({"qualifications_required"})
NO_SKILL_SIGNALS = frozenset({"no_experience", "vague_desk_role"})

STRUCTURED = ["dest_hub", "dest_high_country", "dest_transit", "pay_present", "pay_level",
              "pay_implausible", "pay_very_high", "contact_messenger", "contact_messenger_only",
              "contact_email_or_url", "expert_score", "combo_core", "combo_docs", "combo_debt"]


@dataclass
class Reason:
    """One reason for a score: a signal, its weight and the evidence in the original text."""

    signal: str
    label: str
    weight: float
    evidence: str
    start: int = -1
    end: int = -1

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return {"signal": self.signal, "label": self.label, "weight": round(float(self.weight), 3),
                "evidence": self.evidence, "start": self.start, "end": self.end}


@dataclass
class Analysis:
    """Everything found in one ad."""

    norm: Normalized
    tokens: list[str]
    hits: list[ind.Hit]
    destination: gz.Destination | None
    pay: Pay | None
    contacts: dict[str, list[str]]
    reasons: list[Reason] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)


def _pay_features(pay: Pay | None, fired: set[str]) -> tuple[dict[str, float], float]:
    if pay is None:
        return {"pay_present": 0.0, "pay_level": 0.0, "pay_implausible": 0.0, "pay_very_high": 0.0}, 0.0
    usd = max(pay.monthly_usd_high, 1.0)
    skilled = bool(SKILL_SIGNALS & fired) and not (NO_SKILL_SIGNALS & fired)
    ratio = usd / (BENCHMARK_SKILLED_USD if skilled else BENCHMARK_UNSKILLED_USD)
    return {
        "pay_present": 1.0,
        "pay_level": float(np.clip(math.log10(usd) - 3.0, -1.5, 1.5)),
        "pay_implausible": 1.0 if ratio >= IMPLAUSIBLE_RATIO else 0.0,
        "pay_very_high": 1.0 if usd >= VERY_HIGH_USD else 0.0,
    }, ratio


def analyse(row: dict | pd.Series, iset: ind.IndicatorSet, gaz: gz.Gazetteer) -> Analysis:
    """Analyse one ad (a row with the ad columns)."""
    norm = normalize(ad_text(row))
    tokens = tokenize(norm.text)
    hits = ind.find_hits(norm, iset, tokens)
    dest = gz.main_destination(gz.find_places(norm, gaz, tokens))
    # The salary field is the poster's own statement; fall back to the text when empty.
    sal_norm = normalize(row.get("salary", "") or "")
    pays = parse_pay(sal_norm.text)
    pay_norm = sal_norm if pays else norm
    pay = best_pay(pays or parse_pay(norm.text))
    found = contact_types(parse_contacts(row.get("contacts")), norm.text)
    a = Analysis(norm, tokens, hits, dest, pay, found)
    fired = {h.signal for h in hits}
    pay_feats, ratio = _pay_features(pay, fired)
    risk = dest.risk if dest else -1
    only = messenger_only(found)
    f: dict[str, float] = {f"sig_{s.id}": 0.0 for s in iset.signals}
    for s in fired:
        f[f"sig_{s}"] = 1.0
    f.update(pay_feats)
    f.update({
        "dest_hub": float(risk >= 3), "dest_high_country": float(risk >= 2), "dest_transit": float(risk == 1),
        "contact_messenger": float(bool({"telegram", "kakao", "whatsapp", "line", "wechat", "zalo", "qq"} & found.keys())),
        "contact_messenger_only": float(only),
        "contact_email_or_url": float(bool({"email", "url"} & found.keys())),
    })
    easy_money = bool({"high_pay_claim", "short_term_quick_money"} & fired) or pay_feats["pay_implausible"] > 0
    anon = only or bool({"employer_vague", "messenger_contact"} & fired)
    # INDICATORS.md §3.2 combination rules, as features the model can weigh.
    f["combo_core"] = float(risk >= 2 and easy_money and anon)
    f["combo_docs"] = float(bool({"visa_irregular", "passport_upfront"} & fired) and easy_money)
    f["combo_debt"] = float(bool({"debt_targeting", "costs_advanced"} & fired) and (risk >= 1 or easy_money))
    # Structured reasons (S01, S02, S06) sit beside the pattern hits in the explanation.
    reasons = [Reason(h.signal, h.label, h.weight, h.text, h.start, h.end) for h in hits]
    if dest is not None and risk >= 1:
        w = {3: 2.0, 2: 1.0}.get(risk, 0.5)
        label = "high-risk destination" if risk >= 2 else "transit point, agent hub or vague region"
        reasons.append(Reason("destination", label, w, dest.text, dest.start, dest.end))
    if pay is not None and (pay_feats["pay_implausible"] or pay_feats["pay_very_high"]):
        a0, b0, txt = pay_norm.span_text(pay.start, pay.end)
        if pay_norm is sal_norm:  # salary field: offsets are not in the ad text
            a0 = b0 = -1
        w = 3.0 if pay_feats["pay_very_high"] else 2.0
        reasons.append(Reason("pay_above_market", "pay far above market for the role", w,
                              f"{txt.strip()} (~US${pay.monthly_usd_high:,.0f}/month, {ratio:.1f}x benchmark)", a0, b0))
    if only:
        vals = [v for k in sorted(found) if k in {"telegram", "kakao", "whatsapp", "line", "wechat", "zalo", "qq"}
                for v in found[k][:1]]
        reasons.append(Reason("messenger_only", "messenger app is the only contact", 1.5, ", ".join(vals)))
    distinct = {}
    for r in reasons:
        distinct[r.signal] = r.weight
    f["expert_score"] = float(np.clip(sum(distinct.values()) / 5.0, -1.0, 3.0))
    a.reasons = reasons
    a.features = f
    return a


def feature_names(iset: ind.IndicatorSet) -> list[str]:
    """Numeric feature columns, in order."""
    return [f"sig_{s.id}" for s in iset.signals] + STRUCTURED


def _read_spec(path) -> tuple[dict, str]:
    raw = open(path, "rb").read()
    return yaml.safe_load(raw.decode("utf-8")), hashlib.sha256(raw).hexdigest()


class AdAnalyzer(BaseEstimator, TransformerMixin):
    """Frame of ads -> frame of `_tokens`, numeric features and `_analysis` objects.

    The indicator and gazetteer files are copied into the estimator at fit time, so a saved
    model keeps the patterns it was trained with even if an expert edits the files later.
    """

    def __init__(self, indicators_path: str | None = None, gazetteer_path: str | None = None):
        self.indicators_path = indicators_path
        self.gazetteer_path = gazetteer_path

    def fit(self, X: pd.DataFrame, y=None) -> "AdAnalyzer":
        self.indicator_spec_, self.indicators_sha256_ = _read_spec(self.indicators_path or ind.DEFAULT_PATH)
        self.gazetteer_spec_, self.gazetteer_sha256_ = _read_spec(self.gazetteer_path or gz.DEFAULT_PATH)
        self._compiled = None
        return self

    def compiled(self) -> tuple[ind.IndicatorSet, gz.Gazetteer]:
        """The compiled patterns (compiled once per process, not pickled)."""
        if getattr(self, "_compiled", None) is None:
            self._compiled = (ind.build_set(ind.parse_signals(self.indicator_spec_)),
                              gz.parse_gazetteer(self.gazetteer_spec_))
        return self._compiled

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_compiled"] = None
        return state

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        iset, gaz = self.compiled()
        ads = coerce_ads(X)
        analyses = [analyse(row, iset, gaz) for row in ads.to_dict("records")]
        cols = feature_names(iset)
        out = pd.DataFrame([[a.features[c] for c in cols] for a in analyses], columns=cols,
                           index=X.index, dtype=float)
        out["_tokens"] = [a.tokens for a in analyses]
        out["_analysis"] = analyses
        return out

    def numeric_columns(self) -> list[str]:
        """Names of the numeric feature columns transform() returns."""
        return feature_names(self.compiled()[0])


def numeric_columns(X: pd.DataFrame) -> list[str]:
    """Column selector for the numeric features (module level so the pipeline pickles)."""
    return [c for c in X.columns if not c.startswith("_")]


def identity(tokens: list[str]) -> list[str]:
    """Analyzer for pre-tokenized text (module level so the pipeline pickles)."""
    return tokens
