"""The analyst's spreadsheet (XLSX): readable on screen and on paper.

The export's columns plus the ad's description, each column as wide as its content
needs (within bounds), every cell wrapped at the top, and every row as tall as its
longest wrapped cell, so multi-line reasons never overlap the next row in LibreOffice
or on paper. Printing is for people: the eight columns a reader needs on paper
(PRINTED_COLUMNS: band, score, title, country, reasons, description, contacts,
decision) come first and are the print area, landscape A4 fitted to the page width
(text at about 9 points), the header row repeated on every page, and a title with the
run date above each page; the other columns (note, review_id, ...) follow them on the
sheet, outside the print area. The import finds columns by their header, not their
place. Cells are always text: a scraped ``=HYPERLINK(...)`` stays a string.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties

from core.spreadsheet import display_width, wrapped_lines
from store.exportrows import COLUMNS, flat_row
from store.listing import QueueRow

SHEET = "flagged"
# What a printed page holds, left to right: at most 8 columns, so the text stays at least
# 8 points on a landscape A4 page. They come first on the sheet and are its print area.
PRINTED_COLUMNS = ("band", "score", "title", "country", "reasons", "description", "contacts", "decision")
# The rest follow, on screen only: the note beside the decision, then the review id the
# import needs, then the other export columns.
XLSX_COLUMNS = (
    *PRINTED_COLUMNS,
    "note",
    "review_id",
    *(c for c in COLUMNS if c not in PRINTED_COLUMNS and c not in ("note", "review_id")),
)
CELL_LIMIT = 32_767  # characters an XLSX cell holds (Excel's limit)
TRIM_MARK = "\n[… trimmed: {n:,} characters in all; the full text is in the JSON Lines export]"
# (narrowest, widest) in character cells; text columns wrap at the widest.
# The printed columns' widest add up to 144 characters: fitted to a landscape A4 page with
# quarter-inch margins that is a scale of about 0.78 (measured in LibreOffice, whose
# fallback font is wider than Calibri), so 11-point text prints at 8.5 points or more.
WIDTH_BOUNDS = {
    "review_id": (9, 9),
    "score": (7, 7),
    "band": (8, 9),
    "reasons": (20, 30),
    "title": (14, 20),
    "description": (36, 42),
    "company": (10, 20),
    "location": (10, 18),
    "country": (8, 8),
    "salary": (8, 16),
    "contacts": (12, 18),
    "url": (12, 30),
    "source": (8, 16),
    "first_seen": (11, 11),
    "campaign": (9, 13),
    "status": (9, 11),
    "decision": (10, 10),
    "note": (16, 30),
}
LINE_POINTS = 15.0  # one line of 11-point Calibri
MAX_ROW_POINTS = 409.0  # the tallest row Excel and LibreOffice allow
PADDING = 1.5  # characters: cell margins and the filter button


def description_cell(text: str) -> str:
    """The description as a cell holds it: trimmed to the cell limit, saying so when trimmed."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text or "")
    if len(text) <= CELL_LIMIT:
        return text
    mark = TRIM_MARK.format(n=len(text))
    return text[: CELL_LIMIT - len(mark)] + mark


def _values(row: QueueRow) -> dict[str, Any]:
    flat = flat_row(row)
    flat["description"] = description_cell(row.description)
    return flat


def column_widths(table: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Each column's width: its longest line (header included), within WIDTH_BOUNDS."""
    widths = {}
    for name in XLSX_COLUMNS:
        low, high = WIDTH_BOUNDS[name]
        longest = max(
            [display_width(name)]
            + [display_width(line) for values in table for line in str(values[name] or "").split("\n")[:50]]
        )
        widths[name] = float(min(max(longest + PADDING, low), high))
    return widths


def row_height(values: dict[str, Any], widths: dict[str, float]) -> float:
    """Points for a row: its tallest cell's wrapped line count, capped at the maximum row height."""
    lines = max(wrapped_lines(str(values[name] or ""), int(widths[name] - PADDING)) for name in XLSX_COLUMNS)
    return min(MAX_ROW_POINTS, lines * LINE_POINTS + 2)


def build_workbook(rows: Sequence[QueueRow], title: str = "lurewatch: flagged ads") -> Workbook:
    """The analyst's spreadsheet: frozen header, filters, sizes, links, score colours, print layout."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(list(XLSX_COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    table = [_values(row) for row in rows]
    widths = column_widths(table)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, values in enumerate(table, start=2):
        for c, name in enumerate(XLSX_COLUMNS, start=1):
            value = values[name]
            cell = ws.cell(row=r, column=c)
            if isinstance(value, str):
                # Control characters from scraped pages are not allowed in XLSX.
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                # openpyxl treats any string starting with "=" as a formula; force text.
                cell.data_type = "s"
            else:
                cell.value = value
            cell.alignment = wrap
        url = values["url"]
        if url and _safe_link(url):
            link = ws.cell(row=r, column=XLSX_COLUMNS.index("url") + 1)
            link.hyperlink = url
            link.font = Font(color="0563C1", underline="single")
        ws.row_dimensions[r].height = row_height(values, widths)
    for c, name in enumerate(XLSX_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = widths[name]
    ws.freeze_panes = "A2"
    last = max(len(rows) + 1, 2)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(XLSX_COLUMNS))}{last}"
    _decision_choices(ws, last)
    _score_colours(ws, last)
    _print_layout(ws, title, last)
    return wb


def _safe_link(url: str) -> bool:
    # Only web links become clickable; javascript:, file: and the like stay text.
    return url.lower().startswith(("https://", "http://")) and len(url) <= 2000


def _decision_choices(ws: Any, last: int) -> None:
    # A drop-down on the decision column: fewer typos for the import to refuse.
    col = get_column_letter(XLSX_COLUMNS.index("decision") + 1)
    choices = DataValidation(
        type="list", formula1='"scam,legit,needs_info,skipped"', allow_blank=True, showErrorMessage=False
    )
    choices.add(f"{col}2:{col}{max(last, 1000)}")
    ws.add_data_validation(choices)


def _score_colours(ws: Any, last: int) -> None:
    col = get_column_letter(XLSX_COLUMNS.index("score") + 1)
    ws.conditional_formatting.add(
        f"{col}2:{col}{last}",
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


def _print_layout(ws: Any, title: str, last: int) -> None:
    """The printed columns on landscape A4, fitted to the page width; header row on every
    page, title and page numbers. The other columns are outside the print area."""
    ws.print_area = f"A1:{get_column_letter(len(PRINTED_COLUMNS))}{last}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = True
    ws.page_margins.left = ws.page_margins.right = 0.25
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    # "&" starts a code in page headers; a literal one is written "&&".
    ws.oddHeader.center.text = title.replace("&", "&&")
    ws.oddHeader.center.size = 12
    ws.oddHeader.center.font = "Calibri,Bold"
    ws.oddFooter.right.text = "page &P of &N"
