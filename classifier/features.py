"""Per-ad analysis (indicators, destination, pay, contacts) and the features built from it.

One pass per ad: normalise, tokenize, match indicators and places, parse pay. The same
analysis feeds the model (numeric columns and tokens) and the explanation (evidence spans),
so scoring never computes it twice.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import yaml
from sklearn.base import BaseEstimator, TransformerMixin

from classifier import gazetteer as gz
from classifier import indicators as ind
from classifier.extract import (
    MESSENGERS,
    ad_text,
    coerce_ads,
    contact_types,
    messenger_only,
    parse_contacts,
    text_contacts_batch,
)
from classifier.normalize import Batch, normalize_batch
from classifier.salary import Pay, best_pay, parse_pay
from classifier.tokens import tokenize
from core.ad import TEXT_FIELDS, field_offsets

# Monthly pay (USD) an honest ad can offer: unskilled overseas work vs work asking for
# qualifications. docs/signals.md S02: 500만 원 (~US$3,000) for no-skill work is already a red
# flag; Koreans in Vietnam average ~240만 원; senior IT roles legitimately reach 500만+.
BENCHMARK_UNSKILLED_USD = 1_200.0
BENCHMARK_SKILLED_USD = 4_000.0
IMPLAUSIBLE_RATIO = 2.5
VERY_HIGH_USD = 7_000.0  # ~1,000만 원 a month: "very high" in S02 whatever the role
SKILL_SIGNALS = frozenset({"qualifications_required"})
NO_SKILL_SIGNALS = frozenset({"no_experience", "vague_desk_role"})

STRUCTURED = [
    "dest_hub",
    "dest_high_country",
    "dest_transit",
    "pay_present",
    "pay_level",
    "pay_implausible",
    "pay_very_high",
    "contact_messenger",
    "contact_messenger_only",
    "contact_email_or_url",
    "expert_score",
    "combo_core",
    "combo_docs",
    "combo_debt",
]


@dataclass
class Reason:
    """One reason for a score: a signal, its weight and the evidence in the original text."""

    signal: str
    label: str
    weight: float
    evidence: str
    start: int = -1
    end: int = -1
    detail: str = ""  # what the words mean, beside them (pay: "~US$7,143/month, 6.0x benchmark")

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return reason_dict(self.signal, self.label, self.weight, self.evidence, self.start, self.end, self.detail)


def reason_dict(
    signal: str, label: str, weight: float, evidence: str, start: int = -1, end: int = -1, detail: str = ""
) -> dict:
    """Reason(...).as_dict() without the Reason: scoring builds ~6 reason lines per ad."""
    out = {
        "signal": signal,
        "label": label,
        "weight": round(float(weight), 3),
        "evidence": evidence,
        "start": start,
        "end": end,
    }
    if detail:
        out["detail"] = detail
    return out


@dataclass
class Analysis:
    """Everything found in one ad."""

    norm_text: str
    tokens: list[str]
    hits: list[ind.Hit]
    destination: gz.Destination | None
    pay: Pay | None
    contacts: dict[str, list[str]]
    reasons: list[Reason] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    country: str = ""  # ISO code of the country the job is in ("" when the ad does not say)
    # norm_text span -> True when it touches a handle, e-mail address or URL
    in_address: Callable[[int, int], bool] | None = None
    to_original: Callable[[int, int], tuple[int, int, str]] | None = None  # normalised span -> original
    pay_span: tuple[int, int, str] | None = None  # the pay's words in the original text

    def original_span(self, start: int, end: int) -> tuple[int, int, str]:
        """(start, end, text) in the ad's original text for a span of norm_text."""
        if self.to_original is None:
            return -1, -1, self.norm_text[start:end]
        return self.to_original(start, end)


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


