"""Importing the decisions analysts typed into an export (CSV or XLSX), and undoing an import.

Every row is validated before anything is written, and the caller's transaction applies
all of them or none: a half-imported spreadsheet would leave analysts unsure what the
database holds. Errors name the file and the line as a spreadsheet shows it (the header
is line 1). Every import is recorded (file name, sha256, analyst, time, rows) with each
item's earlier state, so ``undo_import`` can put exactly those items back, except the
ones somebody touched since, which it lists and leaves alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.decisionfile import DecisionFile, id_problem, read_decision_file, review_id
from store.errors import ImportValidationError, NotFoundError, ReviewError
from store.queue import OS_USER, apply_decision, check_decision
from store.schema import DecisionImport, DecisionImportChange, ReviewEvent, ReviewItem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    applied: int
    unchanged: int
    blank: int
    import_id: int | None = None
    read_as: str = ""


@dataclass(frozen=True)
class UndoResult:
    """What undoing an import did: items put back, and items left alone because touched since."""

    import_id: int
    file_name: str
    reverted: int
    kept: list[tuple[int, str]] = field(default_factory=list)  # (item id, what touched it since)


def _plan(session: Session, file: DecisionFile, analyst: str, now: datetime) -> tuple[list, int, int]:
    """Validate every row; (changes to make, unchanged rows, blank rows) or ImportValidationError."""
    rows, name = file.rows, file.name
    ids = {i for i in (review_id(r.review_id) for r in rows if r.decision) if i is not None}
    items = {i.id: i for i in session.scalars(select(ReviewItem).where(ReviewItem.id.in_(sorted(ids))))}
    errors: list[str] = []
    planned: list[tuple[ReviewItem, str, str]] = []
    seen: dict[int, tuple[int, str]] = {}
    unchanged = blank = 0
    for row in rows:
        if not row.decision:
            blank += 1
            continue
        item_id = review_id(row.review_id)
        if item_id is None:
            errors.append(f"{name} line {row.line}: {id_problem(row.review_id)}")
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
    return planned, unchanged, blank


def import_decisions(
    session: Session, path: Path, analyst: str, now: datetime, encoding: str | None = None
) -> ImportResult:
    """Validate every row of ``path`` and apply the decisions as ``analyst``, recording the import.

    Raises ImportValidationError listing every bad line (one line each) and writes
    nothing in that case; a blank decision leaves the item as it is.
    """
    file = read_decision_file(path, encoding)
    planned, unchanged, blank = _plan(session, file, analyst, now)
    record = DecisionImport(
        file_name=file.name[:500],
        sha256=file.sha256,
        analyst=analyst,
        imported_at=now,
        rows=len(file.rows),
        applied=len(planned),
        os_user=session.info.get(OS_USER),
    )
    session.add(record)
    session.flush()
    for item, decision, note in planned:
        before = (item.status, item.decided_by, item.decided_at, item.note, item.assignee, item.lease_expires_at)
        event = apply_decision(
            session, item, decision, analyst, now, note or None, via=f"imported from {file.name} (import {record.id})"
        )
        session.flush()
        session.add(DecisionImportChange(import_id=record.id, item_id=item.id, event_id=event.id, **_old(before)))
    session.flush()
    log.info(
        "import %d of %s (%s) as %s: %d applied, %d unchanged, %d blank",
        record.id,
        file.name,
        file.where,
        analyst,
        len(planned),
        unchanged,
        blank,
    )
    return ImportResult(len(planned), unchanged, blank, record.id, file.where)


def _old(before: tuple) -> dict:
    keys = ("old_status", "old_decided_by", "old_decided_at", "old_note", "old_assignee", "old_lease_expires_at")
    return dict(zip(keys, before))


def undo_import(session: Session, import_id: int, analyst: str, now: datetime, *, as_lead: bool = False) -> UndoResult:
    """Put back every item import ``import_id`` changed, unless an event touched it since.

    Only the analyst who made the import may undo it, or a lead (``as_lead``: the caller
    checks that they are one; the audit says so). Each item put back gets an audit event;
    the import is marked undone (once only).
    """
    record = session.get(DecisionImport, import_id) if 0 < import_id <= 2**31 - 1 else None
    if record is None:
        raise NotFoundError(f"import {import_id} does not exist")
    if record.undone_at is not None:
        when = record.undone_at.isoformat(timespec="minutes")
        raise ReviewError(f"import {import_id} was already undone by {record.undone_by} at {when}")
    other = record.analyst != analyst
    if other and not as_lead:
        raise ReviewError(
            f"import {import_id} was made by {record.analyst}: only {record.analyst} or a lead may undo it"
        )
    changes = list(
        session.scalars(
            select(DecisionImportChange)
            .where(DecisionImportChange.import_id == import_id)
            .order_by(DecisionImportChange.item_id)
        )
    )
    kept: list[tuple[int, str]] = []
    reverted = 0
    for change in changes:
        later = session.scalars(
            select(ReviewEvent)
            .where(ReviewEvent.item_id == change.item_id, ReviewEvent.id > change.event_id)
            .order_by(ReviewEvent.id)
            .limit(1)
        ).first()
        if later is not None:
            kept.append((change.item_id, _describe(later)))
            continue
        item = session.get(ReviewItem, change.item_id)
        if item is None:
            continue
        imported = item.status
        item.status, item.decided_by, item.decided_at = change.old_status, change.old_decided_by, change.old_decided_at
        item.note, item.assignee, item.lease_expires_at = (
            change.old_note,
            change.old_assignee,
            change.old_lease_expires_at,
        )
        item.updated_at = now
        session.add(
            ReviewEvent(
                item_id=item.id,
                actor=analyst,
                at=now,
                old_status=imported,
                new_status=change.old_status,
                note=f"undo of import {import_id} ({record.file_name})"
                + (f", as lead, of {record.analyst}'s import" if other else ""),
                model_version=session.get(ReviewEvent, change.event_id).model_version,
                os_user=session.info.get(OS_USER),
            )
        )
        reverted += 1
    record.undone_at, record.undone_by = now, analyst
    session.flush()
    log.info("import %d undone by %s: %d item(s) put back, %d kept", import_id, analyst, reverted, len(kept))
    return UndoResult(import_id, record.file_name, reverted, kept)


def _describe(event: ReviewEvent) -> str:
    what = f"{event.old_status or '-'} -> {event.new_status}"
    return f"{what} by {event.actor} at {event.at.isoformat(timespec='minutes')}"
