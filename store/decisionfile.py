"""Reading a decisions file (a filled-in export, CSV or XLSX) into rows, strictly.

Errors name the file and the line as a spreadsheet shows it (the header is line 1), and
every way a file can be broken is one of them: bytes in more than one encoding, an
unterminated quote, a cell over the size limit, a NUL byte, a workbook in which no sheet
or several sheets carry the export's header. An XLSX is read by its header, never by
sheet order: analysts rename sheets and put scratch sheets first.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from core.textfile import CsvRecordError, TextDecodeError, csv_records, decode_bytes
from store.errors import ImportValidationError, StoreError
from store.exportrows import COLUMNS

REQUIRED_COLUMNS = ("review_id", "decision")
MAX_FILE_BYTES = 100_000_000  # a queue export is a few MB; more is not a decisions file
MAX_CELL_CHARS = 100_000  # an XLSX cell holds at most 32,767; a CSV cell this long is damage
# An XLSX is a zip: its 100 MB cap is on compressed bytes, and a shared-strings table that
# unpacks 1,000-fold took 1.7 GB of memory for a 1.4 MB file (issue 23, probe 7). The sizes
# the zip declares bound what zipfile will unpack (it stops at the declared size), so they
# are checked before openpyxl reads a byte; cells and rows are checked while rows stream.
MAX_XLSX_UNPACKED_BYTES = 200_000_000
MAX_ROWS = 200_000  # decisions on a queue export: thousands of rows, not a million
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # keeps tab, newline, CR
_ID = re.compile(r"^'?\s*(\d{1,10})(?:\.0*)?\s*$")
MAX_ID = 2**31 - 1  # the review_items.id column is a 32-bit integer on PostgreSQL


@dataclass(frozen=True)
class DecisionRow:
    """One data row of a decisions file."""

    line: int
    review_id: Any
    decision: str
    note: str


@dataclass(frozen=True)
class DecisionFile:
    """The rows of a decisions file and what identifies the file."""

    name: str
    sha256: str
    rows: list[DecisionRow]
    where: str  # "sheet 'flagged'" or the encoding a CSV was read in


def text(value: Any) -> str:
    """A cell as stripped text without control characters (tab and newlines kept)."""
    return "" if value is None else _CONTROL.sub("", str(value)).strip()


def review_id(raw: Any) -> int | None:
    """A review id cell (``12``, ``12.0``, ``'12``) as an int, or None when it is not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        value = int(raw) if raw.is_integer() and abs(raw) < 1e12 else -1
    else:
        match = _ID.match(text(raw))
        value = int(match.group(1)) if match else -1
    return value if 0 < value <= MAX_ID else None


def id_problem(raw: Any) -> str:
    """Why a review id cell is not one, in a few words."""
    shown = text(raw)
    shown = shown if len(shown) <= 20 else shown[:20] + "…"
    try:
        float(shown.lstrip("'"))
    except ValueError:
        return f"review_id {shown!r} is not a number"
    return f"review_id {shown!r} is not a review id (a whole number from 1 to {MAX_ID})"


def _header_columns(header: tuple[Any, ...]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for i, h in enumerate(header):
        name = text(h).lower()
        if name and name not in columns:
            columns[name] = i
    return columns


def _rows_from_table(
    rows: Iterator[tuple[Any, ...]], name: str, lines: Iterator[int] | None = None
) -> list[DecisionRow]:
    try:
        header = next(rows)
    except StopIteration:
        raise ImportValidationError([f"{name}: the file is empty"]) from None
    columns = _header_columns(header)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportValidationError(
            [f"{name} line 1: missing column(s) {', '.join(missing)} (is this a lurewatch export?)"]
        )

    def cell(values: tuple[Any, ...], column: str) -> Any:
        i = columns.get(column)
        return values[i] if i is not None and i < len(values) else None

    out = []
    for line, values in enumerate(rows, start=2):
        if line > MAX_ROWS + 1:
            raise ImportValidationError([f"{name}: more than {MAX_ROWS:,} rows; a decisions file holds at most that"])
        if any(isinstance(v, str) and len(v) > MAX_CELL_CHARS for v in values):
            raise ImportValidationError([f"{name} line {line}: a cell is longer than {MAX_CELL_CHARS:,} characters"])
        if all(text(v) == "" for v in values):
            continue
        out.append(
            DecisionRow(line, cell(values, "review_id"), text(cell(values, "decision")), text(cell(values, "note")))
        )
    return out


def _csv_rows(content: str, name: str) -> Iterator[tuple[Any, ...]]:
    try:
        for start, row in csv_records(io.StringIO(content, newline="")):
            if any(len(v) > MAX_CELL_CHARS for v in row):
                raise ImportValidationError(
                    [f"{name} line {start}: malformed CSV: a cell is longer than {MAX_CELL_CHARS:,} characters"]
                )
            yield tuple(row)
    except CsvRecordError as exc:
        raise ImportValidationError([f"{name} {exc}"]) from None


def _read_csv(raw: bytes, name: str, encoding: str | None) -> tuple[list[DecisionRow], str]:
    try:
        content, used = decode_bytes(raw, encoding)
    except TextDecodeError as exc:
        raise ImportValidationError([f"{name} {exc}"]) from None
    # Records are numbered as a spreadsheet numbers rows: a quoted cell spanning lines is one row.
    return _rows_from_table(_csv_rows(content, name), name), f"{used.name} ({used.how})"


def _export_sheets(wb: Any) -> list[tuple[str, Any]]:
    """(name, sheet) of every sheet whose first row holds every column of the export."""
    found = []
    for ws in wb.worksheets:
        first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
        if set(COLUMNS) <= set(_header_columns(first)):
            found.append((ws.title, ws))
    return found


def _check_zip(path: Path, name: str) -> None:
    """ImportValidationError when the workbook would unpack to more than MAX_XLSX_UNPACKED_BYTES."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportValidationError(
            [
                f"{name}: the workbook unpacks to {unpacked:,} bytes, more than the {MAX_XLSX_UNPACKED_BYTES:,} "
                "a decisions file may (a zip bomb, or not an export)"
            ]
        )


def _read_xlsx(path: Path, name: str) -> tuple[list[DecisionRow], str]:
    from openpyxl import load_workbook

    _check_zip(path, name)
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = _export_sheets(wb)
        names = ", ".join(repr(ws.title) for ws in wb.worksheets)
        if not sheets:
            raise ImportValidationError(
                [
                    f"{name}: no sheet has the export's header row (review_id, score, ..., decision, note); sheets: {names}"
                ]
            )
        if len(sheets) > 1:
            both = ", ".join(repr(n) for n, _ in sheets)
            raise ImportValidationError(
                [f"{name}: several sheets have the export's header row ({both}); keep decisions in one of them"]
            )
        title, ws = sheets[0]
        return _rows_from_table(ws.iter_rows(values_only=True), name), f"sheet {title!r}"
    finally:
        wb.close()


def read_decision_file(path: Path, encoding: str | None = None) -> DecisionFile:
    """The data rows of a CSV or XLSX decisions file, with its sha256.

    ImportValidationError (one line, naming file and line) for a file that cannot be
    read as a whole; StoreError for a missing file or one of another type.
    """
    name, suffix = path.name, path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise StoreError(f"{path}: decisions must be a .csv or .xlsx file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise StoreError(f"{path}: {size:,} bytes is too large for a decisions file (at most {MAX_FILE_BYTES:,})")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise StoreError(f"{path}: file not found") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot read: {exc.strerror or exc}") from None
    digest = hashlib.sha256(raw).hexdigest()
    if suffix == ".csv":
        rows, where = _read_csv(raw, name, encoding)
        return DecisionFile(name, digest, rows, where)
    try:
        rows, where = _read_xlsx(path, name)
    except ImportValidationError:
        raise
    except Exception as exc:  # openpyxl and zipfile raise assorted errors on damaged or foreign files
        detail = " ".join(str(exc).split())[:200]
        raise ImportValidationError([f"{name}: not a readable XLSX file ({type(exc).__name__}: {detail})"]) from None
    return DecisionFile(name, digest, rows, where)
