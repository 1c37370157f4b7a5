"""The risk bands, riskiest first: one list for the classifier, the store and every view.

The rule that picks a band lives in ``classifier.scoring.band_for`` (README, "Bands");
this module only names the bands and their order, so the database constraint, the sort
of the queue, exports and the desk's filter cannot drift apart.
"""

from __future__ import annotations

BANDS: tuple[str, ...] = ("critical", "high", "medium", "low")
_RANK = {band: rank for rank, band in enumerate(BANDS)}


def band_rank(band: str | None) -> int:
    """0 for the riskiest band; unknown or missing bands sort after every known one."""
    return _RANK.get(str(band or "").strip().lower(), len(BANDS))


def parse_bands(text: str) -> tuple[str, ...]:
    """``"critical,high"`` -> ("critical", "high"); raises ValueError naming an unknown band."""
    out: list[str] = []
    for part in text.split(","):
        band = part.strip().lower()
        if not band:
            continue
        if band not in _RANK:
            raise ValueError(f"unknown band {part.strip()!r} (expected {', '.join(BANDS)})")
        if band not in out:
            out.append(band)
    return tuple(out)
