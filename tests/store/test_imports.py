"""Imports as analysts really hand them in: edited workbooks, foreign encodings, broken files, undo."""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from store.decisions import import_decisions, undo_import
from store.errors import ImportValidationError, NotFoundError, ReviewError
from store.exports import write_export
from store.listing import list_items
from store.queue import decide
from store.schema import DecisionImport, ReviewEvent, ReviewItem
from store.workbook import XLSX_COLUMNS
from tests.store.queue_fixtures import later, make_ad, score

DECISION = XLSX_COLUMNS.index("decision") + 1
NOTE = XLSX_COLUMNS.index("note") + 1
REVIEW_ID = XLSX_COLUMNS.index("review_id") + 1


def _queue(factory, n: int) -> list[int]:
    with factory.begin() as s:
        for i in range(n):
            score(s, make_ad(s, i), 0.6 + i / 100)
    with factory() as s:
        return list(s.scalars(select(ReviewItem.id).order_by(ReviewItem.id)))


def _state(factory) -> dict[int, tuple]:
    with factory() as s:
        items = s.scalars(select(ReviewItem).order_by(ReviewItem.id))
        return {i.id: (i.status, i.decided_by, i.note, i.assignee) for i in items}


def _export(factory, path):
    with factory() as s:
        write_export(list_items(s), path, "xlsx")
    return path


def test_edited_workbook_round_trip_then_undo_restores_the_queue(factory, tmp_path):
    """Issue 14, must show: rename the sheet, add a scratch sheet first, sort, filter, add a column."""
    ids = _queue(factory, 6)
    before = _state(factory)
    path = _export(factory, tmp_path / "flagged.xlsx")
    wb = load_workbook(path)
    ws = wb.active
    ws.title = "my queue"
    scratch = wb.create_sheet("scratch", 0)  # first sheet now, with decisions that must NOT land
    scratch.append(["review_id", "decision", "note"])
    scratch.append([ids[5], "legit", "scratch notes, not a verdict"])
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    rows.sort(key=lambda r: r[REVIEW_ID - 1], reverse=True)  # the analyst sorts by id, descending
    for r, values in enumerate(rows, start=2):
        for c, v in enumerate(values, start=1):
            ws.cell(row=r, column=c, value=v)
    ws.cell(row=1, column=len(XLSX_COLUMNS) + 1, value="my remarks")  # a column of their own
    ws.auto_filter.ref = f"A1:{ws.cell(row=1, column=len(XLSX_COLUMNS) + 1).column_letter}{len(rows) + 1}"
    by_id = {ws.cell(row=r, column=REVIEW_ID).value: r for r in range(2, len(rows) + 2)}
    ws.cell(row=by_id[ids[0]], column=DECISION, value="Scam")
    ws.cell(row=by_id[ids[0]], column=NOTE, value="same handle as campaign 3")
    ws.cell(row=by_id[ids[2]], column=DECISION, value="needs_info")
    ws.cell(row=by_id[ids[2]], column=len(XLSX_COLUMNS) + 1, value="ask Kim")
    wb.save(path)

    with factory.begin() as s:
        result = import_decisions(s, path, "park", later(5))
    assert (result.applied, result.unchanged, result.blank) == (2, 0, 4)
    assert result.read_as == "sheet 'my queue'"
    after = _state(factory)
    assert after[ids[0]] == ("scam", "park", "same handle as campaign 3", None)
    assert after[ids[2]][0] == "needs_info"
    assert {i: v for i, v in after.items() if i not in (ids[0], ids[2])} == {
        i: v for i, v in before.items() if i not in (ids[0], ids[2])
    }  # the scratch sheet's "legit" did not land
    with factory() as s:
        record = s.get(DecisionImport, result.import_id)
        assert (record.file_name, record.analyst, record.rows, record.applied) == ("flagged.xlsx", "park", 6, 2)
        assert len(record.sha256) == 64

    # Another analyst may not take park's verdicts back; park may, and so may a lead (audited).
    with factory.begin() as s, pytest.raises(ReviewError, match="made by park: only park or a lead may undo it"):
        undo_import(s, result.import_id, "lee", later(9))
    assert _state(factory) != before
    with factory.begin() as s:
        undone = undo_import(s, result.import_id, "lee", later(9), as_lead=True)
    assert (undone.reverted, undone.kept) == (2, [])
    assert _state(factory) == before
    with factory() as s:
        events = s.scalars(select(ReviewEvent).where(ReviewEvent.actor == "lee")).all()
        assert sorted(e.item_id for e in events) == [ids[0], ids[2]]
        note = f"undo of import {result.import_id} (flagged.xlsx), as lead, of park's import"
        assert all(e.note == note for e in events)
        assert s.get(DecisionImport, result.import_id).undone_by == "lee"
    with factory.begin() as s, pytest.raises(ReviewError, match="already undone by lee"):
        undo_import(s, result.import_id, "park", later(10))


