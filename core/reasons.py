"""Reasons as an analyst reads them: ``safety denial: “감금 절대 없음”``.

A reason is a dict with ``signal``, ``weight`` and ``evidence`` (and the plain-words
``label`` the classifier attaches); the classifier writes them, the store keeps them
as JSON, and CSV exports, files of scored ads and the terminal show them as text.
A signal that fired on several words is still one reason: ``evidence`` (with ``start``
and ``end``) is the first word, ``more`` a list of the others, each a dict with its own
``evidence``, ``start`` and ``end``. Reasons stored before ``more`` existed have none.
``detail`` (optional) says what the words mean: the pay reason's monthly USD and ratio.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def evidence_parts(reason: Mapping[str, Any]) -> list[tuple[str, int, int]]:
    """Every (evidence, start, end) of a reason: its first word, then those in ``more``.
    Offsets are -1 where unknown; parts with neither text nor offsets are left out."""
    out = []
    for part in [reason, *(reason.get("more") or [])]:
        if not isinstance(part, Mapping):
            continue
        text = str(part.get("evidence") or "")
        start, end = part.get("start"), part.get("end")
        start, end = (start, end) if isinstance(start, int) and isinstance(end, int) else (-1, -1)
        if text.strip() or 0 <= start < end:
            out.append((text, start, end))
    return out


def reason_text(reason: Mapping[str, Any]) -> str:
    """One reason on one line, every word it fired on quoted; a negative weight is a sign
    in the ad's favour and says so."""
    name = str(reason.get("label") or reason.get("signal") or "").strip()
    words = [w for text, _, _ in evidence_parts(reason) if (w := " ".join(text.split()))]
    evidence = ", ".join(f"“{w}”" for w in words)
    line = f"{name}: {evidence}" if evidence else name
    detail = " ".join(str(reason.get("detail") or "").split())
    if detail:  # what the words mean (pay: its monthly USD and how far above the benchmark)
        line += f" ({detail})"
    try:
        favour = float(reason.get("weight") or 0) < 0
    except (TypeError, ValueError):
        favour = False
    return f"in its favour, {line}" if favour else line


def reasons_text(reasons: Iterable[Any]) -> str:
    """Reasons as readable text, one per line (what a CSV cell holds)."""
    return "\n".join(reason_text(r) for r in reasons if isinstance(r, Mapping))


def neighbour_text(n: Mapping[str, Any]) -> str:
    """A known lure like the ad, on one line: how similar, where it comes from, its words.

    ``kind`` seed: a lure of the model's seed data (file, row id, provenance); confirmed:
    an ad an analyst decided scam (ad id, title, decision date). classifier.neighbours
    writes them; the score keeps them in its analysis.
    """
    sim = n.get("similarity")
    head = f"{float(sim):.2f}" if isinstance(sim, (int, float)) else "?"
    ref, source, detail = (" ".join(str(n.get(k) or "").split()) for k in ("ref", "source", "detail"))
    title = " ".join(str(n.get("title") or "").split())
    if n.get("kind") == "confirmed":
        where = f"confirmed scam: ad {ref}" + (f" “{title}”" if title else "") + (f", {detail}" if detail else "")
    else:
        where = f"seed lure {source} row {ref}" + (f" ({detail})" if detail else "")
    text = " ".join(str(n.get("text") or "").split())
    return f"{head} {where}: “{text}”"
