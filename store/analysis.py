"""What the analysis read when an ad was scored, kept with the score, and read back as it is.

The score stage computes reasons (with evidence offsets), pay, destination and contacts
once, on the ad's model text (core.ad.model_text: title, company, location, salary and
description as written, one per line), and stores them with the score: the reasons in
``scores.reasons``, the rest in ``scores.analysis`` with the sha256 of that text. Every
view, export and ``review show`` reads them from there; nothing on the read side parses
an ad again.

The text itself is not copied into every score (one per model version): it is rebuilt
byte for byte from the stored ad and checked against the sha256. When the check fails
(the ad was edited after it was scored and has not been scored since) or the score
predates stored analyses, ``StoredAnalysis.current`` is False and the views say so
instead of marking words at offsets that no longer hold; the next ``score`` run scores
such ads again (store.scores.scored_as_is).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from core.ad import model_text, text_sha256

VERSION = 1


def analysis_record(
    ad: Mapping[str, Any],
    pay: Mapping[str, Any] | None,
    destination: Mapping[str, Any] | None,
    contacts: Mapping[str, Any] | None,
    neighbours: list[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The JSON stored in ``scores.analysis`` for one ad as the classifier read it.

    ``neighbours``: the known lures most like a flagged ad (classifier.neighbours), None
    for an ad that was not flagged (the key is then left out)."""
    text = model_text(ad)
    extra = {} if neighbours is None else {"neighbours": [dict(n) for n in neighbours]}
    return {
        "version": VERSION,
        "text_sha256": text_sha256(text),
        "text_length": len(text),
        "pay": dict(pay) if pay else None,
        "destination": dict(destination) if destination else None,
        "contacts": dict(contacts) if contacts else {"listed": {}, "mentioned": []},
        **extra,
    }


@dataclass(frozen=True)
class StoredAnalysis:
    """A score's analysis as the views read it, with the text its offsets count in."""

    text: str  # the ad's model text, rebuilt from the stored ad
    stored: bool  # the score has an analysis (False: scored before lurewatch kept one)
    current: bool  # ...and it was computed on exactly ``text``: its offsets hold
    pay: dict[str, Any] | None = None
    destination: dict[str, Any] | None = None
    listed: dict[str, list[str]] = field(default_factory=dict)  # contacts of the contacts field
    mentioned: tuple[str, ...] = ()  # contact kinds named only in the text
    # The known lures most like the ad when it was scored (seed lures of the model, ads
    # decided scam by then), most similar first; empty when not flagged or scored before.
    neighbours: tuple[dict[str, Any], ...] = ()

    @property
    def why_unmarked(self) -> str:
        """Why the evidence cannot be marked in the text, or "" when it can."""
        if not self.stored:
            return "scored before lurewatch kept the evidence with the score: the next score run marks it"
        if not self.current:
            return "the ad changed after it was scored: the next score run marks the evidence again"
        return ""


def read_analysis(ad: Mapping[str, Any], analysis: Mapping[str, Any] | None) -> StoredAnalysis:
    """The stored analysis of an ad's newest score, checked against the ad as stored now."""
    text = model_text(ad)
    if not isinstance(analysis, Mapping) or "text_sha256" not in analysis:
        return StoredAnalysis(text, stored=False, current=False)
    contacts = analysis.get("contacts") if isinstance(analysis.get("contacts"), Mapping) else {}
    listed = contacts.get("listed") if isinstance(contacts.get("listed"), Mapping) else {}
    return StoredAnalysis(
        text,
        stored=True,
        current=analysis.get("text_sha256") == text_sha256(text),
        pay=_dict(analysis.get("pay")),
        destination=_dict(analysis.get("destination")),
        listed={str(k): [str(v) for v in vs] for k, vs in listed.items() if isinstance(vs, list) and vs},
        mentioned=tuple(str(k) for k in contacts.get("mentioned") or ()),
        neighbours=_neighbours(analysis.get("neighbours")),
    )


NEIGHBOUR_KEYS = ("kind", "source", "ref", "title", "detail", "text")


def _neighbours(value: Any) -> tuple[dict[str, Any], ...]:
    """Stored neighbours as plain dicts of strings and a float similarity; anything else dropped."""
    if not isinstance(value, list):
        return ()
    out = []
    for n in value:
        if isinstance(n, Mapping) and isinstance(n.get("similarity"), (int, float)):
            out.append({**{k: str(n.get(k) or "") for k in NEIGHBOUR_KEYS}, "similarity": float(n["similarity"])})
    return tuple(out)


def _dict(value: Any) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, Mapping) else None
