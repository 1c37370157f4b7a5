"""Where each reason's evidence sits in an ad's text, as segments a page can mark.

Reasons carry ``start``/``end`` offsets into the text the model read (title,
company, location, salary and description, one per line: ``extract.ad_text``).
An offset pair is trusted only when the text there is the evidence; otherwise
(an older score, an edited ad) the evidence is looked for in the text, first
match, ignoring case. A reason that fired on several words (``more``) marks each
of them. Overlapping evidence of several reasons splits into segments that carry every
reason covering them.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from core.reasons import evidence_parts

Segment = tuple[str, tuple[int, ...]]  # text, and the numbers (1-based) of the reasons covering it


def _span(text: str, evidence: str, start: int, end: int) -> tuple[int, int] | None:
    if 0 <= start < end <= len(text):
        if " ".join(text[start:end].split()).lower() == " ".join(evidence.split()).lower():
            return start, end
    needle = evidence.strip()
    if not needle:
        return None
    found = re.search(re.escape(needle), text, re.IGNORECASE)
    return found.span() if found else None


def evidence_segments(text: str, reasons: Sequence[Any]) -> list[Segment]:
    """``text`` cut into segments; each says which reasons (1-based, as listed) mark it."""
    spans = [
        (s, e, n)
        for n, r in enumerate(reasons, start=1)
        if isinstance(r, dict)
        for part in evidence_parts(r)
        if (span := _span(text, *part))
        for s, e in [span]
    ]
    if not spans:
        return [(text, ())] if text else []
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    segments: list[Segment] = []
    for a, b in zip(cuts, cuts[1:]):
        covering = tuple(sorted({n for s, e, n in spans if s <= a and b <= e}))
        if segments and segments[-1][1] == covering:
            segments[-1] = (segments[-1][0] + text[a:b], covering)
        else:
            segments.append((text[a:b], covering))
    return segments
