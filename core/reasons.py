"""Reasons as an analyst reads them: ``safety denial: “감금 절대 없음”``.

A reason is a dict with ``signal``, ``weight`` and ``evidence`` (and the plain-words
``label`` the classifier attaches); the classifier writes them, the store keeps them
as JSON, and CSV exports, files of scored ads and the terminal show them as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def reason_text(reason: Mapping[str, Any]) -> str:
    """One reason on one line; a negative weight is a sign in the ad's favour and says so."""
    name = str(reason.get("label") or reason.get("signal") or "").strip()
    evidence = " ".join(str(reason.get("evidence") or "").split())
    line = f"{name}: “{evidence}”" if evidence else name
    try:
        favour = float(reason.get("weight") or 0) < 0
    except (TypeError, ValueError):
        favour = False
    return f"in its favour, {line}" if favour else line


def reasons_text(reasons: Iterable[Any]) -> str:
    """Reasons as readable text, one per line (what a CSV cell holds)."""
    return "\n".join(reason_text(r) for r in reasons if isinstance(r, Mapping))