def test_undo_leaves_items_touched_since_and_lists_them(factory, tmp_path):
    ids = _queue(factory, 3)
    path = tmp_path / "d.csv"
    path.write_text(f"review_id,decision,note\n{ids[0]},needs_info,\n{ids[1]},scam,\n", encoding="utf-8")
    with factory.begin() as s:
        result = import_decisions(s, path, "park", later(1))
    with factory.begin() as s:
        decide(s, ids[0], "legit", "kim", later(2), note="checked the agency")  # a colleague finished it
    with factory.begin() as s:
        undone = undo_import(s, result.import_id, "park", later(3))
    assert undone.reverted == 1
    [(item, why)] = undone.kept
    assert item == ids[0] and why.startswith("needs_info -> legit by kim at ")
    state = _state(factory)
    assert state[ids[0]][:2] == ("legit", "kim") and state[ids[1]][0] == "pending"
    with factory.begin() as s, pytest.raises(NotFoundError, match="import 99 does not exist"):
        undo_import(s, 99, "park", later(4))


def _workbook_with(tmp_path, factory, sheets: int):
    path = _export(factory, tmp_path / "two.xlsx")
    wb = load_workbook(path)
    if sheets == 2:
        copy = wb.copy_worksheet(wb.active)
        copy.title = "copy of flagged"
    else:
        wb.active.cell(row=1, column=REVIEW_ID, value="id")  # the header no longer matches
        wb.create_sheet("notes")
    wb.save(path)
    return path


@pytest.mark.parametrize(
    "sheets,message",
    [
        (2, "two.xlsx: several sheets have the export's header row ('flagged', 'copy of flagged')"),
        (0, "two.xlsx: no sheet has the export's header row (review_id, score, ..., decision, note); sheets: "),
    ],
)
def test_a_workbook_with_no_or_several_export_sheets_is_refused(factory, tmp_path, sheets, message):
    _queue(factory, 2)
    path = _workbook_with(tmp_path, factory, sheets)
    with factory.begin() as s, pytest.raises(ImportValidationError) as err:
        import_decisions(s, path, "park", later(1))
    assert err.value.errors[0].startswith(message)
    if not sheets:
        assert "'flagged', 'notes'" in err.value.errors[0]


def _csv(tmp_path, raw: bytes):
    path = tmp_path / "d.csv"
    path.write_bytes(raw)
    return path


def test_a_mixed_utf8_cp949_file_is_refused_with_the_line(factory, tmp_path):
    ids = _queue(factory, 2)
    raw = f"review_id,decision,note\n{ids[0]},scam,".encode() + "감금 의심\n".encode()
    raw += f"{ids[1]},needs_info,".encode() + "확인 필요\n".encode("cp949")
    with factory.begin() as s, pytest.raises(ImportValidationError) as err:
        import_decisions(s, _csv(tmp_path, raw), "park", later(1))
    assert err.value.errors == [
        "d.csv line 3: the file mixes encodings (line 2 is UTF-8, line 3 is not); save it again as CSV UTF-8"
    ]
    assert {v[0] for v in _state(factory).values()} == {"pending"}


def test_a_declared_encoding_is_used_for_the_whole_file(factory, tmp_path):
    ids = _queue(factory, 1)
    raw = f"review_id,decision,note\n{ids[0]},scam,".encode() + "Überweisung verlangt".encode("cp1252") + b"\n"
    with factory.begin() as s:
        result = import_decisions(s, _csv(tmp_path, raw), "park", later(1), encoding="cp1252")
    assert result.read_as == "cp1252 (declared)"
    assert _state(factory)[ids[0]][2] == "Überweisung verlangt"


