"""Decision imports: export, edit with openpyxl, import; all or nothing with line-numbered errors."""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from store.decisions import import_decisions
from store.errors import ImportValidationError
from store.exports import COLUMNS, write_export
from store.listing import list_items
from store.queue import decide
from store.schema import ReviewEvent, ReviewItem
from store.workbook import XLSX_COLUMNS
from tests.store.queue_fixtures import later, make_ad, score

DECISION_COL = XLSX_COLUMNS.index("decision") + 1
NOTE_COL = XLSX_COLUMNS.index("note") + 1


def _queue(factory, n: int, value: float = 0.7) -> None:
    with factory.begin() as s:
        for i in range(n):
            score(s, make_ad(s, i), value)


def _export_xlsx(factory, path):
    with factory() as s:
        write_export(list_items(s), path, "xlsx")
    return path


def _statuses(factory) -> list[str]:
    with factory() as s:
        return list(s.scalars(select(ReviewItem.status).order_by(ReviewItem.id)))


def test_xlsx_round_trip_records_the_analyst(factory, tmp_path):
    _queue(factory, 4)
    path = _export_xlsx(factory, tmp_path / "flagged-2026-11-25.xlsx")
    wb = load_workbook(path)
    ws = wb.active
    ws.cell(row=2, column=DECISION_COL, value="SCAM")
    ws.cell(row=2, column=NOTE_COL, value="same handle as campaign 3")
    ws.cell(row=3, column=DECISION_COL, value="Legit")
    ws.cell(row=4, column=DECISION_COL, value=" needs_info ")
    wb.save(path)  # row 5 stays blank: left as it is
    with factory.begin() as s:
        result = import_decisions(s, path, "park", later(5))
    assert (result.applied, result.unchanged, result.blank) == (3, 0, 1)
    assert sorted(_statuses(factory)) == ["legit", "needs_info", "pending", "scam"]
    with factory() as s:
        item = s.scalars(select(ReviewItem).where(ReviewItem.status == "scam")).one()
        assert (item.decided_by, item.note) == ("park", "same handle as campaign 3")
        event = s.scalars(
            select(ReviewEvent).where(ReviewEvent.item_id == item.id, ReviewEvent.new_status == "scam")
        ).one()
        assert event.actor == "park" and "imported from flagged-2026-11-25.xlsx" in event.note
    with factory.begin() as s:  # importing the same file again changes nothing
        again = import_decisions(s, path, "park", later(6))
    assert (again.applied, again.unchanged) == (0, 3)


def test_one_bad_row_among_100_applies_nothing_and_names_the_line(factory, tmp_path):
    _queue(factory, 100)
    path = _export_xlsx(factory, tmp_path / "flagged-2026-11-25.xlsx")
    wb = load_workbook(path)
    ws = wb.active
    for r in range(2, 102):
        ws.cell(row=r, column=DECISION_COL, value="scam")
    ws.cell(row=37, column=DECISION_COL, value="scma")
    wb.save(path)
    with factory.begin() as s, pytest.raises(ImportValidationError) as err:
        import_decisions(s, path, "park", later(5))
    assert err.value.errors == [
        "flagged-2026-11-25.xlsx line 37: unknown decision 'scma' (expected scam, legit, needs_info, skipped)"
    ]
    assert set(_statuses(factory)) == {"pending"}
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(ReviewEvent).where(ReviewEvent.actor == "park")) == 0


def test_csv_import_reports_every_kind_of_bad_row(factory, tmp_path):
    _queue(factory, 3)
    with factory.begin() as s:
        score(s, make_ad(s, 50), 0.95)
        risky = s.scalar(select(ReviewItem.id).order_by(ReviewItem.priority.desc()))
        others = list(s.scalars(select(ReviewItem.id).where(ReviewItem.id != risky).order_by(ReviewItem.id)))
        decide(s, others[0], "legit", "kim", later(1))
    path = tmp_path / "decisions.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Review_ID", "Decision", "Note"])
        w.writerow([999, "scam", ""])  # line 2: unknown id
        w.writerow([others[0], "scam", ""])  # line 3: kim decided legit
        w.writerow([risky, "legit", ""])  # line 4: note required
        w.writerow(["abc", "scam", ""])  # line 5
        w.writerow([others[1], "scam", ""])  # line 6: fine
        w.writerow([others[1], "legit", "oops"])  # line 7: contradicts line 6
    with factory.begin() as s, pytest.raises(ImportValidationError) as err:
        import_decisions(s, path, "park", later(5))
    lines = err.value.errors
    assert lines[0] == "decisions.csv line 2: unknown review id 999"
    assert "line 3:" in lines[1] and "already decided legit by kim" in lines[1]
    assert "line 4:" in lines[2] and "needs a note" in lines[2]
    assert lines[3] == "decisions.csv line 5: review_id 'abc' is not a number"
    assert "line 7:" in lines[4] and "line 6" in lines[4]
    assert len(lines) == 5
    assert _statuses(factory).count("legit") == 1


def test_a_file_without_the_columns_is_refused(factory, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("id,verdict\n1,scam\n", encoding="utf-8")
    with factory.begin() as s, pytest.raises(ImportValidationError, match="missing column"):
        import_decisions(s, path, "park", later(1))


def test_csv_export_round_trip_and_korean_excel_cp949(factory, tmp_path):
    _queue(factory, 2)
    path = tmp_path / "flagged.csv"
    with factory() as s:
        write_export(list_items(s), path, "csv")  # reasons span lines inside quoted cells
    with path.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    table[1][COLUMNS.index("decision")] = "Scam"
    table[1][COLUMNS.index("note")] = "감금 의심, 텔레그램 전용"
    # Korean Excel's plain "CSV" is CP949, not UTF-8.
    with path.open("w", encoding="cp949", newline="") as fh:
        csv.writer(fh).writerows(table)
    with factory.begin() as s:
        assert import_decisions(s, path, "park", later(5)).applied == 1
    with factory() as s:
        note = s.scalar(select(ReviewItem.note).where(ReviewItem.status == "scam"))
    assert note == "감금 의심, 텔레그램 전용"
