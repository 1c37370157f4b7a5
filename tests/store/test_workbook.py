"""The XLSX export on screen and on paper (issues 14 and 24): description, sizes, print layout.

The print test converts the workbook to PDF with headless LibreOffice, renders the pages
to PNG in tests/artifacts/ (git-ignored: look at them), and checks what a reader of the
printout would: landscape pages, the eight printed columns on every page (fitted to the
width) and no other, the header row and the title repeated, no text cut off by a short
row, and text no smaller than 8 points, measured against 8-point text LibreOffice prints
in the same run.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from store.exports import write_export
from store.listing import list_items
from store.workbook import CELL_LIMIT, LINE_POINTS, PRINTED_COLUMNS, XLSX_COLUMNS, description_cell
from tests.conftest import require_program
from tests.store.queue_fixtures import make_ad, score

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "xlsx-print"
REASONS = [
    {"signal": "safety denial", "weight": 0.41, "evidence": "감금 절대 없음"},
    {"signal": "messenger only", "weight": 0.3, "evidence": "telegram @cambo_hr"},
    {"signal": "pay far above the market", "weight": 0.2, "evidence": "월 1000만원"},
]


def _description(n: int) -> str:
    body = " ".join(
        f"Line {k} of ad {n}: flights, housing and a visa are paid, no experience needed." for k in range(n % 5 + 3)
    )
    return f"{body}\n캄보디아 고수익 알바, 감금 절대 없음.\nEND{n}X"


@pytest.fixture
def rows(factory):
    with factory.begin() as s:
        for n in range(1, 41):
            ad = make_ad(s, n, title=f"Customer service in Sihanoukville {n}", description=_description(n))
            score(
                s, ad, 0.5 + n / 100, reasons=REASONS + [{"signal": "marker", "weight": 0.1, "evidence": f"REASON{n}X"}]
            )
    with factory() as s:
        return list_items(s)


def test_description_is_trimmed_to_the_cell_limit_and_says_so():
    assert description_cell("short") == "short"
    long = "가" * 40_000
    cell = description_cell(long)
    assert len(cell) == CELL_LIMIT and cell.endswith("characters in all; the full text is in the JSON Lines export]")
    assert "40,000 characters" in cell


def test_description_column_sizes_and_print_setup(rows, tmp_path):
    path = write_export(rows, tmp_path / "f.xlsx", "xlsx", title="lurewatch flagged ads, run 7 of 2026-11-25 02:15 UTC")
    ws = load_workbook(path)["flagged"]
    col = {name: ws.cell(row=1, column=i + 1).column_letter for i, name in enumerate(XLSX_COLUMNS)}
    assert ws[f"{col['description']}2"].value == rows[0].description
    assert ws[f"{col['description']}2"].alignment.wrap_text
    widths = {name: ws.column_dimensions[letter].width for name, letter in col.items()}
    assert widths["description"] >= 36 and widths["description"] > 3 * widths["score"]
    # Paper gets the eight columns a reader needs, first on the sheet; the rest stay on screen.
    assert XLSX_COLUMNS[:8] == PRINTED_COLUMNS and len(PRINTED_COLUMNS) == 8
    assert ws.print_area == f"'flagged'!$A$1:$H${len(rows) + 1}"
    assert len(set(widths.values())) > 5  # one width per column, not one for all
    # A row is as tall as its tallest wrapped cell: 4 reasons at least 4 lines, longer ads taller.
    heights = [ws.row_dimensions[r].height for r in range(2, len(rows) + 2)]
    assert min(heights) >= 4 * LINE_POINTS and max(heights) > min(heights)
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$1"
    assert ws.oddHeader.center.text == "lurewatch flagged ads, run 7 of 2026-11-25 02:15 UTC"


def _tool(name: str) -> str:
    package = "libreoffice-calc-nogui" if name == "soffice" else "poppler-utils"
    return require_program(name, package, "LUREWATCH_REQUIRE_LIBREOFFICE")


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def _reference(path: Path) -> Path:
    """A sheet with one cell of 8-point text, printed at 100%: what 8 points measure here."""
    wb = Workbook()
    wb.active["A1"] = "Reference eight"
    wb.active["A1"].font = Font(name="Calibri", size=8)
    wb.save(path)
    return path


def _word_heights(pdftotext: str, pdf: Path, page: int) -> dict[str, float]:
    """Each word of a page and the height of its box (points), from pdftotext's bounding boxes."""
    xml = subprocess.run(
        [pdftotext, "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return {
        word: float(y1) - float(y0)
        for y0, y1, word in re.findall(
            r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', xml
        )
    }


@pytest.mark.slow
def test_printout_is_landscape_fitted_with_repeated_header_and_nothing_cut(rows, tmp_path, db_url):
    soffice, pdftoppm, pdftotext, pdfinfo = (_tool(t) for t in ("soffice", "pdftoppm", "pdftotext", "pdfinfo"))
    xlsx = write_export(rows, tmp_path / "flagged.xlsx", "xlsx", title="lurewatch flagged ads, run 7 of 2026-11-25")
    reference = _reference(tmp_path / "reference.xlsx")
    profile = tmp_path / "lo-profile"  # a private profile: parallel runs do not share LibreOffice's lock
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(xlsx), str(reference)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    pdf = tmp_path / "flagged.pdf"
    info = subprocess.run([pdfinfo, str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert width > height, f"not landscape: {width} x {height}"
    assert pages >= 2, "40 multi-line rows should not fit one page"
    texts = [
        subprocess.run([pdftotext, "-layout", "-f", str(p), "-l", str(p), str(pdf), "-"], check=True,
                       capture_output=True, text=True).stdout
        for p in range(1, pages + 1)
    ]  # fmt: skip
    for number, text in enumerate(texts, start=1):
        # Fitted to the width: the eight printed columns on every page, and no other; the
        # header row and the title repeated on every page.
        assert all(name in text for name in PRINTED_COLUMNS), f"page {number}: header or columns"
        assert "review_id" not in text and "first_seen" not in text, f"page {number}: an on-screen column printed"
        assert "lurewatch flagged ads, run 7 of 2026-11-25" in text, f"page {number}: no title"
    everything = "\n".join(texts)
    # Nothing cut: the last line of every description and the last reason of every row printed.
    missing = [n for n in range(1, 41) if f"END{n}X" not in everything or f"REASON{n}X" not in everything]
    assert not missing, f"text cut off in rows {missing}"
    # Text height: every word of the rows is at least as tall as 8-point text in the same font
    # (the whole export on one A4 width printed body text at 4.2 points).
    eight = _word_heights(pdftotext, tmp_path / "reference.pdf", 1)["Reference"]
    for page in range(1, pages + 1):
        heights = _word_heights(pdftotext, pdf, page)
        body = {w: h for w, h in heights.items() if re.fullmatch(r"(?:END|REASON)\d+X", w) or w == "Sihanoukville"}
        assert body, f"page {page}: no row text found"
        small = {w: round(h / eight * 8, 1) for w, h in body.items() if h < eight - 0.01}
        assert not small, f"page {page}: text under 8 points: {small}"
    # One folder per backend: the two runs of this test may be at work at the same time.
    folder = ARTIFACTS / db_url.split(":")[0].split("+")[0]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(pdf, folder / "flagged.pdf")
    subprocess.run([pdftoppm, "-png", "-r", "60", str(pdf), str(folder / "page")], check=True, timeout=120)
    images = sorted(folder.glob("page-*.png"))
    assert len(images) == pages
    assert all(w > h for w, h in map(_png_size, images))