def _assemble(
    norm_text: str,
    tokens: list[str],
    hits: list[ind.Hit],
    dest: gz.Destination | None,
    pay: Pay | None,
    pay_span: tuple[int, int, str] | None,
    found: dict[str, list[str]],
    iset: ind.IndicatorSet,
    listed: dict[str, list[str]] | None = None,
) -> Analysis:
    """Features and structured reasons of one ad from what the batch scan found.

    ``listed`` are the contacts of the ad's own contacts field (``found`` adds the text's).
    """
    a = Analysis(norm_text, tokens, hits, dest, pay, found)
    fired = {h.signal for h in hits}
    pay_feats, ratio = _pay_features(pay, fired)
    risk = dest.risk if dest else -1
    # A messenger named only in the text counts as the way to reach the poster when the
    # messenger indicator fired there too: a scam warning or a "we never recruit on
    # Telegram" notice names one as well, and the indicator's exclusions drop those.
    only = messenger_only(found, norm_text) and (
        bool(MESSENGERS & (listed or {}).keys()) or "messenger_contact" in fired
    )
    f: dict[str, float] = dict.fromkeys(iset.ids, 0.0)
    for s in fired:
        f[s] = 1.0
    f.update(pay_feats)
    f.update(
        {
            "dest_hub": float(risk >= 3),
            "dest_high_country": float(risk >= 2),
            "dest_transit": float(risk == 1),
            "contact_messenger": float(bool(MESSENGERS & found.keys())),
            "contact_messenger_only": float(only),
            "contact_email_or_url": float(bool({"email", "url"} & found.keys())),
        }
    )
    easy_money = bool({"high_pay_claim", "short_term_quick_money"} & fired) or pay_feats["pay_implausible"] > 0
    anon = only or bool({"employer_vague", "messenger_contact"} & fired)
    # docs/signals.md §3.2 combination rules, as features the model can weigh.
    f["combo_core"] = float(risk >= 2 and easy_money and anon)
    f["combo_docs"] = float(bool({"visa_irregular", "passport_upfront"} & fired) and easy_money)
    f["combo_debt"] = float(bool({"debt_targeting", "costs_advanced"} & fired) and (risk >= 1 or easy_money))
    # Structured reasons (S01, S02, S06) sit beside the pattern hits in the explanation.
    reasons = [Reason(h.signal, h.label, h.weight, h.text, h.start, h.end) for h in hits]
    if dest is not None and risk >= 1:
        w = {3: 2.0, 2: 1.0}.get(risk, 0.5)
        label = "high-risk destination" if risk >= 2 else "transit point, agent hub or vague region"
        reasons.append(Reason("destination", label, w, dest.text, dest.start, dest.end))
    if pay is not None and pay_span is not None and (pay_feats["pay_implausible"] or pay_feats["pay_very_high"]):
        a0, b0, txt = pay_span
        w = 3.0 if pay_feats["pay_very_high"] else 2.0
        detail = f"~US${pay.monthly_usd_high:,.0f}/month, {ratio:.1f}x benchmark"
        reasons.append(Reason("pay_above_market", "pay far above market for the role", w, txt, a0, b0, detail))
    if only:
        vals = [v for k in sorted(found) if k in MESSENGERS for v in found[k][:1]]
        reasons.append(Reason("messenger_only", "messenger app is the only contact", 1.5, ", ".join(vals)))
    distinct = {r.signal: r.weight for r in reasons}
    f["expert_score"] = float(np.clip(sum(distinct.values()) / 5.0, -1.0, 3.0))
    a.reasons = reasons
    a.features = f
    a.pay_span = pay_span
    return a


