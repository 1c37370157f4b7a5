"""Scoring with explanations: score, flagged, band and reasons for every ad.

Reasons are the indicators that fired (with the words of the ad that fired them) and the
text features that pushed the score up most, in plain words. One reason per signal: a
signal that fired on several words lists them on one line (``evidence`` is the first,
``more`` the others, each with its offsets), so an analyst never reads the same signal
twice. A text feature is shown only when it is a whole word of the ad (see
``_whole_word_span``): never a fragment such as 무직 inside 사무직, never a number or a unit.

Bands (README, "Bands"): ``band_for``.
"""

from __future__ import annotations

import unicodedata
import weakref
from collections.abc import Iterable, Mapping
from itertools import takewhile

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.pipeline import Pipeline

from classifier.extract import parse_contacts
from classifier.features import Analysis, Reason, pause_gc, reason_dict
from classifier.tokens import WORD
from core.reasons import evidence_parts

MAX_WORDS_PER_REASON = 3  # distinct words listed on one reason line
TOP_TEXT_FEATURES = 3
MIN_TEXT_CONTRIBUTION = 0.05
MAX_CANDIDATES = 12  # strongest text features considered for the words line
MAX_OCCURRENCES = 20  # places a text feature is looked for as a whole word
TEXT_LABEL = "wording common in lure ads"
# Bands: a flagged ad is critical from this calibrated score (or the threshold, if higher)...
CRITICAL_SCORE = 0.9
# ...or when a signal of very high severity fired (docs/signals.md: S11 safety denials, S19
# crime-adjacent duties, passport retention): indicators.yaml gives those weight 3.
CRITICAL_WEIGHT = 3.0
# Units and currencies: the model may weigh "month" or "usd" (lures state monthly pay in
# dollars), but "mentions 'month'" tells an analyst nothing.
UNITS = frozenset(
    "month months monthly day days daily week weeks weekly year years yearly hour hours hourly hr hrs "
    "per usd us krw won rmb cny yuan thb baht php peso idr rp vnd dong myr rm k m mil million thousand".split()
)
# The commonest function words of the other spaced languages we read (Indonesian, Tagalog,
# Vietnamese): English ones come from sklearn's list.
FUNCTION_WORDS = frozenset(
    "di ke dan yang untuk dengan dari ini itu ada atau sa ang ng mga at na para ay "
    "và của cho các là có được với trong".split()
)
# Derived from the fitted model, so cached per process beside it rather than inside it.
_COEF_CACHE: "weakref.WeakKeyDictionary[Pipeline, tuple]" = weakref.WeakKeyDictionary()


def band_for(score: float, threshold: float, signal_weights: Mapping[str, float] | None = None) -> str:
    """The ad's band from its calibrated score, the threshold and the fired signals' weights.

    ``critical``: flagged, and either the score reaches max(CRITICAL_SCORE, threshold) or a
    signal of very high severity fired (weight >= CRITICAL_WEIGHT); ``high``: flagged
    otherwise; ``medium``: from half the threshold; ``low``: below that.
    """
    if score >= threshold:
        very_high = any(w >= CRITICAL_WEIGHT for w in (signal_weights or {}).values())
        return "critical" if very_high or score >= max(CRITICAL_SCORE, threshold) else "high"
    if score >= threshold / 2:
        return "medium"
    return "low"


def fired_weights(a: Analysis) -> dict[str, float]:
    """Weight of every indicator that fired in an ad (the signals of the catalogue, not the
    structured pay/destination/contact reasons, whose weights are not severities)."""
    return {h.signal: float(h.weight) for h in a.hits}


def _text_coef(pipeline: Pipeline) -> tuple[np.ndarray, slice, np.ndarray]:
    """Mean logistic coefficients of the text features over the calibration folds."""
    cache = _COEF_CACHE.get(pipeline)
    if cache is not None:
        return cache
    clf = pipeline.named_steps["clf"]
    coef = np.mean([c.estimator.coef_[0] for c in clf.calibrated_classifiers_], axis=0)
    ct = pipeline.named_steps["features"]
    sl = ct.output_indices_["text"]
    names = ct.named_transformers_["text"].get_feature_names_out()
    cache = (coef[sl], sl, names)
    _COEF_CACHE[pipeline] = cache
    return cache


