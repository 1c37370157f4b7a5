"""The columns of a queue export, and one queue row as those columns' values.

Shared by every export writer (store.exports for CSV and JSON Lines, store.workbook for
XLSX) and by the decisions import, which recognises an export by its header.
"""

from __future__ import annotations

from typing import Any

from core.phones import display_phone
from core.reasons import reason_text
from store.listing import QueueRow

COLUMNS = (
    "review_id",
    "score",
    "band",
    "reasons",
    "title",
    "company",
    "location",
    "country",
    "salary",
    "contacts",
    "url",
    "source",
    "first_seen",
    "campaign",
    "status",
    "decision",
    "note",
)
FORMATS = ("csv", "xlsx", "jsonl")


def row_reasons_text(row: QueueRow) -> str:
    """All reasons of a row, one per line; a scam campaign is a reason too."""
    campaign = {"label": "campaign", "evidence": f"campaign {row.campaign_id} already decided scam"}
    reasons = [campaign, *row.reasons] if row.campaign_scam else row.reasons
    return "\n".join(line for line in (reason_text(r) for r in reasons if isinstance(r, dict)) if line)


def contacts_text(contacts: dict[str, Any], country: str = "", language: str = "") -> str:
    """``telegram: @a, @b`` lines, one per kind of contact; phones in international form."""
    lines = []
    for kind, values in sorted(contacts.items()):
        values = values if isinstance(values, list) else [values]
        if kind in ("phone", "whatsapp"):
            values = [display_phone(str(v), country, language) for v in values if v]
        shown = ", ".join(str(v) for v in values if v)
        if shown:
            lines.append(f"{kind}: {shown}")
    return "\n".join(lines)


def campaign_text(row: QueueRow) -> str:
    """``3 (5 ads)``: the campaign id and its size, empty for an unlinked ad."""
    return f"{row.campaign_id} ({row.campaign_size} ads)" if row.campaign_id else ""


def flat_row(row: QueueRow) -> dict[str, Any]:
    """The export columns of one queue row, as text and numbers (decision and note empty)."""
    return {
        "review_id": row.review_id,
        "score": round(row.score, 4) if row.score is not None else None,
        "band": row.band,
        "reasons": row_reasons_text(row),
        "title": row.title,
        "company": row.company,
        "location": row.location,
        "country": row.country,
        "salary": row.salary,
        "contacts": contacts_text(row.contacts, row.country, row.language),
        "url": row.url,
        "source": row.source,
        "first_seen": row.first_seen.date().isoformat(),
        "campaign": campaign_text(row),
        "status": row.status,
        "decision": "",
        "note": "",
    }
