"""Where each reason's evidence sits in an ad's text, as runs a page or a terminal can mark.

Reasons carry ``start``/``end`` offsets into the ad's model text (core.ad.model_text),
computed once when the ad was scored; this module only reads them, it never searches
the text for words. A span is used when it lies inside the text and the text there is
its evidence (spacing and case aside); anything else (an offset of -1, a contact from the
contacts field rather than the text) marks nothing. Overlapping or touching spans are one
run, numbered once with every reason that covers part of it, so a mark never splits on
the comma or space between two pieces of evidence.
"""

from __future__ import annotations

from typing import Any, Sequence

from core.reasons import evidence_parts

Run = tuple[str, tuple[int, ...]]  # text, and the numbers (1-based) of the reasons marking it


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).lower() == " ".join(b.split()).lower()


def span_ok(text: str, evidence: str, start: int, end: int) -> bool:
    """The span lies inside ``text`` and holds its evidence words."""
    return 0 <= start < end <= len(text) and _same(text[start:end], evidence)


def evidence_spans(text: str, reasons: Sequence[Any]) -> list[tuple[int, int, int]]:
    """(start, end, reason number) of every evidence span that holds in ``text``."""
    return [
        (s, e, n)
        for n, r in enumerate(reasons, start=1)
        if isinstance(r, dict)
        for evidence, s, e in evidence_parts(r)
        if span_ok(text, evidence, s, e)
    ]


def evidence_runs(text: str, reasons: Sequence[Any]) -> list[Run]:
    """``text`` cut into runs: unmarked text, and marked runs with the reasons covering them."""
    spans = sorted(evidence_spans(text, reasons))
    runs: list[Run] = []
    at = 0
    merged: list[tuple[int, int, set[int]]] = []
    for s, e, n in spans:
        if merged and s <= merged[-1][1]:  # overlapping or touching: one run
            a, b, numbers = merged[-1]
            merged[-1] = (a, max(b, e), numbers | {n})
        else:
            merged.append((s, e, {n}))
    for a, b, numbers in merged:
        if a > at:
            runs.append((text[at:a], ()))
        runs.append((text[a:b], tuple(sorted(numbers))))
        at = b
    if at < len(text):
        runs.append((text[at:], ()))
    return runs