def _is_filler(token: str) -> bool:
    """Tokens that explain nothing to an analyst, though the model may weigh them: stop
    words ("in", "the": seed lures say "work in Cambodia" more often than real ads say
    "in"; Indonesian "di"), numbers ("000" of "1,000"), units ("month"). Short words that do mean something
    here ("qq", "vx", "tg") are not stop words and stay."""
    return (
        token in ENGLISH_STOP_WORDS
        or token in UNITS
        or token in FUNCTION_WORDS
        or not any(c.isalpha() for c in token)
        or (token.isascii() and len(token) < 2)
        # A lone Hangul, Han, Thai or Khmer character is a unit, a particle or a piece of a
        # word (월, 원, 万, ក), never a wording an analyst can weigh.
        or (len(token) == 1 and not WORD.fullmatch(token))
    )


def _bounded(original: str, start: int, end: int, dense: bool) -> bool:
    """Nothing word-like touches original[start:end] on either side. For a word of a
    spaced script, letters and digits continue it; for Hangul/Han/kana/Thai, letters do
    (日薪800: 日薪 is a word, the number after it is not part of it)."""

    def joins(c: str) -> bool:
        # A combining mark (Thai, Khmer, Lao, Burmese vowel signs; Devanagari too) always
        # continues the letter before it: เง before ิ is a piece of เงิน, not a word.
        return (c.isalpha() if dense else c.isalnum()) or unicodedata.category(c)[0] == "M"

    return (start == 0 or not joins(original[start - 1])) and (end >= len(original) or not joins(original[end]))


def _whole_word_span(a: Analysis, token: str, whole: tuple[int, int, str]) -> tuple[int, int, str] | None:
    """The first place ``token`` is a whole word of the ad's original text, or None.

    Word tokens are whole words by construction, but a dense-script token is a character
    bigram: 무직 is one inside 사무직. It counts only where, in the original text, no letter
    touches it on either side (a word on its own, between spaces, punctuation or digits)
    and nothing but letters sit inside it: normalisation joins "월 한" into 월한, which is two
    words, not one (a disguised "해 외" is lost with it; its indicators still show)."""
    dense = not WORD.fullmatch(token)
    s0, _, original = whole  # the ad's original text, and where it starts
    if s0 < 0:
        return None
    pos, tries = a.norm_text.find(token), 0
    while pos >= 0 and tries < MAX_OCCURRENCES:
        # Never a piece of a handle, e-mail address or URL ("kh" of hr@school.edu.kh).
        if a.in_address is not None and a.in_address(pos, pos + len(token)):
            pos, tries = a.norm_text.find(token, pos + 1), tries + 1
            continue
        start, end, text = a.original_span(pos, pos + len(token))
        inside = not dense or all(c.isalnum() or unicodedata.category(c)[0] in "MC" for c in text)
        if start >= s0 and inside and _bounded(original, start - s0, end - s0, dense):
            return start, end, text
        pos, tries = a.norm_text.find(token, pos + 1), tries + 1
    return None


def _key(evidence: str) -> str:
    return " ".join(evidence.split()).lower()


def _merged(signal: str, label: str, weight: float, parts: list[tuple[str, int, int]], detail: str = "") -> dict:
    """One reason line for a signal: the first evidence, then the other distinct ones."""
    text, start, end = parts[0]
    out = reason_dict(signal, label, weight, text, start, end, detail)
    if len(parts) > 1:
        out["more"] = [{"evidence": t, "start": s, "end": e} for t, s, e in parts[1:]]
    return out


def _reasons(a: Analysis, candidates: Iterable[tuple[str, float]]) -> list[dict]:
    """The ad's reasons, one per signal, then one line of the words the model weighs."""
    groups: dict[str, tuple[Reason, list[tuple[str, int, int]]]] = {}
    seen: set[tuple[str, str]] = set()
    for r in sorted(a.reasons, key=lambda r: (-r.weight, r.start)):
        first, parts = groups.setdefault(r.signal, (r, []))
        key = (r.signal, _key(r.evidence))
        if len(parts) < MAX_WORDS_PER_REASON and key not in seen:
            seen.add(key)
            parts.append((r.evidence, r.start, r.end))
    out = [_merged(first.signal, first.label, first.weight, parts, first.detail) for first, parts in groups.values()]
    shown = " ".join(k for _, k in seen)
    words: list[tuple[str, int, int]] = []
    total = 0.0
    whole: tuple[int, int, str] | None = None
    for token, c in candidates:
        if len(words) == TOP_TEXT_FEATURES:
            break
        if _is_filler(token) or token in shown:  # noise, or already explained by an indicator
            continue
        whole = whole or a.original_span(0, len(a.norm_text))
        span = _whole_word_span(a, token, whole)
        if span is None:  # a fragment of a longer word: 무직 of 사무직, 외취 of 해외 취업
            continue
        words.append((span[2], span[0], span[1]))
        total += c
    if words:
        out.append(_merged("text", TEXT_LABEL, total, words))
    return out