@pytest.mark.parametrize(
    "body,message",
    [
        ('{id},scam,"no closing quote\n', "d.csv line 2: malformed CSV: unterminated quote"),
        ('{id},scam,"' + "x" * 200_000 + '"\n', "d.csv line 2: malformed CSV: a cell is longer than"),
        ("1e30,scam,\n", "d.csv line 2: review_id '1e30' is not a review id (a whole number from 1 to 2147483647)"),
        (f"{2**63 - 1},scam,\n", "d.csv line 2: review_id '9223372036854775807' is not a review id"),
        ("{id},scam,a\x00b\n", "d.csv line 2: NUL byte"),
    ],
)
def test_broken_files_are_one_line_errors_and_change_nothing(factory, tmp_path, body, message):
    ids = _queue(factory, 1)
    raw = ("review_id,decision,note\n" + body.replace("{id}", str(ids[0]))).encode()
    with factory.begin() as s, pytest.raises(ImportValidationError) as err:
        import_decisions(s, _csv(tmp_path, raw), "park", later(1))
    assert len(err.value.errors) == 1 and err.value.errors[0].startswith(message)
    assert _state(factory)[ids[0]][0] == "pending"
    with factory() as s:
        assert s.scalars(select(DecisionImport)).first() is None


def test_control_characters_in_a_note_are_dropped(factory, tmp_path):
    """A NUL in an XLSX cell (or any C0 control) never reaches PostgreSQL, which refuses it."""
    ids = _queue(factory, 1)
    path = tmp_path / "d.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerow(["review_id", "decision", "note"])
        csv.writer(fh).writerow([ids[0], "scam", "bell\x07 and\x1b[31m escape"])
    with factory.begin() as s:
        import_decisions(s, path, "park", later(1))
    assert _state(factory)[ids[0]][2] == "bell and[31m escape"


# ------------------------------------------------- issue 23, probe 7: caps on what an import may hold


def _decided(factory, tmp_path, note):
    ids = _queue(factory, 2)
    path = _export(factory, tmp_path / "flagged.xlsx")
    wb = load_workbook(path)
    ws = wb.active
    ws.cell(row=2, column=DECISION, value="scam")
    ws.cell(row=2, column=NOTE, value=note)
    wb.save(path)
    return ids, path


@pytest.mark.parametrize(
    "note, message",
    [
        ("n" * 5_001, "line 2: the note has 5,001 characters; a note holds at most 5,000"),
        ("n" * 100_001, "line 2: the note has 32,767 characters"),  # openpyxl keeps what a cell holds
    ],
)
def test_an_oversized_note_or_cell_is_refused_and_nothing_stored(factory, tmp_path, note, message):
    _, path = _decided(factory, tmp_path, note)
    before = _state(factory)
    with factory.begin() as s, pytest.raises(ImportValidationError, match=message):
        import_decisions(s, path, "ana", later(1))
    assert _state(factory) == before
    with factory() as s:
        assert not any(len(e.note or "") > 5_000 for e in s.scalars(select(ReviewEvent)))


def test_a_workbook_that_unpacks_past_the_cap_is_refused_before_it_is_read(factory, tmp_path, monkeypatch):
    import store.decisionfile as decisionfile

    _, path = _decided(factory, tmp_path, "fine")
    monkeypatch.setattr(decisionfile, "MAX_XLSX_UNPACKED_BYTES", 5_000)  # a real bomb: 1.4 MB -> 1.7 GB
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: pytest.fail("openpyxl read a zip bomb"))
    with factory.begin() as s, pytest.raises(ImportValidationError, match="unpacks to [0-9,]+ bytes, more than"):
        import_decisions(s, path, "ana", later(1))


def test_too_many_rows_are_refused(factory, tmp_path, monkeypatch):
    import store.decisionfile as decisionfile

    monkeypatch.setattr(decisionfile, "MAX_ROWS", 1)
    _, path = _decided(factory, tmp_path, "fine")
    with factory.begin() as s, pytest.raises(ImportValidationError, match="more than 1 rows"):
        import_decisions(s, path, "ana", later(1))


def test_a_long_note_is_refused_by_every_road_in(factory):
    [item] = _queue(factory, 1)
    with factory.begin() as s, pytest.raises(ReviewError, match="at most 5,000"):
        decide(s, item, "scam", "ana", later(1), note="n" * 5_001)
