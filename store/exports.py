"""Exports of the review queue for analysts: CSV, XLSX and JSON Lines.

Scraped text is hostile input: a title like ``=HYPERLINK(...)`` must never
become a live formula in Excel. CSV cells starting with = + - @ tab or CR get a
leading apostrophe; XLSX cells are always written as strings. Files are written
to a temporary name beside the target and renamed, so a reader never sees half
a file.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path
from typing import Any, Callable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.files import atomic_write
from core.reasons import reason_text
from store.errors import StoreError
from store.listing import QueueRow

log = logging.getLogger(__name__)

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
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
WIDTHS = {
    "review_id": 10,
    "score": 8,
    "band": 8,
    "reasons": 60,
    "title": 40,
    "company": 24,
    "location": 18,
    "country": 8,
    "salary": 16,
    "contacts": 30,
    "url": 40,
    "source": 16,
    "first_seen": 12,
    "campaign": 14,
    "status": 11,
    "decision": 12,
    "note": 40,
}


def row_reasons_text(row: QueueRow) -> str:
    """All reasons of a row, one per line; a scam campaign is a reason too."""
    campaign = {"label": "campaign", "evidence": f"campaign {row.campaign_id} already decided scam"}
    reasons = [campaign, *row.reasons] if row.campaign_scam else row.reasons
    return "\n".join(line for line in (reason_text(r) for r in reasons if isinstance(r, dict)) if line)


def contacts_text(contacts: dict[str, Any]) -> str:
    """``telegram: @a, @b`` lines, one per kind of contact."""
    lines = []
    for kind, values in sorted(contacts.items()):
        values = values if isinstance(values, list) else [values]
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
        "contacts": contacts_text(row.contacts),
        "url": row.url,
        "source": row.source,
        "first_seen": row.first_seen.date().isoformat(),
        "campaign": campaign_text(row),
        "status": row.status,
        "decision": "",
        "note": "",
    }


def neutralise(value: str) -> str:
    """Make a text cell inert in spreadsheets (OWASP's CSV injection advice)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


# ------------------------------------------------------------------ writers


def _atomic_write(path: Path, write: Callable[[Any], None], binary: bool) -> None:
    # utf-8-sig writes the BOM Excel needs to read Korean CSV as UTF-8.
    atomic_write(path, write, binary=binary, encoding="utf-8-sig", newline="")


def _write_csv(fh: io.TextIOBase, rows: Sequence[QueueRow]) -> None:
    # utf-8-sig (from _atomic_write) writes the BOM Excel needs to read Korean as UTF-8.
    writer = csv.writer(fh)
    writer.writerow(COLUMNS)
    for row in rows:
        flat = flat_row(row)
        writer.writerow(
            [neutralise(v) if isinstance(v, str) else ("" if v is None else v) for v in (flat[c] for c in COLUMNS)]
        )


def _jsonable(row: QueueRow) -> dict[str, Any]:
    flat = flat_row(row)
    flat.update(
        reasons=row.reasons, contacts=row.contacts, campaign=row.campaign_id, first_seen=row.first_seen.isoformat()
    )
    flat.update(
        ad_id=row.ad_id,
        description=row.description,
        model_version=row.model_version,
        priority=row.priority,
        campaign_size=row.campaign_size,
        campaign_scam=row.campaign_scam,
        assignee=row.assignee,
        decided_by=row.decided_by,
        decided_at=row.decided_at.isoformat() if row.decided_at else None,
        current_note=row.note,
    )
    return flat


def _write_jsonl(fh: io.TextIOBase, rows: Sequence[QueueRow]) -> None:
    for row in rows:
        fh.write(json.dumps(_jsonable(row), ensure_ascii=False) + "\n")


def _safe_link(url: str) -> bool:
    # Only web links become clickable; javascript:, file: and the like stay text.
    return url.lower().startswith(("https://", "http://")) and len(url) <= 2000


def build_workbook(rows: Sequence[QueueRow]) -> Workbook:
    """The analyst's spreadsheet: frozen header, filters, widths, links, score colours."""
    wb = Workbook()
    ws = wb.active
    ws.title = "flagged"
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for r, row in enumerate(rows, start=2):
        flat = flat_row(row)
        for c, name in enumerate(COLUMNS, start=1):
            value = flat[name]
            cell = ws.cell(row=r, column=c)
            if isinstance(value, str):
                # Control characters from scraped pages are not allowed in XLSX.
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                # openpyxl treats any string starting with "=" as a formula; force text.
                cell.data_type = "s"
            else:
                cell.value = value
            cell.alignment = wrap if name in ("reasons", "contacts", "title", "note") else top
        url = flat["url"]
        if url and _safe_link(url):
            link = ws.cell(row=r, column=COLUMNS.index("url") + 1)
            link.hyperlink = url
            link.font = Font(color="0563C1", underline="single")
    for c, name in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = WIDTHS[name]
    ws.freeze_panes = "A2"
    last = max(len(rows) + 1, 2)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last}"
    # A drop-down on the decision column: fewer typos for the import to refuse.
    decision_col = get_column_letter(COLUMNS.index("decision") + 1)
    choices = DataValidation(
        type="list", formula1='"scam,legit,needs_info,skipped"', allow_blank=True, showErrorMessage=False
    )
    choices.add(f"{decision_col}2:{decision_col}{max(last, 1000)}")
    ws.add_data_validation(choices)
    score_col = get_column_letter(COLUMNS.index("score") + 1)
    ws.conditional_formatting.add(
        f"{score_col}2:{score_col}{last}",
        ColorScaleRule(
            start_type="num",
            start_value=0,
            start_color="FFFFFF",
            mid_type="num",
            mid_value=0.5,
            mid_color="FFEB84",
            end_type="num",
            end_value=1,
            end_color="F8696B",
        ),
    )
    return wb


def write_export(rows: Sequence[QueueRow], path: Path, fmt: str) -> Path:
    """Write ``rows`` to ``path`` in ``fmt`` (csv, xlsx, jsonl), atomically; the path."""
    if fmt == "csv":
        _atomic_write(path, lambda fh: _write_csv(fh, rows), binary=False)
    elif fmt == "jsonl":

        def jsonl(fh: Any) -> None:
            text = io.StringIO()
            _write_jsonl(text, rows)
            fh.write(text.getvalue().encode("utf-8"))

        _atomic_write(path, jsonl, binary=True)
    elif fmt == "xlsx":
        wb = build_workbook(rows)
        _atomic_write(path, wb.save, binary=True)
    else:
        raise StoreError(f"unknown export format {fmt!r} (expected {', '.join(FORMATS)})")
    log.info("exported %d item(s) to %s", len(rows), path)
    return path