ANALYSIS_COLUMNS = ("pay", "destination", "contacts")


def pay_of(a: Analysis) -> dict | None:
    """The pay the model read: currency, period, monthly USD and its words with their offsets."""
    if a.pay is None:
        return None
    start, end, words = a.pay_span if a.pay_span else (-1, -1, "")
    return {
        "currency": a.pay.currency,
        "period": a.pay.period,
        "monthly_usd_low": round(float(a.pay.monthly_usd_low), 2),
        "monthly_usd_high": round(float(a.pay.monthly_usd_high), 2),
        "evidence": words,
        "start": start,
        "end": end,
    }


def destination_of(a: Analysis) -> dict | None:
    """The riskiest place the ad names (country, city, risk) and its words with their offsets."""
    d = a.destination
    if d is None:
        return None
    return {
        "country": d.country,
        "city": d.city,
        "place_id": d.place_id,
        "risk": int(d.risk),
        "evidence": d.text,
        "start": d.start,
        "end": d.end,
    }


def contacts_of(a: Analysis, listed: object) -> dict:
    """The contacts the analysis read from the ad's contacts field, and the kinds its text names."""
    values = parse_contacts(listed)
    return {"listed": values, "mentioned": sorted(k for k in a.contacts if k not in values)}


def score_frame(pipeline: Pipeline, ads: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """score, flagged, band and reasons (list of dicts) for each ad, index aligned with `ads`;
    with pay, destination and contacts (ANALYSIS_COLUMNS), what the analysis read, so a
    stored ad is never analysed again to show them. Every offset counts in the ad's model
    text (core.ad.model_text)."""
    if len(ads) == 0:
        empty = ("score", "flagged", "band", "reasons", *ANALYSIS_COLUMNS, "country")
        return pd.DataFrame({c: [] for c in empty}, index=ads.index)
    # The whole call, not just the analysis: the analyses, tokens and reasons it builds would
    # otherwise be traversed by collections triggered in the frame and reason code (~10%).
    with pause_gc():
        return _score_frame(pipeline, ads, threshold)


def _score_frame(pipeline: Pipeline, ads: pd.DataFrame, threshold: float) -> pd.DataFrame:
    analysed = pipeline.named_steps["analyse"].transform(ads)
    X = pipeline.named_steps["features"].transform(analysed).tocsr()
    scores = pipeline.named_steps["clf"].predict_proba(X)[:, 1]
    coef, sl, names = _text_coef(pipeline)
    # Contribution of every text feature of every ad in one sparse product.
    C = X[:, sl].multiply(coef[None, :]).tocsr()
    reasons, bands = [], []
    listed = ads["contacts"].tolist() if "contacts" in ads.columns else [None] * len(ads)
    for i, a in enumerate(analysed["_analysis"]):
        lo, hi = C.indptr[i], C.indptr[i + 1]
        data, idx = C.data[lo:hi], C.indices[lo:hi]
        # Strongest first, read lazily and at most MAX_CANDIDATES: most ads need only their
        # first few features, and fragments are skipped, not searched for forever.
        order = np.argsort(-data)[:MAX_CANDIDATES] if hi > lo else ()
        candidates = takewhile(
            lambda tc: tc[1] >= MIN_TEXT_CONTRIBUTION, ((str(names[idx[j]]), float(data[j])) for j in order)
        )
        reasons.append(_reasons(a, candidates))
        bands.append(band_for(float(scores[i]), threshold, fired_weights(a)))
    return pd.DataFrame(
        {
            "score": np.round(scores, 4),
            "flagged": scores >= threshold,
            "band": bands,
            "reasons": reasons,
            "pay": [pay_of(a) for a in analysed["_analysis"]],
            "destination": [destination_of(a) for a in analysed["_analysis"]],
            "contacts": [contacts_of(a, c) for a, c in zip(analysed["_analysis"], listed)],
            # ISO 3166-1 alpha-2 of the country the job is in, "" when the ad does not say.
            "country": [a.country for a in analysed["_analysis"]],
        },
        index=ads.index,
    )


def mark_evidence(text: str, reasons: list[dict], left: str = "[[", right: str = "]]") -> str:
    """The original text with every evidence span (every word of every reason) wrapped in markers."""
    spans = sorted({(s, e) for r in reasons for _, s, e in evidence_parts(r) if 0 <= s < e})
    out, last = [], 0
    for a, b in spans:
        if a < last:  # overlapping spans: extend the open mark instead of nesting
            continue
        out.append(text[last:a] + left + text[a:b] + right)
        last = b
    out.append(text[last:])
    return "".join(out)
