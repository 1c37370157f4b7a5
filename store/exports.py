"""Exports of the review queue for analysts: CSV, XLSX (store.workbook) and JSON Lines.

Scraped text is hostile input: a title like ``=HYPERLINK(...)`` must never become a
live formula in Excel. CSV text cells go through core.spreadsheet.neutralise; XLSX
cells are always written as strings. CSV files are UTF-8 with a byte-order mark, so
Excel shows Korean as Korean. Files are written to a temporary name beside the target
and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path
from typing import Any, Callable, Sequence

from core.files import atomic_write
from core.spreadsheet import neutralise
from store.analysis import read_analysis
from store.errors import StoreError
from store.exportrows import COLUMNS, FORMATS, contacts_text, flat_row, row_reasons_text
from store.listing import QueueRow
from store.workbook import build_workbook

__all__ = ["COLUMNS", "FORMATS", "contacts_text", "flat_row", "row_reasons_text", "write_export", "write_export_to"]

log = logging.getLogger(__name__)

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
    # Every offset (reasons, pay, destination) counts in scored_text: the title, company,
    # location, salary and description the model read, one per line. Null when the ad
    # changed after it was scored (or was scored before analyses were kept): then the
    # offsets do not hold in the ad as it is now, and analysis_current says so.
    analysis = read_analysis(row.__dict__, row.analysis)
    flat.update(
        scored_text=analysis.text if analysis.current else None,
        analysis_current=analysis.current,
        pay=analysis.pay,
        destination=analysis.destination,
        contacts_mentioned=list(analysis.mentioned),
        # The known lures most like the ad when it was scored (kind seed: file, row id and
        # provenance; kind confirmed: the ad id decided scam), most similar first.
        neighbours=list(analysis.neighbours),
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
        current_note_by=row.note_by,
        current_note_at=row.note_at.isoformat() if row.note_at else None,
    )
    return flat


def _write_jsonl(fh: io.TextIOBase, rows: Sequence[QueueRow]) -> None:
    for row in rows:
        fh.write(json.dumps(_jsonable(row), ensure_ascii=False) + "\n")


def write_export(rows: Sequence[QueueRow], path: Path, fmt: str, title: str = "lurewatch: flagged ads") -> Path:
    """Write ``rows`` to ``path`` in ``fmt`` (csv, xlsx, jsonl), atomically; the path.

    ``title`` heads every printed page of the XLSX (with the run date, say).
    """
    if fmt == "csv":
        _atomic_write(path, lambda fh: _write_csv(fh, rows), binary=False)
    elif fmt == "jsonl":

        def jsonl(fh: Any) -> None:
            text = io.StringIO()
            _write_jsonl(text, rows)
            fh.write(text.getvalue().encode("utf-8"))

        _atomic_write(path, jsonl, binary=True)
    elif fmt == "xlsx":
        wb = build_workbook(rows, title)
        _atomic_write(path, wb.save, binary=True)
    else:
        raise StoreError(f"unknown export format {fmt!r} (expected {', '.join(FORMATS)})")
    log.info("exported %d item(s) to %s", len(rows), path)
    return path


def write_export_to(stream: Any, rows: Sequence[QueueRow], fmt: str, title: str = "lurewatch: flagged ads") -> None:
    """Write ``rows`` in ``fmt`` to a binary ``stream`` (``--out -``: standard output).

    CSV goes without the byte-order mark a file for Excel gets: a pipe feeds other programs.
    """
    if fmt == "csv":
        text = io.StringIO(newline="")
        _write_csv(text, rows)
        stream.write(text.getvalue().encode("utf-8"))
    elif fmt == "jsonl":
        text = io.StringIO()
        _write_jsonl(text, rows)
        stream.write(text.getvalue().encode("utf-8"))
    elif fmt == "xlsx":
        buffer = io.BytesIO()
        build_workbook(rows, title).save(buffer)
        stream.write(buffer.getvalue())
    else:
        raise StoreError(f"unknown export format {fmt!r} (expected {', '.join(FORMATS)})")
    stream.flush()