@contextlib.contextmanager
def pause_gc() -> Iterator[None]:
    """Pause the cyclic GC: a batch allocates tens of thousands of small acyclic objects and
    generational passes cost ~20% of scoring time (measured on 2,000-ad batches). Nested
    use is fine: only the outermost pause turns the GC back on."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def analyse_batch(rows: list[dict], iset: ind.IndicatorSet, gaz: gz.Gazetteer) -> list[Analysis]:
    """Analyse many ads (dicts with the ad columns); every regex scans the batch once."""
    with pause_gc():
        return _analyse_batch(rows, iset, gaz)


def _trimmed(span: tuple[int, int, str] | None) -> tuple[int, int, str] | None:
    """A span without the spaces around its words (offsets moved with them)."""
    if span is None or span[0] < 0:
        return span
    a, b, text = span
    lead = len(text) - len(text.lstrip())
    tail = len(text) - len(text.rstrip())
    return (a + lead, b - tail, text.strip()) if text.strip() else (-1, -1, "")


def _analyse_batch(rows: list[dict], iset: ind.IndicatorSet, gaz: gz.Gazetteer) -> list[Analysis]:
    texts_orig = [ad_text(r) for r in rows]
    batch = normalize_batch(texts_orig)
    texts = batch.texts()
    hits = ind.find_hits_batch(batch, iset)
    places = gz.find_places_batch(batch, gaz)
    # The salary field is the poster's own statement; fall back to the text when empty.
    sal = normalize_batch([r.get("salary", "") or "" for r in rows])
    sal_pays: list[list[Pay]] = [[] for _ in rows]
    for p in parse_pay(sal.norm.text, in_salary_field=True):
        sal_pays[sal.locate(p.start)].append(p)
    txt_pays: list[list[Pay]] = [[] for _ in rows]
    for p in parse_pay(batch.norm.text):
        txt_pays[batch.locate(p.start)].append(p)
    in_text = text_contacts_batch(batch.norm.text, batch.locate_many, len(rows))
    mask = ind.address_spans(batch.norm.text).mask  # computed by the indicator scan (cached)
    out = []
    for k, row in enumerate(rows):
        pay, span = best_pay(sal_pays[k]), None
        if pay is not None:
            # The salary field is a line of the text the model reads: its offsets count there too.
            a0, b0, _ = sal.span_text(k, pay.start, pay.end)
            at = field_offsets(row).get("salary", -1)
            span = (at + a0, at + b0, texts_orig[k][at + a0 : at + b0]) if at >= 0 else (-1, -1, "")
        else:
            pay = best_pay(txt_pays[k])
            span = batch.span_text(k, pay.start, pay.end) if pay else None
        span = _trimmed(span)
        listed = parse_contacts(row.get("contacts"))
        found = contact_types(listed, texts[k], in_text[k])
        original = ad_text(row)
        a = _assemble(
            texts[k],
            tokenize(texts[k]),
            hits[k],
            gz.main_destination(places[k], original),
            pay,
            span,
            found,
            iset,
            listed,
        )
        title = str(row.get("title", "") or "")
        a.country = gz.workplace_country(
            places[k],
            original,
            len(title) if title.strip() else 0,
            gaz,
            [*found.get("email", []), *found.get("url", [])],
            pay.currency if pay else None,
        )
        a.to_original = functools.partial(_local_span, batch, k)
        a.in_address = functools.partial(_in_address, mask, batch.norm_starts[k])
        out.append(a)
    return out


def _in_address(mask: bytes, offset: int, start: int, end: int) -> bool:
    return mask.find(1, offset + start, offset + end) >= 0


def _local_span(batch: Batch, k: int, start: int, end: int) -> tuple[int, int, str]:
    off = batch.norm_starts[k]
    return batch.span_text(k, off + start, off + end)


def analyse(row: dict | pd.Series, iset: ind.IndicatorSet, gaz: gz.Gazetteer) -> Analysis:
    """Analyse one ad (a row with the ad columns)."""
    return analyse_batch([dict(row)], iset, gaz)[0]


def feature_names(iset: ind.IndicatorSet) -> list[str]:
    """Numeric feature columns, in order."""
    return list(iset.ids) + STRUCTURED


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
            self._compiled = (
                ind.build_set(ind.parse_signals(self.indicator_spec_, "the model's indicators.yaml")),
                gz.parse_gazetteer(self.gazetteer_spec_, "the model's gazetteer.yaml"),
            )
        return self._compiled

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_compiled"] = None
        return state

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        iset, gaz = self.compiled()
        ads = coerce_ads(X)
        # Only the columns the analysis reads; DataFrame.to_dict("records") boxed every cell
        # of every column one by one (~2% of scoring). tolist() gives the same Python values.
        used = [*TEXT_FIELDS, "contacts"]
        rows = [dict(zip(used, vals)) for vals in zip(*(ads[c].tolist() for c in used))]
        analyses = analyse_batch(rows, iset, gaz)
        cols = feature_names(iset)
        # One float array first: a list of lists goes through pandas' slower inference.
        values = np.array([[a.features[c] for c in cols] for a in analyses], dtype=float).reshape(
            len(analyses), len(cols)
        )
        out = pd.DataFrame(values, columns=cols, index=X.index)
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
