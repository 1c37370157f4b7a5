"""Importing the decisions analysts typed into an export (CSV or XLSX).

Every row is validated before anything is written, and the caller's
transaction applies all of them or none: a half-imported spreadsheet would
leave analysts unsure what the database holds. Errors name the file and the
line as a spreadsheet shows it (the header is line 1).
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.errors import ImportValidationError, ReviewError, StoreError
from store.queue import apply_decision, check_decision
from store.schema import ReviewItem

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("review_id", "decision")


@dataclass(frozen=True)
class DecisionRow:
    """One data row of a decisions file."""

    line: int
    review_id: Any
    decision: str
    note: str


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    applied: int
    unchanged: int
    blank: int


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _rows_from_table(rows: Iterator[tuple[Any, ...]], name: str) -> Iterator[DecisionRow]:
    try:
        header = next(rows)
    except StopIteration:
        raise ImportValidationError([f"{name}: the file is empty"]) from None
    columns = {_text(h).lower(): i for i, h in enumerate(header) if _text(h)}
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportValidationError(
            [f"{name} line 1: missing column(s) {', '.join(missing)} (is this a lurewatch export?)"]
        )

    def cell(values: tuple[Any, ...], column: str) -> Any:
        i = columns.get(column)
        return values[i] if i is not None and i < len(values) else None

    for line, values in enumerate(rows, start=2):
        if all(_text(v) == "" for v in values):
            continue
        yield DecisionRow(line, cell(values, "review_id"), _text(cell(values, "decision")), _text(cell(values, "note")))


def read_decisions(path: Path) -> list[DecisionRow]:
    """The data rows of a CSV (UTF-8, with or without BOM) or XLSX decisions file."""
    name = path.name
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            wb = load_workbook(path, read_only=True, data_only=True)
            try:
                ws = wb["flagged"] if "flagged" in wb.sheetnames else wb.worksheets[0]
                return list(_rows_from_table(ws.iter_rows(values_only=True), name))
            finally:
                wb.close()
        if suffix == ".csv":
            text = io.StringIO(_csv_text(path), newline="")  # quoted cells hold newlines
            return list(_rows_from_table(iter(csv.reader(text)), name))
    except FileNotFoundError:
        raise StoreError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise StoreError(f"{path}: cannot read decisions: {exc}") from None
    except ImportValidationError:
        raise
    except Exception as exc:  # openpyxl raises assorted errors on damaged files
        raise StoreError(f"{path}: not a readable XLSX file: {type(exc).__name__}: {exc}") from None
    raise StoreError(f"{path}: decisions must be a .csv or .xlsx file")


def _csv_text(path: Path) -> str:
    """The CSV's text: UTF-8 (with or without BOM), else CP949, which Korean Excel
    writes when an analyst picks plain "CSV" instead of "CSV UTF-8"."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp949")


def _review_id(raw: Any) -> int | None:
    text = _text(raw).lstrip("'")
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() and number > 0 else None


def import_decisions(session: Session, path: Path, analyst: str, now: datetime) -> ImportResult:
    """Validate every row of ``path`` and apply the decisions as ``analyst``.

    Raises ImportValidationError listing every bad line (one line each) and
    writes nothing in that case; a blank decision leaves the item as it is.
    """
    rows = read_decisions(path)
    name = path.name
    ids = {i for i in (_review_id(r.review_id) for r in rows if r.decision) if i is not None}
    items = {i.id: i for i in session.scalars(select(ReviewItem).where(ReviewItem.id.in_(sorted(ids))))}
    errors: list[str] = []
    planned: list[tuple[ReviewItem, str, str]] = []
    seen: dict[int, tuple[int, str]] = {}
    unchanged = blank = 0
    for row in rows:
        if not row.decision:
            blank += 1
            continue
        item_id = _review_id(row.review_id)
        if item_id is None:
            errors.append(f"{name} line {row.line}: review_id {_text(row.review_id)!r} is not a number")
            continue
        item = items.get(item_id)
        if item is None:
            errors.append(f"{name} line {row.line}: unknown review id {item_id}")
            continue
        try:
            decision = check_decision(session, item, row.decision, analyst, row.note, now)
        except ReviewError as exc:
            errors.append(f"{name} line {row.line}: {exc}")
            continue
        previous = seen.get(item_id)
        wanted = decision or item.status
        if previous is not None and previous[1] != wanted:
            errors.append(
                f"{name} line {row.line}: review id {item_id} is decided "
                f"{previous[1]} on line {previous[0]} and {wanted} here"
            )
            continue
        seen[item_id] = (row.line, wanted)
        if decision is None or previous is not None:
            unchanged += 1
        else:
            planned.append((item, decision, row.note))
    if errors:
        raise ImportValidationError(errors)
    for item, decision, note in planned:
        apply_decision(session, item, decision, analyst, now, note or None, via=f"imported from {name}")
    session.flush()
    log.info("imported %s as %s: %d applied, %d unchanged, %d blank", name, analyst, len(planned), unchanged, blank)
    return ImportResult(applied=len(planned), unchanged=unchanged, blank=blank)
