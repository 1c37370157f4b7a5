"""Scoring with explanations: score, flagged, band and reasons for every ad.

Reasons are the indicators that fired (with the words of the ad that fired them) and the
text features that pushed the score up most, in plain words.
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.pipeline import Pipeline

from classifier.features import Analysis, Reason, pause_gc
from classifier.tokens import WORD

MAX_PER_SIGNAL = 2
TOP_TEXT_FEATURES = 3
MIN_TEXT_CONTRIBUTION = 0.05
# Derived from the fitted model, so cached per process beside it rather than inside it.
_COEF_CACHE: "weakref.WeakKeyDictionary[Pipeline, tuple]" = weakref.WeakKeyDictionary()


def band_for(score: float, threshold: float) -> str:
    """'high' when flagged, 'medium' from half the threshold, else 'low' (DESIGN.md)."""
    if score >= threshold:
        return "high"
    if score >= threshold / 2:
        return "medium"
    return "low"


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
    """Words that explain nothing to an analyst ("in", "the", "we", "a"), though the model may
    weigh them: seed lures say "work in Cambodia" more often than real ads say "in". Short
    words that do mean something here ("qq", "vx", "tg") are not stop words and stay."""
    return token in ENGLISH_STOP_WORDS or (token.isascii() and len(token) < 2)


def _find_token(token: str, text: str) -> tuple[int, int] | None:
    """First occurrence of a token; word tokens must not sit inside a longer word."""
    pos = text.find(token)
    while pos >= 0:
        end = pos + len(token)
        if not WORD.fullmatch(token) or (
            (pos == 0 or not text[pos - 1].isalnum()) and (end == len(text) or not text[end].isalnum())
        ):
            return pos, end
        pos = text.find(token, pos + 1)
    return None


def _reasons(a: Analysis, tokens: list[str], contrib: list[float]) -> list[dict]:
    per_signal: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    out: list[Reason] = []
    for r in sorted(a.reasons, key=lambda r: (-r.weight, r.start)):
        key = (r.signal, r.evidence.lower())
        if key in seen or per_signal.get(r.signal, 0) >= MAX_PER_SIGNAL:
            continue
        seen.add(key)
        per_signal[r.signal] = per_signal.get(r.signal, 0) + 1
        out.append(r)
    shown = " ".join(r.evidence.lower() for r in out)
    for token, c in zip(tokens, contrib):
        if token in shown:  # already explained by an indicator
            continue
        span = _find_token(token, a.norm_text)
        start, end, text = a.original_span(*span) if span else (-1, -1, token)
        out.append(Reason("text", f"mentions '{token}'", c, text, start, end))
    return [r.as_dict() for r in out]


def score_frame(pipeline: Pipeline, ads: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """score, flagged, band and reasons (list of dicts) for each ad, index aligned with `ads`."""
    if len(ads) == 0:
        return pd.DataFrame({"score": [], "flagged": [], "band": [], "reasons": []}, index=ads.index)
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
    reasons = []
    for i, a in enumerate(analysed["_analysis"]):
        lo, hi = C.indptr[i], C.indptr[i + 1]
        data, idx = C.data[lo:hi], C.indices[lo:hi]
        keep = []
        for j in np.argsort(-data) if hi > lo else []:
            if data[j] < MIN_TEXT_CONTRIBUTION or len(keep) == TOP_TEXT_FEATURES:
                break
            if not _is_filler(str(names[idx[j]])):
                keep.append(j)
        reasons.append(_reasons(a, [str(names[idx[j]]) for j in keep], [float(data[j]) for j in keep]))
    return pd.DataFrame(
        {
            "score": np.round(scores, 4),
            "flagged": scores >= threshold,
            "band": [band_for(s, threshold) for s in scores],
            "reasons": reasons,
        },
        index=ads.index,
    )


def mark_evidence(text: str, reasons: list[dict], left: str = "[[", right: str = "]]") -> str:
    """The original text with every evidence span wrapped in markers."""
    spans = sorted({(r["start"], r["end"]) for r in reasons if r.get("start", -1) >= 0 and r["end"] > r["start"]})
    out, last = [], 0
    for a, b in spans:
        if a < last:  # overlapping spans: extend the open mark instead of nesting
            continue
        out.append(text[last:a] + left + text[a:b] + right)
        last = b
    out.append(text[last:])
    return "".join(out)
