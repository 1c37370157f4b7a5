"""Fuzzing import-decisions (issue 16): whatever bytes an analyst hands in, CSV or XLSX, the
import either applies them or fails with our own one-line errors, and a failed import
changes nothing in the database."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from store.decisions import import_decisions
from store.errors import StoreError
from store.exportrows import COLUMNS
from store.schema import DecisionImport, ReviewEvent, ReviewItem
from tests.store.queue_fixtures import later, make_ad, score

IDS = list(range(1, 6))  # the queue below holds review items 1..5
ids = st.one_of(
    st.sampled_from(IDS),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(["1e30", "2.0", "'3", " 4 ", "", "NaN", "inf", "0x10", "1" * 400]),
)
decisions = st.one_of(
    st.sampled_from(["scam", "LEGIT", " needs_info ", "skipped", "", "scma", "legit\n"]), st.text(max_size=12)
)
notes = st.one_of(st.text(max_size=40), st.sampled_from(["", "감금 의심", "a\x00b", '"quoted"', "=cmd|' /C calc'!A0"]))
rows = st.lists(st.tuples(ids, decisions, notes), max_size=8)
headers = st.one_of(
    st.just(["review_id", "decision", "note"]),
    st.just(list(COLUMNS)),
    st.lists(st.sampled_from(["review_id", "decision", "note", "Review_ID", "id", "", "decision"]), max_size=5),
)


def _csv_bytes(header: list[str], body: list[tuple], encoding: str, tail: bytes) -> bytes:
    text = io.StringIO()
    import csv

    w = csv.writer(text)
    w.writerow(header)
    for i, d, n in body:
        row = {"review_id": i, "decision": d, "note": n}
        w.writerow([row.get(h.lower(), "") for h in header])
    return text.getvalue().encode(encoding, errors="replace") + tail


csv_files = st.one_of(
    st.builds(
        _csv_bytes,
        headers,
        rows,
        st.sampled_from(["utf-8", "utf-8-sig", "cp949", "cp1252"]),
        st.sampled_from([b"", b'1,scam,"open', "2,legit,확인\n".encode("cp949"), b"\xff\xfe", b"\x00"]),
    ),
    st.binary(max_size=300),
)


def _xlsx_bytes(sheets: list[tuple[str, list[str], list[tuple]]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for n, (title, header, body) in enumerate(sheets):
        ws = wb.create_sheet(f"{title[:20]}{n}")
        ws.append(header)
        for i, d, n_ in body:
            row = {"review_id": i, "decision": d, "note": n_}
            ws.append([_cell(row.get(h.lower(), "")) for h in header])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(value):
    # openpyxl itself refuses control characters and over-long integers; an analyst's
    # workbook cannot hold them either, so the fuzz feeds what a saved file can hold.
    if isinstance(value, int) and abs(value) > 2**53:
        return str(value)
    if isinstance(value, str):
        return "".join(c for c in value if c >= " " or c in "\t\n")
    return value


xlsx_files = st.one_of(
    st.builds(
        _xlsx_bytes,
        st.lists(st.tuples(st.sampled_from(["flagged", "scratch", "Sheet"]), headers, rows), min_size=1, max_size=3),
    ),
    st.binary(max_size=300),
    st.builds(
        lambda b, k: b[:k], st.builds(_xlsx_bytes, st.just([("flagged", list(COLUMNS), [])])), st.integers(0, 4000)
    ),
)


def _snapshot(factory) -> tuple:
    with factory() as s:
        items = tuple(s.execute(select(ReviewItem.id, ReviewItem.status, ReviewItem.decided_by, ReviewItem.note)).all())
        events = s.scalar(select(func.count()).select_from(ReviewEvent))
        imports = s.scalar(select(func.count()).select_from(DecisionImport))
    return items, events, imports


@pytest.fixture
def queue(factory):
    with factory.begin() as s:
        for i in IDS:
            score(s, make_ad(s, i), 0.7)
    return factory


def _check(factory, path: Path, raw: bytes) -> None:
    path.write_bytes(raw)
    before = _snapshot(factory)
    try:
        with factory.begin() as s:
            import_decisions(s, path, "fuzz", later(1))
    except StoreError as exc:
        lines = [str(exc), *getattr(exc, "errors", [])]
        assert all(line and "\n" not in line and "\r" not in line for line in lines), lines
        assert _snapshot(factory) == before  # a failed import changes nothing
    else:
        assert _snapshot(factory)[2] == before[2] + 1  # a successful one is recorded


FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@FUZZ
@given(raw=csv_files)
def test_fuzzed_csv_imports_fail_cleanly_or_apply(queue, tmp_path, raw):
    _check(queue, tmp_path / "fuzz.csv", raw)


@FUZZ
@given(raw=xlsx_files)
def test_fuzzed_xlsx_imports_fail_cleanly_or_apply(queue, tmp_path, raw):
    _check(queue, tmp_path / "fuzz.xlsx", raw)
